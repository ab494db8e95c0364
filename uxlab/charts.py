"""Charts researchers can paste into a deck, drawn from :mod:`uxlab.stats` results.

Pure presentation: every function takes result objects (or plain arrays) and
returns a :class:`matplotlib.figure.Figure`; :func:`render` turns it into SVG
or PNG bytes.  Figures are built with the object-oriented API, never
``pyplot``, so nothing global is left open in a server process.

Charts follow one house style, sized for a 16:9 slide: a bold title, a grey
subtitle naming n and the interval method, labelled axes with units, and the
Okabe & Ito (2008) colour-blind-safe palette.  Artists a test may want to count
carry a ``gid``, which becomes the ``id`` of their SVG group:
``<chart>-bar-<i>`` for bars, ``<chart>-point-<i>`` for point estimates and
``<chart>-errorbar-<i>`` for interval lines.
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

from uxlab import numbers, stats
from uxlab.stats import (
    ComparisonResult,
    NPSResult,
    ProportionResult,
    RatingResult,
    SUSResult,
    TimeResult,
)

__all__ = [
    "CHART_FORMATS",
    "OKABE_ITO",
    "completion_chart",
    "difference_chart",
    "discovery_chart",
    "nps_chart",
    "Share",
    "render",
    "seq_chart",
    "share_bars",
    "sus_chart",
    "times_chart",
]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with every
#: common colour-vision deficiency.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
GREY = "#6B6B6B"
LIGHT_GREY = "#D9D9D9"

CHART_FORMATS = frozenset({"svg", "png"})

#: Chart titles, in points: at the widest a page shows a chart (60rem for
#: 720 pt) that is 20 px, no larger than the page's section headings.
_TITLE_SIZE = 15
#: 16:9 at 10 inches wide; PNGs at 150 dpi are 1500 px wide.
_WIDTH_IN = 10.0
_PNG_DPI = 150
_BASE_FONT = 13

# rc_context changes process-wide rcParams; the lock keeps two requests from
# restoring each other's settings halfway through a savefig.
_RENDER_LOCK = threading.Lock()


def render(fig: Figure, fmt: str = "svg") -> bytes:
    """The figure as SVG (text kept as text) or PNG bytes.

    >>> fig = Figure()
    >>> render(fig, "png")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    >>> render(fig, "svg").lstrip().startswith(b"<?xml")
    True
    """
    if fmt not in CHART_FORMATS:
        raise ValueError(f"fmt ({fmt!r}) must be one of {sorted(CHART_FORMATS)}")
    buffer = io.BytesIO()
    with _RENDER_LOCK, matplotlib.rc_context({"svg.fonttype": "none"}):
        if fmt == "svg":
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            fig.savefig(buffer, format="png", dpi=_PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


# ------------------------------------------------------------------ helpers


def _figure(height: float = 5.6) -> Figure:
    with matplotlib.rc_context({"font.size": _BASE_FONT}):
        fig = Figure(figsize=(_WIDTH_IN, height), layout="constrained")
    return fig


def _height_for(rows: int) -> float:
    return max(4.2, 1.9 + 0.62 * rows)


def _titles(fig: Figure, ax: Axes, title: str, subtitle: str) -> None:
    fig.suptitle(title, x=0.01, ha="left", fontsize=_TITLE_SIZE, fontweight="bold")
    ax.set_title(subtitle, loc="left", fontsize=12, color=GREY, pad=10)


def _style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=12)
    ax.xaxis.label.set_fontsize(13)
    ax.yaxis.label.set_fontsize(13)


def _wrap(label: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(label, width)[:3]) or label


def _task_axis(ax: Axes, labels: Sequence[str]) -> npt.NDArray[np.float64]:
    """Tasks top to bottom in study order; returns their y positions."""
    y = np.arange(len(labels), dtype=np.float64)[::-1]
    ax.set_yticks(y, [_wrap(label) for label in labels])
    ax.set_ylim(-0.6, len(labels) - 0.4)
    return y


def _errorbar(
    ax: Axes,
    gid: str,
    x: float,
    y: float,
    low: float,
    high: float,
    *,
    color: str = OKABE_ITO["black"],
    horizontal: bool = True,
) -> None:
    err = [[max(x - low, 0.0)], [max(high - x, 0.0)]]
    container = (
        ax.errorbar(
            [x],
            [y],
            xerr=err,
            fmt="none",
            ecolor=color,
            elinewidth=2,
            capsize=6,
            capthick=2,
        )
        if horizontal
        else ax.errorbar(
            [x],
            [y],
            yerr=err,
            fmt="none",
            ecolor=color,
            elinewidth=2,
            capsize=6,
            capthick=2,
        )
    )
    container.lines[2][0].set_gid(gid)


def _no_data(ax: Axes, y: float, x: float) -> None:
    ax.text(x, y, "no data", va="center", ha="left", fontsize=11, color=GREY)


def _pct(value: float) -> str:
    return numbers.pct(value)


def _level(confidence_level: float) -> str:
    return f"{100 * confidence_level:g} %"


# ------------------------------------------------------------------- charts


@dataclass(frozen=True, slots=True)
class Share:
    """One bar of :func:`share_bars`: a share (0–1) with its interval, and
    the count it was made of (``count`` of ``total``)."""

    observed: float
    low: float
    high: float
    count: int
    total: int


def share_bars(
    labels: Sequence[str],
    shares: Sequence[Share | None],
    *,
    chart: str,
    title: str,
    subtitle: str,
    xlabel: str,
) -> tuple[Figure, Axes]:
    """Horizontal bars of shares in percent, top to bottom in ``labels``'
    order, each with its interval and "62 % (25/40)" beside it; a None share
    is drawn as "no data". Bars carry the gids ``<chart>-bar-<i>`` and
    ``<chart>-errorbar-<i>``. Returns the figure and its axes, for a chart
    that adds a reference line.
    """
    fig = _figure(_height_for(len(labels)))
    ax = fig.add_subplot()
    y = _task_axis(ax, labels)
    for i, (pos, share) in enumerate(zip(y, shares, strict=True)):
        if share is None:
            _no_data(ax, pos, 1)
            continue
        value = 100 * share.observed
        (bar,) = ax.barh([pos], [value], height=0.6, color=OKABE_ITO["blue"])
        bar.set_gid(f"{chart}-bar-{i}")
        _errorbar(
            ax, f"{chart}-errorbar-{i}", value, pos, 100 * share.low, 100 * share.high
        )
        ax.text(
            min(100 * share.high + 1.5, 101),
            pos,
            f"{_pct(share.observed)} ({share.count}/{share.total})",
            va="center",
            ha="left",
            fontsize=11,
            color=GREY,
        )
    ax.set_xlim(0, 126)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel(xlabel)
    _style(ax)
    _titles(fig, ax, title, subtitle)
    return fig, ax


def completion_chart(
    labels: Sequence[str],
    rates: Sequence[ProportionResult | None],
    *,
    benchmark: float | None = 0.78,
    subtitle: str = "",
) -> Figure:
    """Completion rate per task (observed x/n) with interval error bars.

    ``benchmark`` draws a reference line; 0.78 is the average completion rate
    of Sauro's (2011) 1,200 tasks.
    """
    fig = _figure(_height_for(len(labels)))
    ax = fig.add_subplot()
    y = _task_axis(ax, labels)
    for i, (pos, rate) in enumerate(zip(y, rates, strict=True)):
        if rate is None:
            _no_data(ax, pos, 1.0)
            continue
        value = 100 * rate.observed
        (bar,) = ax.barh([pos], [value], height=0.6, color=OKABE_ITO["blue"])
        bar.set_gid(f"completion-bar-{i}")
        _errorbar(
            ax,
            f"completion-errorbar-{i}",
            value,
            pos,
            100 * rate.ci.low,
            100 * rate.ci.high,
        )
        ax.text(
            min(100 * rate.ci.high + 1.5, 101),
            pos,
            f"{_pct(rate.observed)} ({rate.successes}/{rate.trials})",
            va="center",
            ha="left",
            fontsize=11,
            color=GREY,
        )
    if benchmark is not None:
        ax.axvline(
            100 * benchmark,
            color=OKABE_ITO["vermillion"],
            ls="--",
            lw=2,
            label=f"Benchmark {_pct(benchmark)}",
            gid="completion-benchmark",
        )
        ax.legend(loc="lower right", fontsize=11, frameon=True)
    ax.set_xlim(0, 126)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("Completion rate (% of participants)")
    _style(ax)
    _titles(fig, ax, "Task completion rate", subtitle)
    return fig


def _seconds(value: float, _pos: object = None) -> str:
    if value >= 60 and value % 60 == 0:
        return f"{value / 60:g} min"
    return f"{value:g} s"


def times_chart(
    labels: Sequence[str],
    times: Sequence[TimeResult | None],
    *,
    subtitle: str = "",
    title: str = "Time on task (successful attempts)",
) -> Figure:
    """Time per task, the centre and interval the results table shows, on a log axis.

    The centre is the geometric mean below 25 times and the median from 25 on
    (:attr:`TimeResult.center`), each with its own interval.
    """
    fig = _figure(_height_for(len(labels)))
    ax = fig.add_subplot()
    y = _task_axis(ax, labels)
    ax.set_xscale("log")
    finite: list[float] = []
    for i, (pos, result) in enumerate(zip(y, times, strict=True)):
        if result is None:
            continue
        # The centre the results table shows, with that centre's own interval.
        centre, ci = result.center, result.usable_ci(result.center_ci)
        ax.plot(
            [centre], [pos], "o", ms=10, color=OKABE_ITO["blue"], gid=f"times-point-{i}"
        )
        finite.append(centre)
        if ci is not None:
            _errorbar(ax, f"times-errorbar-{i}", centre, pos, ci.low, ci.high)
            finite += [ci.low, ci.high]
    lo, hi = (min(finite), max(finite)) if finite else (1.0, 100.0)
    # At least a factor of 10 around the data, so a log axis always has labels.
    spread = max(1.0, math.sqrt(10 * lo / hi) / 1.6)
    ax.set_xlim(lo / 1.6 / spread, hi * 1.6 * spread)
    for pos, result in zip(y, times, strict=True):
        if result is None:
            _no_data(ax, pos, lo / 1.5)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(_seconds))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Time on task (seconds, log scale)")
    ax.grid(axis="x", color=LIGHT_GREY, lw=0.8)
    _style(ax)
    _titles(fig, ax, title, subtitle)
    return fig


def seq_chart(
    labels: Sequence[str],
    ratings: Sequence[RatingResult | None],
    *,
    scale: tuple[int, int] = (1, 7),
    benchmark: float | None = 5.5,
    subtitle: str = "",
    title: str = "Post-task ease (SEQ)",
) -> Figure:
    """Mean post-task rating per task with its interval; 5.5 is Sauro's SEQ average."""
    lo, hi = scale
    fig = _figure(_height_for(len(labels)))
    ax = fig.add_subplot()
    y = _task_axis(ax, labels)
    for i, (pos, result) in enumerate(zip(y, ratings, strict=True)):
        if result is None:
            _no_data(ax, pos, lo + 0.1)
            continue
        (bar,) = ax.barh(
            [pos], [result.mean - lo], left=lo, height=0.6, color=OKABE_ITO["sky_blue"]
        )
        bar.set_gid(f"seq-bar-{i}")
        if result.ci is not None:
            _errorbar(
                ax, f"seq-errorbar-{i}", result.mean, pos, result.ci.low, result.ci.high
            )
    if benchmark is not None:
        ax.axvline(
            benchmark,
            color=OKABE_ITO["vermillion"],
            ls="--",
            lw=2,
            label=f"Average SEQ ({benchmark:g})",
            gid="seq-benchmark",
        )
        ax.legend(loc="lower right", fontsize=11)
    ax.set_xlim(lo, hi)
    ax.set_xticks(range(lo, hi + 1))
    ax.set_xlabel(f"Mean rating ({lo} = very difficult, {hi} = very easy)")
    _style(ax)
    _titles(fig, ax, title, subtitle)
    return fig


def _grade_families() -> list[tuple[str, float, float]]:
    """Letter bands (A to F) of the curved grading scale, read off stats.sus_grade."""
    grid = np.round(np.arange(0, 1001) / 10, 1)
    letters = np.array([g[0] for g in stats.sus_grade(grid)])
    bands: list[tuple[str, float, float]] = []
    start = 0
    for k in range(1, len(grid) + 1):
        if k == len(grid) or letters[k] != letters[start]:
            high = float(grid[k]) if k < len(grid) else 100.0
            bands.append((str(letters[start]), float(grid[start]), high))
            start = k
    return bands


_BAND_COLOURS = {
    "A": OKABE_ITO["bluish_green"],
    "B": OKABE_ITO["sky_blue"],
    "C": OKABE_ITO["yellow"],
    "D": OKABE_ITO["orange"],
    "F": OKABE_ITO["vermillion"],
}

#: SUS histogram bins: 20 bins of 5 points (the last includes 100).
SUS_BINS = np.linspace(0, 100, 21)


def sus_chart(
    scores: npt.ArrayLike,
    summary: SUSResult,
    *,
    confidence_level: float = 0.95,
    subtitle: str = "",
    benchmark: float = 68.0,
) -> Figure:
    """Distribution of SUS scores over the curved grade bands, with the mean's CI."""
    values = np.asarray(scores, dtype=np.float64)
    counts, edges = np.histogram(values, bins=SUS_BINS)
    fig = _figure(5.6)
    ax = fig.add_subplot()
    top = max(int(counts.max(initial=0)), 1) * 1.3
    for letter, low, high in _grade_families():
        ax.axvspan(
            low,
            high,
            color=_BAND_COLOURS.get(letter, LIGHT_GREY),
            alpha=0.16,
            lw=0,
            gid=f"sus-band-{letter}",
        )
        ax.text(
            (low + high) / 2,
            top * 0.97,
            letter,
            ha="center",
            va="top",
            fontsize=14,
            fontweight="bold",
            color=GREY,
            # Over the benchmark line, which runs through the C band.
            zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
        )
    bars = ax.bar(
        edges[:-1],
        counts,
        width=np.diff(edges),
        align="edge",
        color=OKABE_ITO["blue"],
        edgecolor="white",
        lw=1,
    )
    for i, bar in enumerate(bars):
        bar.set_gid(f"sus-bar-{i}")
    ax.axvline(
        benchmark, color=GREY, ls=":", lw=2, label=f"Average SUS ({benchmark:g})"
    )
    y_mean = top * 0.82
    ax.plot(
        [summary.mean],
        [y_mean],
        "D",
        ms=10,
        color=OKABE_ITO["vermillion"],
        gid="sus-point-0",
        label=f"Mean {numbers.signed(summary.mean, 1)}"
        + ("" if summary.ci is None else f" ({_level(confidence_level)} CI)"),
    )
    if summary.ci is not None:
        _errorbar(
            ax,
            "sus-errorbar-0",
            summary.mean,
            y_mean,
            summary.ci.low,
            summary.ci.high,
            color=OKABE_ITO["vermillion"],
        )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, top)
    ax.set_xticks(range(0, 101, 10))
    ax.set_xlabel("SUS score (0-100); bands: curved grading scale")
    ax.set_ylabel("Participants")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=11)
    _style(ax)
    _titles(fig, ax, "System Usability Scale scores", subtitle)
    return fig


def nps_chart(result: NPSResult, *, subtitle: str = "") -> Figure:
    """Detractors, passives and promoters as one stacked bar, with the score."""
    fig = _figure(3.2)
    ax = fig.add_subplot()
    parts = (
        ("detractors", "Detractors (0-6)", result.detractors, OKABE_ITO["vermillion"]),
        ("passives", "Passives (7-8)", result.passives, LIGHT_GREY),
        ("promoters", "Promoters (9-10)", result.promoters, OKABE_ITO["bluish_green"]),
    )
    left = 0.0
    for key, label, count, colour in parts:
        share = 100 * count / result.n if result.n else 0.0
        (bar,) = ax.barh(
            [0], [share], left=left, height=0.55, color=colour, label=label
        )
        bar.set_gid(f"nps-{key}")
        if share >= 7:
            ax.text(
                left + share / 2,
                0,
                numbers.pct(share / 100),
                ha="center",
                va="center",
                fontsize=14,
                fontweight="bold",
                color="white" if key != "passives" else OKABE_ITO["black"],
            )
        left += share
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.45, 0.75)
    ax.set_yticks([])
    ax.set_xlabel("Share of respondents (%)")
    ax.legend(
        loc="upper center",
        ncols=3,
        fontsize=11,
        frameon=False,
        bbox_to_anchor=(0.5, 1.02),
    )
    _style(ax)
    ax.spines["left"].set_visible(False)
    _titles(
        fig,
        ax,
        f"Net Promoter Score {numbers.signed(result.score, plus=True)}",
        subtitle,
    )
    return fig


#: Ticks of the time-ratio axis: halves, thirds and quarters either side of 1.
_RATIO_TICKS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.33, 2.0, 4.0, 10.0, 20.0)


def difference_chart(
    labels: Sequence[str],
    completion: Sequence[ComparisonResult | None],
    times: Sequence[ComparisonResult | None],
    *,
    label_a: str,
    label_b: str,
    confidence_level: float = 0.95,
    subtitle: str = "",
) -> Figure:
    """Per-task differences (B minus A) in completion, and ratios of times, with CIs."""
    fig = _figure(_height_for(len(labels)))
    left, right = fig.subplots(1, 2, sharey=True)
    y = _task_axis(left, labels)
    for i, (pos, result) in enumerate(zip(y, completion, strict=True)):
        if result is None:
            _no_data(left, pos, 1.0)
            continue
        d = 100 * result.difference
        left.plot(
            [d],
            [pos],
            "o",
            ms=10,
            color=OKABE_ITO["blue"],
            gid=f"diff-completion-point-{i}",
        )
        _errorbar(
            left,
            f"diff-completion-errorbar-{i}",
            d,
            pos,
            100 * result.ci.low,
            100 * result.ci.high,
        )
    left.axvline(0, color=GREY, lw=1.5)
    left.set_xlim(-100, 100)
    left.set_xlabel(
        _wrap(f"Completion rate, {label_b} minus {label_a} (percentage points)", 38)
    )
    _style(left)
    right.set_xscale("log")
    shown: list[float] = []
    for i, (pos, result) in enumerate(zip(y, times, strict=True)):
        if result is None:
            continue
        right.plot(
            [result.difference],
            [pos],
            "o",
            ms=10,
            color=OKABE_ITO["orange"],
            gid=f"diff-time-point-{i}",
        )
        _errorbar(
            right,
            f"diff-time-errorbar-{i}",
            result.difference,
            pos,
            result.ci.low,
            result.ci.high,
        )
        shown += [result.ci.low, result.ci.high]
    right.axvline(1, color=GREY, lw=1.5)
    reach = max((abs(math.log(v)) for v in shown if v > 0), default=math.log(2))
    reach = min(max(reach * 1.2, math.log(1.5)), math.log(20))
    right.set_xlim(math.exp(-reach), math.exp(reach))
    # A log axis this narrow gets no decade ticks: name the ratios people read.
    ticks = [t for t in _RATIO_TICKS if math.exp(-reach) <= t <= math.exp(reach)]
    right.xaxis.set_major_locator(FixedLocator(ticks))
    right.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}×"))
    right.xaxis.set_minor_formatter(NullFormatter())
    right.set_xlabel(
        _wrap(f"Time, {label_b} ÷ {label_a} (ratio of geometric means)", 38)
    )
    _style(right)
    right.tick_params(axis="y", left=False)
    fig.suptitle(
        f"{label_b} compared with {label_a}",
        x=0.01,
        ha="left",
        fontsize=_TITLE_SIZE,
        fontweight="bold",
    )
    left.set_title(
        subtitle or f"{_level(confidence_level)} confidence intervals",
        loc="left",
        fontsize=12,
        color=GREY,
        pad=10,
    )
    return fig


#: The reference curves drawn beside the planned one, and where they come from.
_REFERENCE_LABELS = {
    0.1: "p = 0.1 (a problem 1 in 10 people meet)",
    0.31: "p = 0.31 (Nielsen & Landauer's average)",
}


def discovery_chart(
    p: float, goal: float, needed: int, *, references: Sequence[float] = (0.1, 0.31)
) -> Figure:
    """Chance of seeing a problem at least once, 1 - (1 - p)^n, against n."""
    top = max(20, int(needed * 1.5) + 1)
    n = np.arange(1, top + 1)
    fig = _figure(5.6)
    ax = fig.add_subplot()
    colours = (OKABE_ITO["sky_blue"], OKABE_ITO["reddish_purple"], GREY)
    for ref, colour in zip(references, colours, strict=False):
        if math.isclose(ref, p):
            continue
        curve = [100 * stats.problem_discovery(ref, int(k)) for k in n]
        ax.plot(
            n,
            curve,
            color=colour,
            lw=1.5,
            ls="--",
            label=_REFERENCE_LABELS.get(ref, f"p = {ref:g} (for comparison)"),
            gid=f"discovery-reference-{ref:g}",
        )
    curve = [100 * stats.problem_discovery(p, int(k)) for k in n]
    ax.plot(
        n,
        curve,
        color=OKABE_ITO["blue"],
        lw=3,
        label=f"p = {p:g}",
        gid="discovery-curve",
    )
    ax.axhline(
        100 * goal,
        color=OKABE_ITO["vermillion"],
        ls=":",
        lw=2,
        label=f"Goal {100 * goal:g} %",
    )
    ax.axvline(needed, color=OKABE_ITO["vermillion"], lw=1.5)
    ax.annotate(
        f"n = {needed}",
        (needed, 100 * goal),
        xytext=(8, -24),
        textcoords="offset points",
        fontsize=13,
        fontweight="bold",
    )
    ax.set_xlim(0, top)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Participants (n)")
    ax.set_ylabel("Chance a problem is seen at least once (%)")
    ax.legend(loc="lower right", fontsize=11)
    ax.grid(color=LIGHT_GREY, lw=0.8)
    _style(ax)
    _titles(
        fig,
        ax,
        "Problem discovery",
        f"A problem affecting {100 * p:g} % of users: 1 - (1 - p)^n",
    )
    return fig
