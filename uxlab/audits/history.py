"""Charts of a project's finished runs over time: findings, tasks, steps, performance.

Pure: takes each run's id and report.json (as stored on the run) and returns
SVG bytes, through :func:`uxlab.charts.render`, in the house style of
:mod:`uxlab.charts`: a bold title, a grey subtitle naming n, labelled axes and
the Okabe & Ito palette. Each series carries a ``gid`` (the ``id`` of its SVG
group), so a test can find it:

* ``findings``: bars ``history-findings-<severity>-<i>``, the i-th run from 0;
* ``tasks``: lines ``history-tasks-success`` and ``history-tasks-seconds``;
* ``steps``: lines ``history-steps-<rank>``, rank 0 the slowest step;
* ``performance``: lines ``history-performance-<figure>`` for the page-load
  timings of :data:`TIMINGS` (``lcp_ms``, ``fcp_ms``, ``ttfb_ms``, …);
* ``cls``: the line ``history-cls`` and the "good" limit ``history-cls-good``;
* ``weight``: lines ``history-weight-requests`` and
  ``history-weight-transfer_bytes``.

A report's tasks, steps and pages are read defensively: a run uploaded from CI
holds whatever JSON the CI job sent, and a figure that is missing or not a
number is left out (a gap in its line), never an error.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from uxlab.charts import GREY, LIGHT_GREY, OKABE_ITO, _figure, _style, _titles, render

__all__ = [
    "HISTORY_CHARTS",
    "STEPS_SHOWN",
    "TIMINGS",
    "HistoryPoint",
    "StepTime",
    "history_chart",
    "history_point",
    "severity_counts",
]

HISTORY_CHARTS = ("findings", "tasks", "steps", "performance", "cls", "weight")
#: Page-load timings a run's pages store (``pages[].perf``), in milliseconds,
#: with the name a chart gives them.
TIMINGS: tuple[tuple[str, str], ...] = (
    ("lcp_ms", "LCP"),
    ("fcp_ms", "FCP"),
    ("ttfb_ms", "TTFB"),
    ("dom_content_loaded_ms", "DOMContentLoaded"),
    ("load_ms", "Load"),
)
#: Every figure a page's ``perf`` holds: the timings, CLS and the page's weight.
_PERF_KEYS = (*(key for key, _ in TIMINGS), "cls", "requests", "transfer_bytes")
#: The steps chart draws this many steps, the slowest (by their median).
STEPS_SHOWN = 6
#: Web Vitals' limit of a "good" CLS.
_CLS_GOOD = 0.1
_SEVERITIES = ("critical", "serious", "moderate", "minor")
_SEVERITY_COLOURS = (
    OKABE_ITO["vermillion"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    GREY,
)
#: Line colours, one per series, in order (no yellow: too light on white).
_LINES = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_NAN = float("nan")


@dataclass(frozen=True, slots=True)
class StepTime:
    """How long one step of one task took at one viewport in a run."""

    task: str
    viewport: str
    #: The step's place in its task, from 0.
    index: int
    description: str
    seconds: float

    @property
    def key(self) -> tuple[str, str, int]:
        """What matches the step from run to run: task, viewport and place."""
        return (self.task, self.viewport, self.index)

    @property
    def label(self) -> str:
        """``Checkout (desktop), step 2: click #buy``, shortened to 70 characters."""
        text = self.task or "a task"
        text += f" ({self.viewport})" if self.viewport else ""
        text += f", step {self.index + 1}"
        text += f": {self.description}" if self.description else ""
        return text if len(text) <= 70 else text[:69] + "…"


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One finished run, reduced to the figures the history charts show."""

    run_id: int
    findings: dict[str, int]
    task_success: float | None
    #: Mean seconds a task run took.
    task_seconds: float | None
    #: The median over the run's pages of each performance figure they hold
    #: (the keys of ``pages[].perf``: ``lcp_ms``, ``cls``, ``requests``, …).
    perf: dict[str, float] = field(default_factory=dict)
    #: Every step of every task run, with its seconds.
    steps: tuple[StepTime, ...] = ()

    @property
    def lcp_ms(self) -> float | None:
        return self.perf.get("lcp_ms")

    @property
    def cls(self) -> float | None:
        return self.perf.get("cls")


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def severity_counts(summary: dict[str, Any]) -> dict[str, int]:
    """Counts by severity from a report summary: its ``issues`` (findings
    grouped), or the ``findings`` counts of reports written before grouping.

    >>> severity_counts({"issues": {"critical": 1}, "findings": 4})
    {'critical': 1}
    >>> severity_counts({"findings": {"serious": 2}})
    {'serious': 2}
    """
    for key in ("issues", "findings"):
        counts = summary.get(key)
        if isinstance(counts, dict):
            return {
                str(k): int(n)
                for k, v in counts.items()
                if (n := _number(v)) is not None
            }
    return {}


def _steps(tasks: list[dict[str, Any]]) -> tuple[StepTime, ...]:
    found: list[StepTime] = []
    for task in tasks:
        for place, step in enumerate(_dicts(task.get("steps"))):
            seconds = _number(step.get("seconds"))
            if seconds is None:
                continue
            index = step.get("index")
            found.append(
                StepTime(
                    task=str(task.get("name", "")),
                    viewport=str(task.get("viewport", "")),
                    index=index if isinstance(index, int) else place,
                    description=str(step.get("description") or step.get("kind", "")),
                    seconds=seconds,
                )
            )
    return tuple(found)


def history_point(run_id: int, results: dict[str, Any]) -> HistoryPoint:
    """The history figures of one run's report.json.

    >>> point = history_point(3, {"summary": {"findings": {"serious": 2},
    ...     "task_success_rate": 0.5}, "tasks": [{"seconds": 2.0}, {"seconds": 4.0,
    ...     "name": "Buy", "viewport": "desktop", "steps": [{"index": 0,
    ...     "description": "goto /", "seconds": 1.5}]}],
    ...     "pages": [{"perf": {"lcp_ms": 900, "fcp_ms": 400, "cls": 0.1}},
    ...               {"perf": {"lcp_ms": 1100, "fcp_ms": None}}, {"perf": None}]})
    >>> point.findings, point.task_success, point.task_seconds
    ({'serious': 2}, 0.5, 3.0)
    >>> point.perf
    {'lcp_ms': 1000.0, 'fcp_ms': 400.0, 'cls': 0.1}
    >>> [(s.label, s.seconds) for s in point.steps]
    [('Buy (desktop), step 1: goto /', 1.5)]
    """
    results = results if isinstance(results, dict) else {}
    summary = results.get("summary")
    summary = summary if isinstance(summary, dict) else {}
    tasks = _dicts(results.get("tasks"))
    seconds = [s for t in tasks if (s := _number(t.get("seconds"))) is not None]
    perfs = [p["perf"] for p in _dicts(results.get("pages")) if p.get("perf")]
    perfs = [p for p in perfs if isinstance(p, dict)]
    perf: dict[str, float] = {}
    for key in _PERF_KEYS:
        values = [v for p in perfs if (v := _number(p.get(key))) is not None]
        if values:
            perf[key] = statistics.median(values)
    return HistoryPoint(
        run_id=run_id,
        findings=severity_counts(summary),
        task_success=_number(summary.get("task_success_rate")),
        task_seconds=statistics.fmean(seconds) if seconds else None,
        perf=perf,
        steps=_steps(tasks),
    )


# ------------------------------------------------------------------ charts


def _runs(n: int) -> str:
    return f"n = {n} run" + ("" if n == 1 else "s")


def _run_axis(ax: Axes, points: Sequence[HistoryPoint]) -> list[int]:
    """Runs left to right, oldest first, labelled ``#id``; their x positions."""
    x = list(range(len(points)))
    ax.set_xticks(
        x,
        [f"#{p.run_id}" for p in points],
        fontsize=10,
        rotation=45 if len(points) > 12 else 0,
    )
    if points:
        ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_xlabel("Run (oldest first)")
    return x


def _twin_axis(ax: Axes, ylabel: str) -> Axes:
    """A second y axis on the right of ``ax``, in the house style."""
    twin = ax.twinx()
    twin.set_ylabel(ylabel)
    twin.spines[["top", "left"]].set_visible(False)
    twin.tick_params(labelsize=12)
    twin.yaxis.label.set_fontsize(13)
    return twin


def _twin_line(
    twin: Axes, x: Sequence[float], values: list[float], *, label: str, gid: str
) -> None:
    """A dashed vermillion series on the second axis."""
    twin.plot(
        x,
        values,
        marker="s",
        linestyle="--",
        ms=7,
        lw=2,
        color=OKABE_ITO["vermillion"],
        label=label,
        gid=gid,
    )
    twin.set_ylim(bottom=0)


def _values(values: Iterable[float | None]) -> list[float]:
    return [v if v is not None else _NAN for v in values]


def _line(
    ax: Axes, x: list[int], values: list[float | None], gid: str, i: int, label: str
) -> None:
    ax.plot(
        x,
        _values(values),
        marker=_MARKERS[i % len(_MARKERS)],
        linestyle="-",
        ms=7,
        lw=2,
        color=_LINES[i % len(_LINES)],
        label=label,
        gid=gid,
    )


def _no_data(ax: Axes, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=12,
        color=GREY,
    )


def _legend(
    fig: Figure, ax: Axes, *, ncols: int = 3, extra: Sequence[Axes] = ()
) -> None:
    """One legend for the chart's series (a twin axis's too), under the chart."""
    handles, labels = ax.get_legend_handles_labels()
    for other in extra:
        more = other.get_legend_handles_labels()
        handles += more[0]
        labels += more[1]
    if handles:
        fig.legend(
            handles,
            labels,
            frameon=False,
            ncols=ncols,
            fontsize=11,
            loc="outside lower left",
        )


def _findings(fig: Figure, ax: Axes, points: Sequence[HistoryPoint]) -> None:
    x = _run_axis(ax, points)
    bottom = [0] * len(points)
    for severity, colour in zip(_SEVERITIES, _SEVERITY_COLOURS, strict=True):
        counts = [p.findings.get(severity, 0) for p in points]
        bars = ax.bar(x, counts, bottom=bottom, color=colour, label=severity)
        for i, bar in enumerate(bars):
            bar.set_gid(f"history-findings-{severity}-{i}")
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_ylabel("Findings")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color=LIGHT_GREY, lw=0.8)
    ax.set_axisbelow(True)
    _legend(fig, ax, ncols=4)
    _style(ax)
    _titles(
        fig,
        ax,
        "Findings by severity, per run",
        f"Stacked by severity; {_runs(len(points))}",
    )


def _tasks(fig: Figure, ax: Axes, points: Sequence[HistoryPoint]) -> None:
    x = _run_axis(ax, points)
    measured = [p for p in points if p.task_success is not None]
    success = [
        p.task_success * 100 if p.task_success is not None else None for p in points
    ]
    _line(ax, x, success, "history-tasks-success", 0, "task success (%)")
    ax.set_ylim(0, 105)
    ax.set_ylabel("Task success (%)")
    twin = _twin_axis(ax, "Mean seconds per task")
    _twin_line(
        twin,
        x,
        _values(p.task_seconds for p in points),
        label="mean seconds per task",
        gid="history-tasks-seconds",
    )
    _style(ax)
    if not measured:
        _no_data(ax, "no run replayed a task")
    _legend(fig, ax, ncols=2, extra=[twin])
    _titles(
        fig,
        ax,
        "Task success and mean task time, per run",
        "Share of task runs that succeeded (solid) and mean seconds a task run "
        f"took (dashed); {_runs(len(measured))}",
    )


def _steps_chart(fig: Figure, ax: Axes, points: Sequence[HistoryPoint]) -> None:
    x = _run_axis(ax, points)
    seconds: dict[tuple[str, str, int], dict[int, float]] = {}
    latest: dict[tuple[str, str, int], StepTime] = {}
    for i, point in enumerate(points):
        for step in point.steps:
            seconds.setdefault(step.key, {})[i] = step.seconds
            latest[step.key] = step
    ranked = sorted(seconds, key=lambda k: (-statistics.median(seconds[k].values()), k))
    shown = ranked[:STEPS_SHOWN]
    for rank, key in enumerate(shown):
        by_run = seconds[key]
        values = [by_run.get(i) for i in range(len(points))]
        _line(ax, x, values, f"history-steps-{rank}", rank, latest[key].label)
    ax.set_ylabel("Seconds the step took")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color=LIGHT_GREY, lw=0.8)
    ax.set_axisbelow(True)
    if not shown:
        _no_data(ax, "no run stored its steps' timings")
    _legend(fig, ax, ncols=1)
    _style(ax)
    runs = sum(1 for p in points if p.steps)
    which = (
        f"The {len(shown)} slowest of {len(seconds)} steps (by their median)"
        if len(shown) < len(seconds)
        else f"All {len(seconds)} steps, the slowest (by their median) first"
    )
    _titles(
        fig, ax, "Step timings, per run", f"{which}: seconds each took; {_runs(runs)}"
    )


def _performance(fig: Figure, ax: Axes, points: Sequence[HistoryPoint]) -> None:
    x = _run_axis(ax, points)
    drawn = 0
    for key, name in TIMINGS:
        values = [p.perf.get(key) for p in points]
        if any(v is not None for v in values):
            _line(ax, x, values, f"history-performance-{key}", drawn, name)
            drawn += 1
    ax.set_ylabel("Milliseconds (median of pages)")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color=LIGHT_GREY, lw=0.8)
    ax.set_axisbelow(True)
    if not drawn:
        _no_data(
            ax, "no run measured page loads (the script's checks lack performance)"
        )
    _legend(fig, ax, ncols=len(TIMINGS))
    _style(ax)
    runs = sum(1 for p in points if any(k in p.perf for k, _ in TIMINGS))
    _titles(
        fig,
        ax,
        "Page-load timings, per run",
        f"Median over each run's pages of LCP, FCP, TTFB, DOMContentLoaded and "
        f"load; {_runs(runs)}",
    )


def _cls(fig: Figure, ax: Axes, points: Sequence[HistoryPoint]) -> None:
    x = _run_axis(ax, points)
    values = [p.perf.get("cls") for p in points]
    if any(v is not None for v in values):
        _line(ax, x, values, "history-cls", 0, "CLS")
    ax.axhline(
        _CLS_GOOD,
        color=GREY,
        lw=1.2,
        linestyle=":",
        label=f"good: at most {_CLS_GOOD:g}",
        gid="history-cls-good",
    )
    ax.set_ylabel("CLS (median of pages)")
    top = max([v for v in values if v is not None], default=0.0)
    ax.set_ylim(0, max(top, _CLS_GOOD) * 1.25)
    ax.grid(axis="y", color=LIGHT_GREY, lw=0.8)
    ax.set_axisbelow(True)
    if all(v is None for v in values):
        _no_data(ax, "no run measured layout shift")
    _legend(fig, ax, ncols=2)
    _style(ax)
    _titles(
        fig,
        ax,
        "Cumulative layout shift, per run",
        f"Median over each run's pages; {_runs(sum(v is not None for v in values))}",
    )


def _weight(fig: Figure, ax: Axes, points: Sequence[HistoryPoint]) -> None:
    x = _run_axis(ax, points)
    requests = [p.perf.get("requests") for p in points]
    kilobytes = [
        b / 1000 if (b := p.perf.get("transfer_bytes")) is not None else None
        for p in points
    ]
    if any(r is not None for r in requests):
        _line(ax, x, requests, "history-weight-requests", 0, "requests")
    ax.set_ylabel("Requests (median of pages)")
    ax.set_ylim(bottom=0)
    twin = _twin_axis(ax, "Transferred, kB (median of pages)")
    if any(k is not None for k in kilobytes):
        _twin_line(
            twin,
            x,
            _values(kilobytes),
            label="transferred (kB)",
            gid="history-weight-transfer_bytes",
        )
    _style(ax)
    measured = sum(
        1
        for r, k in zip(requests, kilobytes, strict=True)
        if r is not None or k is not None
    )
    if not measured:
        _no_data(ax, "no run measured the pages' requests")
    _legend(fig, ax, ncols=2, extra=[twin])
    _titles(
        fig,
        ax,
        "Page weight, per run",
        "Requests (solid) and kilobytes transferred (dashed) by a page load, "
        f"median of pages; {_runs(measured)}",
    )


_DRAW = {
    "findings": _findings,
    "tasks": _tasks,
    "steps": _steps_chart,
    "performance": _performance,
    "cls": _cls,
    "weight": _weight,
}


def history_chart(points: Sequence[HistoryPoint], name: str) -> bytes:
    """One history chart as SVG; ``name`` is one of :data:`HISTORY_CHARTS`."""
    if name not in HISTORY_CHARTS:
        raise ValueError(f"name ({name!r}) must be one of {list(HISTORY_CHARTS)}")
    fig = _figure(6.4 if name == "steps" else 5.2)
    ax = fig.add_subplot()
    _DRAW[name](fig, ax, points)
    return render(fig, "svg")
