"""Coding a touchpoint's open answers, and starting work from a theme.

The workspace's codebook of customer answers is shared by all its
touchpoints; each touchpoint page lists it with forms to add, rename and
delete codes, and each open answer has the form that ticks its codes. A
code's answers at a touchpoint can start a draft usability study or an audit
project aimed at it. Every form here takes the editor role, and answers with
a redirect back to the touchpoint, a problem flashed there.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab import coding
from uxlab.coding import Codebook, forms
from uxlab.cx import journeys as store
from uxlab.cx import themes
from uxlab.cx.models import CxTouchpoint
from uxlab.db import get_session
from uxlab.models import Researcher, Workspace
from uxlab.web.access import requires
from uxlab.workspaces import Permission

__all__ = ["bp"]

bp = Blueprint("cx_codes", __name__)

_BASE = "/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>"


def _workspace() -> Workspace:
    workspace: Workspace = g.workspace
    assert workspace.id is not None
    return workspace


def _book() -> Codebook:
    return Codebook.customer_answers(_workspace().id or 0)


def _touchpoint(touchpoint_id: int) -> CxTouchpoint:
    return store.get_touchpoint(get_session(), _workspace().id or 0, touchpoint_id)[1]


def _back(touchpoint_id: int, anchor: str) -> WerkzeugResponse:
    return redirect(
        url_for(
            "cx.touchpoint",
            workspace=_workspace().slug,
            touchpoint_id=touchpoint_id,
            _anchor=anchor,
        ),
        303,
    )


@bp.route(f"{_BASE}/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def add_code(workspace: str, touchpoint_id: int) -> WerkzeugResponse:
    """Make a code in the workspace's codebook of customer answers."""
    _touchpoint(touchpoint_id)
    db = get_session()

    def add() -> str:
        label = request.form.get("label", "")
        return f"Code “{coding.add_code(db, _book(), label).label}” added."

    forms.save(db, add)
    return _back(touchpoint_id, "codes-head")


@bp.route(f"{_BASE}/codes/<int:code_id>", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def edit_code(workspace: str, touchpoint_id: int, code_id: int) -> WerkzeugResponse:
    """Rename a code (``action=rename``) or delete it (``action=delete``)."""
    _touchpoint(touchpoint_id)
    db = get_session()
    forms.save(db, lambda: forms.edit(db, _book(), code_id, request.form)[1])
    return _back(touchpoint_id, "codes-head")


@bp.route(f"{_BASE}/answers/<int:response_id>/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def code_answer(
    workspace: str, touchpoint_id: int, response_id: int
) -> WerkzeugResponse:
    """Make the ticked codes (and a new one typed) exactly the codes of one
    open answer."""
    found = _touchpoint(touchpoint_id)
    db = get_session()
    ticked = forms.ticked(request.form)

    def tick() -> str:
        new = request.form.get("new", "")
        themes.code_answer(db, _workspace().id or 0, found, response_id, ticked, new)
        return "Codes saved."

    forms.save(db, tick)
    return _back(touchpoint_id, f"answer-{response_id}")


@bp.route(f"{_BASE}/codes/<int:code_id>/study", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def theme_study(workspace: str, touchpoint_id: int, code_id: int) -> WerkzeugResponse:
    """Start a draft usability study from a code's answers at this touchpoint."""
    found = _touchpoint(touchpoint_id)
    db = get_session()
    owner = db.get(Researcher, current_user.id)
    assert owner is not None
    try:
        study = themes.start_study(db, _workspace().id or 0, found, code_id, owner)
    except themes.ThemeError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _back(touchpoint_id, "codes-head")
    flash(
        "A draft study aimed at this touchpoint: shape its task, then publish it.",
        "success",
    )
    return redirect(url_for("researcher.study", slug=study.slug), 303)


@bp.route(f"{_BASE}/codes/<int:code_id>/audit", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def theme_audit(workspace: str, touchpoint_id: int, code_id: int) -> WerkzeugResponse:
    """Start an audit project of the touchpoint's page from a code's answers."""
    found = _touchpoint(touchpoint_id)
    db = get_session()
    try:
        project = themes.start_audit_project(
            db,
            _workspace().id or 0,
            found,
            code_id,
            request.form.get("page_url", ""),
            current_user.id,
        )
    except themes.ThemeError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _back(touchpoint_id, "codes-head")
    flash(
        "An audit project of this touchpoint's page: run it, or add the steps "
        "that lead there.",
        "success",
    )
    return redirect(
        url_for("audits.project", workspace=workspace, project_id=project.id), 303
    )
