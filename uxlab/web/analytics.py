"""Researcher pages for click analytics: first clicks, heatmaps, paths, lostness.

Every route states its permission (:func:`uxlab.web.access.requires`), so a
study of a workspace the researcher is not in is "not found" (404) before
anything is read.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import login_required
from sqlmodel import select

from uxlab import clicks, heatmaps
from uxlab.db import get_session
from uxlab.errors import NotFoundError
from uxlab.models import Study, Task
from uxlab.recorder import origin_of
from uxlab.web.access import current_study, requires
from uxlab.web.links import public_base
from uxlab.workspaces import Permission

__all__ = ["bp"]

bp = Blueprint("analytics", __name__)


@bp.app_template_global()
def heatmap_size(slug: str, key: str) -> tuple[int, int]:
    """The pixel size of a task's heatmap, for its ``<img>`` to keep the space.

    Called from pages that have already checked the researcher's access.
    """
    session = get_session()
    task = session.exec(
        select(Task).join(Study).where(Study.slug == slug, Task.key == key)
    ).first()
    if task is None:
        return heatmaps.EMPTY_SIZE
    return heatmaps.task_heatmap_size(
        session,
        task,
        static_dir=Path(current_app.static_folder or "static"),
        own_origin=origin_of(request.host_url),
    )


@bp.route("/studies/<slug>/clicks")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def study_clicks(slug: str) -> str:
    """First clicks, heatmaps, paths, lostness and recording completeness."""
    session = get_session()
    study = current_study()
    reports = clicks.study_clicks(session, study)
    return render_template("analytics/clicks.html", study=study, reports=reports)


@bp.route("/studies/<slug>/tasks/<key>/heatmap.png")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def heatmap(slug: str, key: str) -> Response:
    """A task's click heatmap as a PNG (``?page=/path`` for another page)."""
    session = get_session()
    study = current_study()
    task = session.exec(
        select(Task).where(Task.study_id == study.id, Task.key == key)
    ).first()
    if task is None:
        raise NotFoundError(f"no task {key!r} in this study")
    png = heatmaps.task_heatmap_png(
        session,
        task,
        static_dir=Path(current_app.static_folder or "static"),
        own_origin=origin_of(public_base()),
        page=request.args.get("page") or None,
    )
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
