"""Charts of a project's finished runs over time: findings, tasks, performance.

Pure: takes each run's id and report.json (as stored on the run) and returns
SVG bytes, through :func:`uxlab.charts.render`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from uxlab.charts import render

__all__ = [
    "HISTORY_CHARTS",
    "HistoryPoint",
    "history_chart",
    "history_point",
    "severity_counts",
]

HISTORY_CHARTS = ("findings", "tasks", "performance")
_SEVERITIES = ("critical", "serious", "moderate", "minor")
_COLOURS = ("#b00020", "#d9480f", "#e8a200", "#6c757d")


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One finished run, reduced to the figures the history charts show."""

    run_id: int
    findings: dict[str, int]
    task_success: float | None
    #: Mean seconds a task run took, and the median over pages of LCP and CLS.
    task_seconds: float | None
    lcp_ms: float | None
    cls: float | None


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


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
            return {str(k): int(v) for k, v in counts.items()}
    return {}


def history_point(run_id: int, results: dict[str, Any]) -> HistoryPoint:
    """The history figures of one run's report.json.

    >>> history_point(3, {"summary": {"findings": {"serious": 2},
    ...     "task_success_rate": 0.5}, "tasks": [{"seconds": 2.0}, {"seconds": 4.0}],
    ...     "pages": [{"perf": {"lcp_ms": 900, "cls": 0.1}}, {"perf": None}]})
    HistoryPoint(run_id=3, findings={'serious': 2}, task_success=0.5, task_seconds=3.0, lcp_ms=900, cls=0.1)
    """  # noqa: E501
    summary = results.get("summary", {})
    tasks = results.get("tasks", [])
    perfs = [p["perf"] for p in results.get("pages", []) if p.get("perf")]
    return HistoryPoint(
        run_id=run_id,
        findings=severity_counts(summary),
        task_success=summary.get("task_success_rate"),
        task_seconds=statistics.fmean(t["seconds"] for t in tasks) if tasks else None,
        lcp_ms=_median([p["lcp_ms"] for p in perfs if p.get("lcp_ms") is not None]),
        cls=_median([p["cls"] for p in perfs if p.get("cls") is not None]),
    )


def history_chart(points: Sequence[HistoryPoint], name: str) -> bytes:
    """One history chart as SVG; ``name`` is one of :data:`HISTORY_CHARTS`."""
    if name not in HISTORY_CHARTS:
        raise ValueError(f"name ({name!r}) must be one of {list(HISTORY_CHARTS)}")
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    labels = [f"#{p.run_id}" for p in points]
    x = list(range(len(points)))
    if name == "findings":
        bottom = [0] * len(points)
        for severity, colour in zip(_SEVERITIES, _COLOURS, strict=True):
            counts = [p.findings.get(severity, 0) for p in points]
            ax.bar(x, counts, bottom=bottom, color=colour, label=severity)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        ax.set_ylabel("Findings")
        ax.set_title("Findings by severity, per run", loc="left")
        ax.legend(frameon=False, ncols=4, loc="upper left", fontsize=9)
    elif name == "tasks":
        rates = [
            p.task_success * 100 if p.task_success is not None else None for p in points
        ]
        ax.plot(
            x,
            [r if r is not None else float("nan") for r in rates],
            "o-",
            color="#1565c0",
            label="task success (%)",
        )
        ax.set_ylim(0, 105)
        ax.set_ylabel("Task success (%)")
        twin = ax.twinx()
        twin.plot(
            x,
            [
                p.task_seconds if p.task_seconds is not None else float("nan")
                for p in points
            ],
            "s--",
            color="#6a1b9a",
            label="mean seconds per task",
        )
        twin.set_ylabel("Mean seconds per task")
        twin.set_ylim(bottom=0)
        ax.set_title("Task success and mean task time, per run", loc="left")
    else:
        ax.plot(
            x,
            [p.lcp_ms if p.lcp_ms is not None else float("nan") for p in points],
            "o-",
            color="#2e7d32",
        )
        ax.set_ylabel("LCP, median of pages (ms)")
        ax.set_ylim(bottom=0)
        twin = ax.twinx()
        twin.plot(
            x,
            [p.cls if p.cls is not None else float("nan") for p in points],
            "s--",
            color="#ef6c00",
        )
        twin.set_ylabel("CLS, median of pages")
        twin.set_ylim(bottom=0)
        ax.set_title("LCP (solid) and CLS (dashed), per run", loc="left")
    ax.set_xticks(x, labels, fontsize=8, rotation=45 if len(points) > 12 else 0)
    ax.spines[["top"]].set_visible(False)
    return render(fig, "svg")
