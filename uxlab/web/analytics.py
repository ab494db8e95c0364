"""Researcher pages for click analytics: first clicks, heatmaps, paths, lostness.

Every route looks the study up with the researcher as owner, so another
researcher's study is "not found" (404) before anything is read.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import login_required
from sqlmodel import select

from uxlab import clicks, heatmaps
from uxlab.db import get_session
from uxlab.errors import NotFoundError
from uxlab.models import Task
from uxlab.recorder import origin_of
from uxlab.studies import get_study_by_ref
from uxlab.web.auth import current_researcher_id

__all__ = ["bp"]

bp = Blueprint("analytics", __name__)


@bp.route("/studies/<slug>/clicks")
@login_required  # type: ignore[untyped-decorator]
def study_clicks(slug: str) -> str:
    """First clicks, heatmaps, paths, lostness and recording completeness."""
    session = get_session()
    study = get_study_by_ref(session, slug, owner_id=current_researcher_id())
    reports = clicks.study_clicks(session, study)
    return render_template("analytics/clicks.html", study=study, reports=reports)


@bp.route("/studies/<slug>/tasks/<key>/heatmap.png")
@login_required  # type: ignore[untyped-decorator]
def heatmap(slug: str, key: str) -> Response:
    """A task's click heatmap as a PNG (``?page=/path`` for another page)."""
    session = get_session()
    study = get_study_by_ref(session, slug, owner_id=current_researcher_id())
    task = session.exec(
        select(Task).where(Task.study_id == study.id, Task.key == key)
    ).first()
    if task is None:
        raise NotFoundError(f"no task {key!r} in this study")
    png = heatmaps.task_heatmap_png(
        session,
        task,
        static_dir=Path(current_app.static_folder or "static"),
        cache_dir=Path(current_app.instance_path) / "screenshots",
        own_origin=origin_of(request.host_url),
        page=request.args.get("page") or None,
    )
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
