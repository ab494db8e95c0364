"""Click heatmaps drawn with matplotlib over a page screenshot or a test image.

Figures are built with :class:`matplotlib.figure.Figure`, never pyplot, so
nothing is left open in a server process. Screenshots are taken with
Playwright's Chromium (:func:`uxlab.browser.launch_options`) at the viewport
width most participants had, and kept in the database (:class:`Screenshot`), so
every app process and host of a team server shares them.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.image import imread
from numpy.typing import ArrayLike, NDArray
from sqlmodel import Session, col, select

from uxlab.browser import launch_options
from uxlab.clicks import click_density, page_key
from uxlab.db import begin_write, dialect_name, insert_for
from uxlab.errors import NotEnoughDataError
from uxlab.models import (
    Event,
    Participant,
    Screenshot,
    Study,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.recorder import origin_of

__all__ = [
    "EMPTY_SIZE",
    "HeatmapData",
    "draw_heatmap",
    "empty_png",
    "figure_size",
    "heatmap_png",
    "screenshot",
    "task_heatmap_data",
    "task_heatmap_png",
    "task_heatmap_size",
]

#: Transparent where nobody clicked, through yellow to red where most did.
_CMAP = LinearSegmentedColormap.from_list(
    "uxlab_heat",
    [(0, (1, 1, 0, 0)), (0.25, (1, 0.9, 0, 0.45)), (1, (0.85, 0, 0, 0.8))],
)


#: Pixel size of :func:`empty_png`'s picture.
EMPTY_SIZE: Final = (500, 120)


def figure_size(width: float, height: float) -> tuple[int, int]:
    """Pixel size of the heatmap of a ``width`` × ``height`` page or image.

    Pages wider than 900 px are scaled down to 900; the colour bar, title and
    legend add 160 × 90 px. The pages showing a heatmap give its ``<img>``
    this size, so the space is kept before the picture arrives.

    >>> figure_size(1800, 1200), figure_size(400, 300)
    ((1060, 690), (560, 390))
    """
    scale = min(1.0, 900 / width)
    return round(width * scale) + 160, round(height * scale) + 90


def draw_heatmap(
    points: ArrayLike,
    width: float,
    height: float,
    *,
    background: NDArray[Any] | None = None,
    participants: int | None = None,
    title: str = "",
    dpi: int = 100,
) -> Figure:
    """A figure of click density and the individual clicks over ``background``.

    ``points`` are (x, y) in the same units as ``width`` and ``height`` (the
    background's pixels), with y growing downwards as on a page.
    """
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    density = click_density(xy, width, height)
    fig_width, fig_height = figure_size(width, height)
    fig = Figure(figsize=(fig_width / dpi, fig_height / dpi), dpi=dpi)
    ax = fig.add_axes((0.02, 0.1, 0.8, 0.82))
    extent = (0.0, width, height, 0.0)
    if background is not None:
        ax.imshow(background, extent=extent, interpolation="bilinear")
    else:
        ax.set_facecolor("#f4f4f4")
    shown = ax.imshow(
        density.grid / max(density.grid.max(), 1e-12),
        extent=extent,
        cmap=_CMAP,
        vmin=0,
        vmax=1,
        interpolation="bilinear",
    )
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=14,
        c="#1f3a93",
        edgecolors="white",
        linewidths=0.6,
        label=f"clicks ({len(xy)})",
        zorder=3,
    )
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_xticks([])
    ax.set_yticks([])
    who = f"{participants} participants, " if participants is not None else ""
    ax.set_title(f"{title}\n{who}{len(xy)} clicks".strip(), fontsize=9, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(0, 0), fontsize=8, frameon=False)
    bar = fig.colorbar(shown, ax=ax, fraction=0.05, pad=0.02)
    bar.set_label("click density (relative)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def heatmap_png(points: ArrayLike, width: float, height: float, **kwargs: Any) -> bytes:
    """:func:`draw_heatmap` as PNG bytes."""
    return _png(draw_heatmap(points, width, height, **kwargs))


def empty_png(message: str) -> bytes:
    """A small PNG saying why there is no heatmap yet."""
    fig = Figure(figsize=(EMPTY_SIZE[0] / 100, EMPTY_SIZE[1] / 100), dpi=100)
    fig.text(0.5, 0.5, message, ha="center", va="center", fontsize=11)
    return _png(fig)


def _screenshot_key(url: str, width: int, height: int) -> str:
    return hashlib.sha256(f"{url}|{width}|{height}".encode()).hexdigest()[:24]


def _png_height(png: bytes) -> int:
    """A PNG's height in pixels, read from its header."""
    return int.from_bytes(png[20:24], "big")


def screenshot(session: Session, url: str, width: int, *, height: int = 800) -> bytes:
    """A full-page PNG of ``url`` at ``width`` CSS pixels, taken once and stored.

    Two requests that miss at once (two heatmaps of one page, or two hosts)
    each take the picture; the first stored is kept, and both draw over it.
    """
    key = _screenshot_key(url, width, height)
    stored = session.get(Screenshot, key)
    if stored is not None:
        return stored.png
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url, wait_until="load", timeout=15_000)
            png = page.screenshot(full_page=True)
        finally:
            browser.close()
    begin_write(session)
    session.execute(
        insert_for(dialect_name(session), Screenshot.__table__)  # type: ignore[attr-defined]
        .values(
            key=key, url=url, width=width, height=height, png=png, taken_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    session.commit()
    kept = session.get(Screenshot, key, populate_existing=True)
    return kept.png if kept is not None else png


class HeatmapData:
    """What one task's heatmap is drawn from."""

    def __init__(
        self,
        points: list[tuple[float, float]],
        width: float,
        height: float,
        participants: int,
        title: str,
        background: NDArray[Any] | None = None,
    ) -> None:
        self.points = points
        self.width = width
        self.height = height
        self.participants = participants
        self.title = title
        self.background = background


def _number(event: Event, key: str) -> float | None:
    """``event``'s ``key`` as a finite number, or None when it is not one."""
    value = (event.payload or {}).get(key) if isinstance(event.payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _point(event: Event) -> tuple[float, float] | None:
    x, y = _number(event, "x"), _number(event, "y")
    return None if x is None or y is None else (x, y)


def _task_events(session: Session, task: Task, types: Iterable[str]) -> list[Event]:
    return list(
        session.exec(
            select(Event)
            .join(TaskAttempt, col(TaskAttempt.id) == col(Event.attempt_id))
            .join(Participant, col(Participant.id) == col(TaskAttempt.participant_id))
            .where(
                TaskAttempt.task_id == task.id,
                col(Participant.excluded).is_(False),
                col(Participant.preview).is_(False),
                col(Event.type).in_(list(types)),
            )
            .order_by(col(Event.id))
        ).all()
    )


def task_heatmap_data(
    session: Session,
    task: Task,
    *,
    static_dir: Path,
    own_origin: str,
    page: str | None = None,
    take_screenshots: bool = True,
) -> HeatmapData:
    """Clicks and background for a task: its image, or one page of its site.

    With ``take_screenshots=False`` no browser is started: a page's height is
    that of its stored screenshot, else the one the recorder measured.

    For a site task the page is ``page`` (a path) or the one clicked most;
    only clicks made at the most common viewport width are drawn, over a
    screenshot of the page at that width. Screenshots are taken only of the
    study's allowed origins and uxlab's own, never of any URL an event names.
    """
    if task.success_kind == "first_click" or task.settings.get("image"):
        image_path = (static_dir / str(task.settings.get("image", ""))).resolve()
        if static_dir.resolve() not in image_path.parents or not image_path.is_file():
            raise NotEnoughDataError(f"the task's image {image_path.name!r} is missing")
        image = imread(str(image_path))
        h, w = image.shape[:2]
        events = _task_events(session, task, ["first_click"])
        points = []
        for e in events:
            point = _point(e)
            if point is not None:
                points.append((point[0] * w, point[1] * h))
        people = len({e.participant_id for e in events})
        return HeatmapData(points, w, h, people, task.title, image)

    events = _task_events(session, task, ["click"])
    if page is None and events:
        page = Counter(page_key(e.url) for e in events).most_common(1)[0][0]
    events = [e for e in events if page_key(e.url) == page]
    # Rows stored before ingest checked positions may lack them: skipped.
    events = [e for e in events if _point(e) is not None]
    widths = Counter(int(_number(e, "vw") or 0) for e in events)
    if not events or not widths:
        raise NotEnoughDataError("no clicks recorded for this task yet")
    width = widths.most_common(1)[0][0] or 1280
    events = [e for e in events if int(_number(e, "vw") or 0) == width]
    if not events:
        raise NotEnoughDataError("no clicks recorded for this task yet")
    points = [p for p in map(_point, events) if p is not None]
    height = float(max(int(_number(e, "dh") or 0) for e in events) or 800)
    background = None
    study = session.get(Study, task.study_id)
    allowed = {
        o.lower() for o in (study.settings if study else {}).get("allowed_origins", [])
    }
    allowed.add(own_origin.lower())
    url = Counter(e.url.split("#")[0].split("?")[0] for e in events).most_common(1)[0][
        0
    ]
    if origin_of(url) in allowed and not take_screenshots:
        stored = session.get(Screenshot, _screenshot_key(url, width, 800))
        if stored is not None:
            height = float(_png_height(stored.png))
    elif origin_of(url) in allowed:
        try:
            background = imread(io.BytesIO(screenshot(session, url, width)))
            height = float(background.shape[0])
        except Exception:  # noqa: BLE001 - a missing screenshot only loses the backdrop
            background = None
    people = len({e.participant_id for e in events})
    title = f"{task.title}: {page} at {width} px"
    return HeatmapData(points, float(width), height, people, title, background)


def task_heatmap_png(session: Session, task: Task, **kwargs: Any) -> bytes:
    """The task's heatmap as PNG bytes, or a PNG saying there is nothing yet."""
    try:
        data = task_heatmap_data(session, task, **kwargs)
        if not data.points:
            raise NotEnoughDataError("no clicks recorded for this task yet")
    except NotEnoughDataError as exc:
        return empty_png(str(exc).capitalize() + ".")
    return heatmap_png(
        data.points,
        data.width,
        data.height,
        background=data.background,
        participants=data.participants,
        title=data.title,
    )


def task_heatmap_size(
    session: Session, task: Task, *, static_dir: Path, own_origin: str
) -> tuple[int, int]:
    """The pixel size of :func:`task_heatmap_png`'s picture, without drawing it."""
    try:
        data = task_heatmap_data(
            session,
            task,
            static_dir=static_dir,
            own_origin=own_origin,
            take_screenshots=False,
        )
    except NotEnoughDataError:
        return EMPTY_SIZE
    if not data.points:
        return EMPTY_SIZE
    return figure_size(data.width, data.height)
