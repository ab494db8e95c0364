"""The follow-up pages: the list, one follow-up, and a journey's follow-up rules.

Follow-ups name a customer, so reading and working them needs the
participant-data right (editors and owners); viewers see only how many are
open, on the journey map.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab.cx import followups
from uxlab.cx import journeys as store
from uxlab.cx.followup_models import FollowupStatus
from uxlab.db import get_session
from uxlab.errors import UxlabError
from uxlab.models import Workspace
from uxlab.web.access import requires
from uxlab.workspaces import Permission
from uxlab.workspaces.memberships import members

__all__ = ["bp"]

bp = Blueprint("cx_followups", __name__, template_folder="templates")
bp.add_app_template_filter(followups.span_words, "span_words")


def _workspace() -> Workspace:
    workspace: Workspace = g.workspace
    assert workspace.id is not None
    return workspace


def _to_followup(followup_id: int) -> WerkzeugResponse:
    return redirect(
        url_for(
            "cx_followups.followup",
            workspace=_workspace().slug,
            followup_id=followup_id,
        ),
        303,
    )


@bp.route("/workspaces/<workspace>/cx/followups")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.participant_data)
def index(workspace: str) -> str:
    """Follow-ups, newest first; filter by status, or only mine."""
    db = get_session()
    found = _workspace()
    status = request.args.get("status", "")
    if status and status not in FollowupStatus.__members__:
        abort(400, "status= takes open, contacted or resolved.")
    mine = request.args.get("mine") == "1"
    rows = followups.list_followups(
        db,
        found.id or 0,
        status=status or None,
        assignee_id=current_user.id if mine else None,
    )
    journeys = store.journeys_of(db, found.id or 0)
    return render_template(
        "cx/followups.html",
        workspace=found,
        rows=rows,
        status=status,
        mine=mine,
        timing=followups.timing(rows),
        rules=[(j, followups.settings_for(db, j.id or 0)) for j in journeys],
    )


@bp.route("/workspaces/<workspace>/cx/followups/<int:followup_id>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.participant_data)
def followup(workspace: str, followup_id: int) -> str:
    db = get_session()
    found = _workspace()
    row = followups.get_followup(db, found.id or 0, followup_id)
    return render_template(
        "cx/followup.html",
        workspace=found,
        row=row,
        notes=followups.notes_of(db, followup_id),
        members=members(db, found),
        statuses=list(FollowupStatus),
    )


def _change(followup_id: int, change: Any) -> WerkzeugResponse:
    db = get_session()
    row = followups.get_followup(db, _workspace().id or 0, followup_id)
    try:
        message = change(db, row.followup)
    except UxlabError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return _to_followup(followup_id)


@bp.route(
    "/workspaces/<workspace>/cx/followups/<int:followup_id>/status", methods=["POST"]
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.participant_data)
def status(workspace: str, followup_id: int) -> WerkzeugResponse:
    wanted = request.form.get("status", "")

    def change(db: Any, found: Any) -> str:
        followups.set_status(db, found, wanted)
        return f"Status: {wanted}."

    return _change(followup_id, change)


@bp.route(
    "/workspaces/<workspace>/cx/followups/<int:followup_id>/assignee", methods=["POST"]
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.participant_data)
def assignee(workspace: str, followup_id: int) -> WerkzeugResponse:
    raw = request.form.get("assignee", "")
    if raw and not raw.isdigit():
        abort(400, "assignee= takes a member's id.")

    def change(db: Any, found: Any) -> str:
        allowed = [m.researcher_id for m in members(db, _workspace())]
        followups.set_assignee(db, found, int(raw) if raw else None, allowed)
        return "Assigned." if raw else "Nobody is assigned now."

    return _change(followup_id, change)


@bp.route(
    "/workspaces/<workspace>/cx/followups/<int:followup_id>/notes", methods=["POST"]
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.participant_data)
def note(workspace: str, followup_id: int) -> WerkzeugResponse:
    text = request.form.get("text", "")

    def change(db: Any, found: Any) -> str:
        followups.add_note(db, found, text, current_user.id)
        return "Note kept."

    return _change(followup_id, change)


@bp.route(
    "/workspaces/<workspace>/cx/journeys/<int:journey_id>/followup-rules",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def rules(workspace: str, journey_id: int) -> WerkzeugResponse:
    """Which hidden field names the customer, and where new follow-ups are posted."""
    db = get_session()
    found = _workspace()
    journey = store.get_journey(db, found.id or 0, journey_id)
    try:
        followups.save_settings(
            db,
            journey,
            request.form.get("reference_field", ""),
            request.form.get("webhook_url", ""),
        )
    except UxlabError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Follow-up rules of {journey.name} saved.", "success")
    return redirect(url_for("cx_followups.index", workspace=found.slug), 303)
