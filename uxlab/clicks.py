"""Click analytics: heatmap density, first clicks, paths, lostness, misclicks.

The pure functions take plain sequences and numpy arrays, so they can be used
from a notebook; :func:`task_clicks` reads one task's recorded events and
attempts and puts them all together for the researcher pages.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import gaussian_filter
from sqlmodel import Session, col, select

from uxlab import stats
from uxlab.errors import NotEnoughDataError
from uxlab.models import Event, Outcome, Participant, Study, Task, TaskAttempt
from uxlab.recorder import Completeness, completeness
from uxlab.stats import ProportionResult

__all__ = [
    "AttemptPath",
    "Density",
    "FirstClickSplit",
    "TaskClicks",
    "click_density",
    "common_paths",
    "first_click_success",
    "in_region",
    "misclick_rate",
    "page_key",
    "page_path",
    "path_lostness",
    "shortest_successful_path",
    "study_clicks",
    "success_by_first_click",
    "task_clicks",
]


# ------------------------------------------------------------------ density


@dataclass(frozen=True, slots=True)
class Density:
    """A smoothed click density on a ``height`` x ``width`` grid.

    ``grid[row, col]`` covers y in ``[row, row+1) * cell`` and x likewise, in
    the clicks' own units (pixels, or fractions of an image).
    """

    grid: NDArray[np.float64]
    width: float
    height: float
    clicks: int

    @property
    def peak(self) -> tuple[float, float]:
        """The (x, y) centre of the densest cell."""
        row, column = np.unravel_index(int(np.argmax(self.grid)), self.grid.shape)
        ny, nx = self.grid.shape
        return (
            (column + 0.5) * self.width / nx,
            (row + 0.5) * self.height / ny,
        )


def click_density(
    points: ArrayLike,
    width: float,
    height: float,
    *,
    bins: int = 100,
    bandwidth: float = 0.02,
) -> Density:
    """Smoothed density of click positions inside a ``width`` x ``height`` area.

    A 2-D histogram blurred with a Gaussian whose standard deviation is
    ``bandwidth`` times the larger side; normalised to sum to 1.

    >>> d = click_density([(10, 10), (11, 9), (90, 50)], 100, 60, bins=50)
    >>> [round(v) for v in d.peak]
    [11, 9]
    """
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    if width <= 0 or height <= 0:
        raise ValueError(f"width ({width}) and height ({height}) must be positive")
    if bins < 2:
        raise ValueError(f"bins ({bins}) must be at least 2")
    if len(xy) == 0:
        raise NotEnoughDataError("no clicks to draw a density from")
    aspect = height / width
    nx = bins
    ny = max(2, round(bins * aspect))
    hist, _, _ = np.histogram2d(
        xy[:, 1], xy[:, 0], bins=(ny, nx), range=((0, height), (0, width))
    )
    sigma = bandwidth * max(nx, ny)
    grid = gaussian_filter(hist, sigma=sigma, mode="constant")
    total = grid.sum()
    if total > 0:
        grid = grid / total
    return Density(grid=grid, width=float(width), height=float(height), clicks=len(xy))


# -------------------------------------------------------------- first clicks


def in_region(x: float, y: float, region: Mapping[str, float]) -> bool:
    """Whether (x, y) lies in a region {x, y, width, height} (edges included).

    >>> in_region(0.5, 0.5, {"x": 0.4, "y": 0.4, "width": 0.2, "height": 0.2})
    True
    """
    return bool(
        region["x"] <= x <= region["x"] + region["width"]
        and region["y"] <= y <= region["y"] + region["height"]
    )


def first_click_success(
    correct: Sequence[bool], *, confidence_level: float = 0.95
) -> ProportionResult:
    """Share of participants whose first click was on target, adjusted-Wald CI.

    >>> r = first_click_success([True, True, True, False])
    >>> r.successes, r.trials
    (3, 4)
    """
    if not correct:
        raise NotEnoughDataError("no first clicks yet")
    return stats.completion_rate(
        sum(bool(c) for c in correct),
        len(correct),
        confidence_level=confidence_level,
    )


@dataclass(frozen=True, slots=True)
class FirstClickSplit:
    """Task success for participants whose first click was right, and wrong."""

    correct: ProportionResult | None
    incorrect: ProportionResult | None


def success_by_first_click(
    first_correct: Sequence[bool], succeeded: Sequence[bool]
) -> FirstClickSplit:
    """Task success rates split by whether the first click was on target.

    >>> s = success_by_first_click([True, True, False], [True, True, False])
    >>> s.correct.observed, s.incorrect.observed
    (1.0, 0.0)
    """
    if len(first_correct) != len(succeeded):
        raise ValueError(
            f"first_correct ({len(first_correct)}) and succeeded "
            f"({len(succeeded)}) must have the same length"
        )

    def rate(group: bool) -> ProportionResult | None:
        outcomes = [
            s for f, s in zip(first_correct, succeeded, strict=True) if f is group
        ]
        if not outcomes:
            return None
        return stats.completion_rate(sum(outcomes), len(outcomes))

    return FirstClickSplit(correct=rate(True), incorrect=rate(False))


# -------------------------------------------------------------------- paths


def page_key(url: str) -> str:
    """A page's identity in a path: its path, without query, fragment or host.

    >>> page_key("http://shop.test/cart.html?uxlab_attempt=x#top")
    '/cart.html'
    """
    parts = urlsplit(url)
    return parts.path or "/"


def page_path(urls: Iterable[str]) -> tuple[str, ...]:
    """Pages visited in order, a reload of the same page not counting twice.

    >>> page_path(["http://s/a", "http://s/a?x=1", "http://s/b", "http://s/a"])
    ('/a', '/b', '/a')
    """
    out: list[str] = []
    for url in urls:
        key = page_key(url)
        if not out or out[-1] != key:
            out.append(key)
    return tuple(out)


def common_paths(
    paths: Iterable[Sequence[str]], *, top: int = 5
) -> list[tuple[tuple[str, ...], int]]:
    """The most common paths with how many attempts took each.

    >>> common_paths([("/a", "/b"), ("/a", "/b"), ("/a",)], top=1)
    [(('/a', '/b'), 2)]
    """
    counts = Counter(tuple(p) for p in paths if p)
    return sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[:top]


def path_lostness(path: Sequence[str], minimum_pages: int) -> float:
    """Smith's (1996) lostness of one path against the task's shortest path.

    >>> round(path_lostness(["/a", "/b", "/a", "/c"], 3), 4)
    0.25
    """
    if not path:
        raise NotEnoughDataError("an empty path has no lostness")
    return stats.lostness(len(set(path)), len(path), minimum_pages)


def shortest_successful_path(
    paths: Sequence[Sequence[str]], succeeded: Sequence[bool]
) -> int | None:
    """Fewest distinct pages any successful attempt needed (None if none did).

    >>> shortest_successful_path([("/a", "/b", "/c"), ("/a", "/c")], [True, True])
    2
    """
    lengths = [len(set(p)) for p, ok in zip(paths, succeeded, strict=True) if ok and p]
    return min(lengths) if lengths else None


def misclick_rate(interactive: Sequence[bool]) -> float:
    """Share of clicks that landed on something not interactive.

    >>> misclick_rate([True, False, True, True])
    0.25
    """
    if not interactive:
        raise NotEnoughDataError("no clicks")
    return sum(not i for i in interactive) / len(interactive)


# --------------------------------------------------------- per-task report


@dataclass(frozen=True, slots=True)
class AttemptPath:
    attempt_id: int
    participant_code: str
    outcome: str | None
    path: tuple[str, ...]
    lostness: float | None
    first_click_correct: bool | None
    completeness: Completeness | None


@dataclass(slots=True)
class TaskClicks:
    """Everything the click page shows for one task."""

    task: Task
    attempts: list[AttemptPath] = field(default_factory=list)
    clicks: int = 0
    participants: int = 0
    first_click: ProportionResult | None = None
    split: FirstClickSplit | None = None
    paths: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    shortest_path: int | None = None
    shortest_path_source: str = ""
    mean_lostness: float | None = None
    misclicks: float | None = None
    rage_clicks: int = 0
    dead_clicks: int = 0
    pages: list[tuple[str, int]] = field(default_factory=list)

    @property
    def is_first_click(self) -> bool:
        return self.task.success_kind == "first_click"


def _first_click_correct(task: Task, event: Event | None) -> bool | None:
    """Whether a first click (an image click or a site click) hit the target."""
    if event is None:
        return None
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    if task.success_kind == "first_click":
        try:
            region = json.loads(task.success_value)
            x, y = float(payload["x"]), float(payload["y"])
            if not (math.isfinite(x) and math.isfinite(y)):
                return None
            return in_region(x, y, region)
        except (KeyError, TypeError, ValueError):
            return None
    # Only a target the study names: a success element (an order confirmation)
    # is where a task ends, not where its first click should land.
    targets = task.settings.get("first_click_selector") or []  # a list
    if not targets:
        return None
    selector = str(payload.get("selector", ""))
    return any(selector == t or selector.endswith(" > " + str(t)) for t in targets)


def task_clicks(session: Session, task: Task) -> TaskClicks:
    """Gather one task's clicks, first clicks, paths, lostness and completeness."""
    rows = session.exec(
        select(TaskAttempt, Participant.code)
        .join(Participant, col(Participant.id) == col(TaskAttempt.participant_id))
        .where(
            TaskAttempt.task_id == task.id,
            col(Participant.excluded).is_(False),
            col(Participant.preview).is_(False),
        )
        .order_by(col(TaskAttempt.id))
    ).all()
    attempts = {a.id: (a, code) for a, code in rows if a.id is not None}
    events = session.exec(
        select(Event)
        .where(col(Event.attempt_id).in_(list(attempts)))
        .order_by(col(Event.attempt_id), col(Event.seq), col(Event.id))
    ).all()
    by_attempt: dict[int, list[Event]] = {i: [] for i in attempts}
    for e in events:
        if e.attempt_id is not None:
            by_attempt[e.attempt_id].append(e)
    report = TaskClicks(task=task)
    done = completeness(session, list(attempts))

    paths: dict[int, tuple[str, ...]] = {}
    firsts: dict[int, bool | None] = {}
    interactive: list[bool] = []
    pages: Counter[str] = Counter()
    clickers: set[int] = set()
    for attempt_id, evs in by_attempt.items():
        paths[attempt_id] = page_path(
            e.url for e in evs if e.type in ("page_view", "route_change")
        )
        first = next((e for e in evs if e.type in ("click", "first_click")), None)
        firsts[attempt_id] = _first_click_correct(task, first)
        for e in evs:
            if e.type in ("click", "first_click"):
                report.clicks += 1
                clickers.add(attempt_id)
                if e.type == "click":
                    interactive.append(bool((e.payload or {}).get("interactive")))
                    pages[page_key(e.url)] += 1
            elif e.type == "rage_click":
                report.rage_clicks += 1
            elif e.type == "dead_click":
                report.dead_clicks += 1
    report.participants = len(clickers)
    report.pages = pages.most_common()
    report.misclicks = misclick_rate(interactive) if interactive else None
    report.paths = common_paths(paths.values())

    succeeded = {i: a.outcome == Outcome.success for i, (a, _c) in attempts.items()}
    shortest = task.settings.get("shortest_path")
    # The baseline of lostness (Smith 1996): the study's own shortest path,
    # else the path its latest pre-flight took, else the shortest observed.
    from uxlab.audits.preflight import baseline_label, preflight_baseline

    preflight = None if shortest else preflight_baseline(session, task)
    if shortest:
        report.shortest_path, report.shortest_path_source = int(shortest), "study file"
    elif preflight is not None:
        report.shortest_path = preflight[0]
        report.shortest_path_source = baseline_label(preflight[1])
    else:
        ids = list(paths)
        observed = shortest_successful_path(
            [paths[i] for i in ids], [succeeded[i] for i in ids]
        )
        if observed is not None:
            report.shortest_path = observed
            report.shortest_path_source = "shortest successful path observed"

    lost: list[float] = []
    for attempt_id, (attempt, code) in attempts.items():
        path = paths[attempt_id]
        value = None
        # Fewer different pages than the shortest path means page views are
        # missing (or the study file's shortest path is wrong): Smith's formula
        # would give a value above its own supremum, so none is given.
        if path and report.shortest_path and len(set(path)) >= report.shortest_path:
            value = path_lostness(path, report.shortest_path)
            if succeeded[attempt_id]:
                lost.append(value)
        report.attempts.append(
            AttemptPath(
                attempt_id=attempt_id,
                participant_code=code,
                outcome=str(attempt.outcome) if attempt.outcome else None,
                path=path,
                lostness=value,
                first_click_correct=firsts[attempt_id],
                completeness=done.get(attempt_id),
            )
        )
    report.mean_lostness = float(np.mean(lost)) if lost else None

    judged = [i for i in attempts if firsts[i] is not None]
    if judged:
        report.first_click = first_click_success([bool(firsts[i]) for i in judged])
        if not report.is_first_click:
            ended = [i for i in judged if attempts[i][0].outcome is not None]
            if ended:
                report.split = success_by_first_click(
                    [bool(firsts[i]) for i in ended], [succeeded[i] for i in ended]
                )
    return report


def study_clicks(session: Session, study: Study) -> list[TaskClicks]:
    """:func:`task_clicks` for every task of a study, in task order."""
    tasks = session.exec(
        select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
    ).all()
    return [task_clicks(session, t) for t in tasks]
