"""The journey map as a slide: 1920 x 1080 PNG, or SVG with its text as text.

Stages are columns and touchpoints cards, as on the page. Each card gives the
period's NPS, CSAT and CES with their 95 % intervals and counts (or why there
is none), an arrow for a change judged from the interval of the difference,
the open follow-ups, and the linked audit's latest run. A stage with more
cards than fit says how many more there are. The footnote names the methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from sqlmodel import Session, col, select

from uxlab.charts import GREY, LIGHT_GREY, OKABE_ITO
from uxlab.cx import followups, trends, ux_side
from uxlab.cx import journeys as store
from uxlab.cx.journeys import JourneyView
from uxlab.cx.models import CxJourney, CxTouchpoint
from uxlab.cx.trends import Change, Metric, Point
from uxlab.models import Study, utcnow

__all__ = [
    "JourneyMap",
    "MapData",
    "MapNumbers",
    "journey_maps_of_study",
    "map_data",
    "map_figure",
    "map_numbers",
]

#: A 16:9 slide; charts render PNGs at 150 dpi, so 1920 x 1080 pixels.
SLIDE_IN = (12.8, 7.2)
#: Most cards drawn in one column; the rest are counted.
MAX_CARDS = 8


@dataclass(frozen=True, slots=True)
class MapData:
    """What the map page shows for one period, as the slide needs it."""

    journey: str
    label: str
    view: JourneyView
    scores: dict[int, Point]
    moves: dict[int, dict[str, Change | None]]
    open_followups: dict[int, int]
    audits: dict[int, str]


@dataclass(frozen=True, slots=True)
class MapNumbers:
    """The map's figures for one period: the page and the slide both show them."""

    view: JourneyView
    every: trends.Every
    start: date
    scores: dict[int, Point]
    moves: dict[int, dict[str, Change | None]]
    open_followups: dict[int, int]
    ux: dict[int, ux_side.UxSide]


def map_numbers(
    db: Session, journey: CxJourney, every: trends.Every, start: date
) -> MapNumbers:
    """Each touchpoint's scores for the period from ``start``, with their moves."""
    view = store.journey_view(db, journey)
    ids = [t.id for s in view.stages for t in s.touchpoints if t.id is not None]
    scores = trends.by_touchpoint(db, ids, every, start)
    before = trends.periods_back(every, start, 2)[0]
    earlier = trends.by_touchpoint(db, ids, every, before)
    moves = {
        tid: trends.changes(earlier[tid], point, every) for tid, point in scores.items()
    }
    return MapNumbers(
        view=view,
        every=every,
        start=start,
        scores=scores,
        moves=moves,
        open_followups=followups.open_counts(db, ids),
        ux=ux_side.ux_side(db, ids),
    )


def map_data(numbers: MapNumbers) -> MapData:
    """What the slide draws of the map's figures."""
    audits = {
        tid: (
            f"Audit {side.audit.project.name}: run #{side.audit.run.id} "
            f"{side.audit.run.status.value}, {side.audit.critical} critical"
        )
        for tid, side in numbers.ux.items()
        if side.audit is not None and side.audit.run is not None
    }
    return MapData(
        journey=numbers.view.journey.name,
        label=trends.period_label(numbers.every, numbers.start),
        view=numbers.view,
        scores=numbers.scores,
        moves=numbers.moves,
        open_followups=numbers.open_followups,
        audits=audits,
    )


def _metric(m: Metric, move: Change | None) -> str:
    if m.n == 0:
        return f"{m.label}: no answers"
    value = f"{m.value:+.0f}" if m.label == "NPS" else f"{m.value:.0f}%"
    arrow = f" {move.arrow}" if move else ""
    if m.ci is None:
        return f"{m.label} {value}{arrow}  n = {m.n}, too few for an interval"
    unit = "" if m.label == "NPS" else "%"
    caution = " (caution)" if m.caution else ""
    return (
        f"{m.label} {value}{arrow}  CI {m.ci.low:.0f} to {m.ci.high:.0f}{unit}, "
        f"n = {m.n}{caution}"
    )


def map_figure(data: MapData) -> Figure:
    """Draw the map for one period on a 16:9 slide."""
    fig = Figure(figsize=SLIDE_IN)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.text(
        0.015, 0.965, f"{data.journey}: journey map, {data.label}",
        fontsize=18, fontweight="bold", va="top",
    )  # fmt: skip
    columns = max(len(data.view.stages), 1)
    width = (1 - 0.03) / columns
    top, bottom = 0.88, 0.07
    for c, stage in enumerate(data.view.stages):
        x = 0.015 + c * width
        ax.text(x + 0.004, top + 0.01, stage.stage.name, fontsize=13, fontweight="bold")
        cards = stage.touchpoints[:MAX_CARDS]
        slots = max(len(cards), 3)
        height = (top - bottom) / slots
        for r, touchpoint in enumerate(cards):
            y = top - (r + 1) * height
            ax.add_patch(
                FancyBboxPatch(
                    (x + 0.004, y + 0.006), width - 0.012, height - 0.012,
                    boxstyle="round,pad=0,rounding_size=0.006",
                    facecolor="white", edgecolor=LIGHT_GREY, linewidth=1,
                )
            )  # fmt: skip
            lines = _card_lines(data, touchpoint.id or 0)
            size = (9 if height > 0.13 else 7) - (1 if columns > 4 else 0)
            ax.text(
                x + 0.01, y + height - 0.018, touchpoint.name,
                fontsize=size + 1.5, fontweight="bold", va="top", clip_on=True,
            )  # fmt: skip
            ax.text(
                x + 0.01, y + height - 0.018 - 0.03 * (size / 9), "\n".join(lines),
                fontsize=size, va="top", color=OKABE_ITO["black"], linespacing=1.35,
                clip_on=True,
            )  # fmt: skip
        hidden = len(stage.touchpoints) - len(cards)
        if hidden > 0:
            ax.text(
                x + 0.01, bottom - 0.02, f"and {hidden} more on the map page",
                fontsize=9, color=GREY,
            )  # fmt: skip
    ax.text(
        0.015, 0.015,
        "CI: 95% intervals. NPS adjusted Wald (Rocks 2016); CSAT share satisfied "
        "(4-5) and CES share who agree (5-7), adjusted Wald (Sauro & Lewis 2005).\n"
        "Arrows: the change from the period before, judged from the 95% interval "
        "of the difference (↑ higher, ↓ lower, → no detectable change).",
        fontsize=8, color=GREY,
    )  # fmt: skip
    return fig


def _card_lines(data: MapData, touchpoint_id: int) -> list[str]:
    point = data.scores.get(touchpoint_id)
    if point is None or point.n == 0:
        lines = [f"No answers in {data.label}"]
    else:
        moves: dict[str, Any] = data.moves.get(touchpoint_id, {})
        lines = [f"{point.n} responses"] + [
            _metric(getattr(point, key), moves.get(key))
            for key in ("nps", "csat", "ces")
            if getattr(point, key).n
        ]
    waiting = data.open_followups.get(touchpoint_id, 0)
    if waiting:
        lines.append(f"{waiting} open follow-up{'s' if waiting != 1 else ''}")
    audit = data.audits.get(touchpoint_id)
    if audit:
        lines.append(audit)
    return lines


@dataclass(frozen=True, slots=True)
class JourneyMap:
    """A journey map for a study's report: the slide, and why it is there."""

    journey: str
    label: str
    #: The touchpoints the study is aimed at, by name.
    touchpoints: tuple[str, ...]
    svg: bytes


def journey_maps_of_study(
    db: Session, study: Study, *, every: trends.Every = trends.Every.month
) -> list[JourneyMap]:
    """The map of each journey with a touchpoint the study is aimed at, this period.

    Only journeys of the study's own workspace: a link never shows another
    workspace's customers.
    """
    from uxlab.charts import render

    if study.id is None or study.workspace_id is None:
        return []
    rows = db.exec(
        select(CxTouchpoint, CxJourney)
        .join(
            ux_side.CxTouchpointLink,
            col(ux_side.CxTouchpointLink.touchpoint_id) == CxTouchpoint.id,
        )
        .join(CxJourney, col(CxJourney.id) == CxTouchpoint.journey_id)
        .where(
            ux_side.CxTouchpointLink.study_id == study.id,
            CxJourney.workspace_id == study.workspace_id,
        )
        .order_by(col(CxJourney.id), col(CxTouchpoint.position))
    ).all()
    aimed: dict[int, tuple[CxJourney, list[str]]] = {}
    for point, journey in rows:
        assert journey.id is not None
        aimed.setdefault(journey.id, (journey, []))[1].append(point.name)
    start = trends.period_start(every, utcnow())
    maps = []
    for journey, names in aimed.values():
        data = map_data(map_numbers(db, journey, every, start))
        maps.append(
            JourneyMap(
                journey=journey.name,
                label=data.label,
                touchpoints=tuple(names),
                svg=render(map_figure(data), "svg"),
            )
        )
    return maps
