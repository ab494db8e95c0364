"""NPS, CSAT and CES per touchpoint and period, from SQL aggregates.

The database counts, per period (the stored ``week`` or ``month`` column):
promoters, passives and detractors; CSAT answers and satisfied ones (4-5 of
5); CES answers and those who agree (5-7 of 7). The intervals come from those
counts with :mod:`uxlab.stats`, so no answer is loaded into Python:

- NPS: :func:`uxlab.stats.nps_from_counts`, adjusted Wald (Rocks 2016);
- CSAT, share satisfied (top-2 box): :func:`uxlab.stats.completion_rate`,
  adjusted Wald (Sauro & Lewis 2005), as :func:`uxlab.stats.csat`;
- CES, share who agree (5-7): the same, as the study results' CES line.

A period with fewer than :data:`MIN_N` answers to a question shows its count
and no interval; below :data:`CAUTION_N` the interval carries a caution.

A change from one period to the next is judged as the Compare page judges
two designs, from the interval of the difference (:func:`change`): the NPS
difference with the adjusted Wald of Rocks (2016), a share's with Sauro &
Lewis's adjusted-Wald difference. Periods too small for an interval are not
compared.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from uxlab import stats
from uxlab.analysis.compare import verdict
from uxlab.cx.feedback import month_of, week_of
from uxlab.cx.models import CxChannel, CxResponse
from uxlab.models import utcnow
from uxlab.numbers import signed
from uxlab.stats.results import ConfidenceInterval

__all__ = [
    "CAUTION_N",
    "CHART_H",
    "CHART_PAD",
    "CHART_W",
    "Change",
    "ChartMark",
    "MIN_N",
    "Every",
    "Metric",
    "Point",
    "by_touchpoint",
    "change",
    "changes",
    "chart_marks",
    "period_label",
    "period_start",
    "period_column",
    "periods_back",
    "Segment",
    "segments",
    "trend",
]

#: Fewer answers than this in a period: the count, no interval.
MIN_N = 5
#: Fewer answers than this: the interval is shown with a caution.
CAUTION_N = 30
CONFIDENCE = 0.95

_NPS_METHOD = "adjusted Wald (Rocks 2016)"
_SHARE_METHOD = "adjusted Wald (Sauro & Lewis 2005)"


class Every(enum.StrEnum):
    week = "week"
    month = "month"


@dataclass(frozen=True, slots=True)
class Metric:
    """One score for one period: NPS (-100..100) or a share in percent."""

    label: str
    n: int
    value: float | None
    ci: ConfidenceInterval | None
    method: str
    #: What the share counts ("satisfied (4-5)"); empty for NPS.
    counts: str = ""
    #: The counts behind it: (promoters, passives, detractors) for NPS,
    #: (hits, n) for a share.
    tally: tuple[int, ...] = ()

    @property
    def caution(self) -> bool:
        return self.ci is not None and self.n < CAUTION_N


@dataclass(frozen=True, slots=True)
class Point:
    period: date
    #: Responses in the period (any question answered).
    n: int
    nps: Metric
    csat: Metric
    ces: Metric


def period_start(every: Every, moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        return week_of(moment) if every is Every.week else month_of(moment)
    if every is Every.week:
        return moment - timedelta(days=moment.weekday())
    return moment.replace(day=1)


def period_label(every: Every, start: date) -> str:
    if every is Every.week:
        return f"week of {start.isoformat()}"
    return start.strftime("%B %Y")


def periods_back(every: Every, last: date, count: int) -> list[date]:
    """``count`` periods ending with the one starting at ``last``, oldest first."""
    found = [last]
    while len(found) < count:
        current = found[-1]
        if every is Every.week:
            found.append(current - timedelta(days=7))
        else:
            found.append((current - timedelta(days=1)).replace(day=1))
    return found[::-1]


def _counts(period: Any) -> list[Any]:
    def n_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        func.count(col(CxResponse.id)),
        n_if(col(CxResponse.nps) >= 9),
        n_if(col(CxResponse.nps).between(7, 8)),
        n_if(col(CxResponse.nps) <= 6),
        func.count(col(CxResponse.csat)),
        n_if(col(CxResponse.csat) >= 4),
        func.count(col(CxResponse.ces)),
        n_if(col(CxResponse.ces) >= 5),
    ]


def _nps(pro: int, pas: int, det: int) -> Metric:
    n = pro + pas + det
    if n == 0:
        return Metric("NPS", 0, None, None, _NPS_METHOD)
    result = stats.nps_from_counts(
        pro, pas, det, confidence_level=CONFIDENCE, method="adjusted-wald"
    )
    ci = result.ci if n >= MIN_N else None
    return Metric("NPS", n, result.score, ci, _NPS_METHOD, tally=(pro, pas, det))


def _share(label: str, counts: str, hits: int, n: int) -> Metric:
    if n == 0:
        return Metric(label, 0, None, None, _SHARE_METHOD, counts)
    result = stats.completion_rate(
        hits, n, confidence_level=CONFIDENCE, method="adjusted-wald"
    )
    ci = None
    if n >= MIN_N:
        ci = ConfidenceInterval(100 * result.ci.low, 100 * result.ci.high)
    return Metric(label, n, 100 * hits / n, ci, _SHARE_METHOD, counts, (hits, n))


def _point(period: date, row: Any) -> Point:
    n, pro, pas, det, csat_n, csat_hits, ces_n, ces_hits = (int(v) for v in row)
    return Point(
        period=period,
        n=n,
        nps=_nps(pro, pas, det),
        csat=_share("CSAT", "satisfied (4-5)", csat_hits, csat_n),
        ces=_share("CES", "agree (5-7)", ces_hits, ces_n),
    )


def period_column(every: Every) -> Any:
    return col(CxResponse.week) if every is Every.week else col(CxResponse.month)


def trend(
    db: Session,
    touchpoint_id: int,
    every: Every,
    *,
    periods: int = 12,
    until: datetime | None = None,
) -> list[Point]:
    """The last ``periods`` periods up to ``until`` (now), oldest first.

    Periods without answers are listed too, with n = 0.
    """
    last = period_start(every, until or utcnow())
    wanted = periods_back(every, last, periods)
    period = period_column(every)
    rows = db.exec(
        select(period, *_counts(period))
        .where(
            CxResponse.touchpoint_id == touchpoint_id,
            period >= wanted[0],
            period <= wanted[-1],
        )
        .group_by(period)
    ).all()
    found = {_as_date(row[0]): row[1:] for row in rows}
    empty = (0,) * 8
    return [_point(p, found.get(p, empty)) for p in wanted]


def by_touchpoint(
    db: Session, touchpoint_ids: list[int], every: Every, start: date
) -> dict[int, Point]:
    """Each touchpoint's scores in the period starting ``start`` (one query)."""
    if not touchpoint_ids:
        return {}
    period = period_column(every)
    rows = db.exec(
        select(CxResponse.touchpoint_id, *_counts(period))
        .where(
            col(CxResponse.touchpoint_id).in_(touchpoint_ids),
            period == start,
        )
        .group_by(CxResponse.touchpoint_id)
    ).all()
    found = {int(row[0]): row[1:] for row in rows}
    empty = (0,) * 8
    return {t: _point(start, found.get(t, empty)) for t in touchpoint_ids}


_KEYS = ("nps", "csat", "ces")


@dataclass(frozen=True, slots=True)
class Change:
    """How one score moved from one period to the next, judged by its interval."""

    key: str
    label: str
    #: +1 higher, -1 lower, 0 no detectable difference.
    direction: int
    #: Later minus earlier, in points, with its interval.
    difference: float
    ci: ConfidenceInterval
    method: str
    sentence: str

    @property
    def arrow(self) -> str:
        return {1: "↑", -1: "↓", 0: "→"}[self.direction]

    @property
    def words(self) -> str:
        return {1: "higher", -1: "lower", 0: "no detectable change"}[self.direction]


def change(earlier: Point, later: Point, key: str, every: Every) -> Change | None:
    """``key``'s change from ``earlier`` to ``later``; None when either is too small.

    The verdict is read from the interval of the difference, at 95 %.
    """
    before: Metric = getattr(earlier, key)
    after: Metric = getattr(later, key)
    if before.ci is None or after.ci is None:
        return None
    if key == "nps":
        pro1, pas1, det1 = after.tally
        pro0, pas0, det0 = before.tally
        result = stats.compare_nps(
            (pro1, pas1, det1), (pro0, pas0, det0), confidence_level=CONFIDENCE
        )
        scale, method = 1.0, "adjusted Wald difference (Rocks 2016)"
    else:
        (hits1, n1), (hits0, n0) = after.tally, before.tally
        result = stats.compare_completion(
            hits1, n1, hits0, n0, confidence_level=CONFIDENCE
        )
        scale, method = 100.0, "adjusted Wald difference (Sauro & Lewis)"
    diff, low, high = (scale * v for v in (result.difference, *result.ci))
    ci = ConfidenceInterval(low, high)
    direction = verdict(ci)
    was = period_label(every, earlier.period)
    # Enough decimals that an end off zero never prints as 0 beside a verdict.
    d = 0
    while d < 3 and any(v != 0 and round(v, d) == 0 for v in (low, high)):
        d += 1
    span = f"{signed(low, d)} to {signed(high, d)} points"
    if direction == 0:
        sentence = (
            f"{after.label}: no detectable change from {was}; the 95 % interval "
            f"of the difference runs from {span}"
        )
    else:
        sentence = (
            f"{after.label}: {'higher' if direction > 0 else 'lower'} than {was} "
            f"by {abs(diff):.{d}f} points (95 % CI {span})"
        )
    return Change(
        key, after.label, direction, diff, ci, method, f"{sentence}, {method}."
    )


def changes(earlier: Point, later: Point, every: Every) -> dict[str, Change | None]:
    """Each score's :func:`change` from ``earlier`` to ``later``."""
    return {key: change(earlier, later, key, every) for key in _KEYS}


#: Most segments listed; smaller ones are summed into one "other" row.
MAX_SEGMENTS = 20
#: The label of answers that did not carry the hidden field.
NOT_GIVEN = "(not given)"


@dataclass(frozen=True, slots=True)
class Segment:
    """One group of a split: its label and its scores over the periods asked."""

    label: str
    point: Point


def segments(
    db: Session,
    touchpoint_id: int,
    every: Every,
    by: str,
    *,
    periods: int = 12,
    until: datetime | None = None,
) -> list[Segment]:
    """Scores per channel (``by="channel"``) or per value of a hidden field.

    Over the same periods as :func:`trend`, largest group first; past
    :data:`MAX_SEGMENTS` the smaller groups are summed into one row.
    """
    wanted = periods_back(every, period_start(every, until or utcnow()), periods)
    period = period_column(every)
    if by == "channel":
        key: Any = col(CxChannel.kind)
    else:
        key = col(CxResponse.hidden)[by].as_string()
    query = select(key, *_counts(period)).where(
        CxResponse.touchpoint_id == touchpoint_id,
        period >= wanted[0],
        period <= wanted[-1],
    )
    if by == "channel":
        query = query.join(CxChannel, col(CxChannel.id) == col(CxResponse.channel_id))
    rows = sorted(
        db.exec(query.group_by(key)).all(), key=lambda r: (-int(r[1]), str(r[0]))
    )
    found = [
        Segment(
            NOT_GIVEN if row[0] in (None, "") else str(row[0]),
            _point(wanted[0], row[1:]),
        )
        for row in rows[:MAX_SEGMENTS]
    ]
    rest = rows[MAX_SEGMENTS:]
    if rest:
        summed = tuple(sum(int(r[i]) for r in rest) for i in range(1, 9))
        found.append(Segment(f"{len(rest)} other values", _point(wanted[0], summed)))
    return found


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class ChartMark:
    """A period's mark in a trend chart, in the chart's own units (SVG)."""

    x: float
    y: float
    #: The interval's ends, or None when the period has too few answers.
    low: float | None
    high: float | None
    title: str


#: Width and height of a trend chart's plotting area, and its margin.
CHART_W, CHART_H, CHART_PAD = 800.0, 140.0, 40.0


def chart_marks(points: list[Point], key: str) -> list[ChartMark]:
    """Marks for one score (``nps``, ``csat``, ``ces``) over the periods given.

    NPS spans -100..100, the shares 0..100; periods without answers get no mark.
    """
    lo, hi = (-100.0, 100.0) if key == "nps" else (0.0, 100.0)

    def y(value: float) -> float:
        return CHART_PAD + CHART_H * (hi - value) / (hi - lo)

    step = CHART_W / max(len(points), 1)
    marks: list[ChartMark] = []
    for i, point in enumerate(points):
        metric: Metric = getattr(point, key)
        if metric.value is None:
            continue
        unit = "" if key == "nps" else "%"
        title = f"{point.period.isoformat()}: {metric.label} {metric.value:.0f}{unit}"
        if metric.ci is not None:
            title += f" (95% CI {metric.ci.low:.0f} to {metric.ci.high:.0f}{unit})"
        title += f", n = {metric.n}"
        marks.append(
            ChartMark(
                x=CHART_PAD + step * (i + 0.5),
                y=y(metric.value),
                low=y(metric.ci.low) if metric.ci else None,
                high=y(metric.ci.high) if metric.ci else None,
                title=title,
            )
        )
    return marks
