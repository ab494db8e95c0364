"""The download of a touchpoint's answers (CSV).

Downloading answers takes the export right (editors and owners), as study
exports do; the hidden fields, which may carry a customer reference, come
only with the right to see customers' own data. Each download is logged in
the workspace's activity.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, stream_with_context
from flask_login import current_user, login_required

from uxlab.cx import journeys as store
from uxlab.cx.export import answers_csv
from uxlab.db import begin_write, get_session
from uxlab.models import Workspace
from uxlab.web.access import requires
from uxlab.workspaces import Permission, allows
from uxlab.workspaces.activity_log import record

__all__ = ["bp"]

bp = Blueprint("cx_export", __name__)


@bp.route("/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>/answers.csv")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.export)
def answers(workspace: str, touchpoint_id: int) -> Response:
    """Every answer at the touchpoint, one row each, oldest first."""
    team: Workspace = g.workspace
    db = get_session()
    journey, touchpoint = store.get_touchpoint(db, team.id or 0, touchpoint_id)
    survey = store.live_survey(db, touchpoint)
    hidden = (
        list(survey.hidden_fields if survey is not None else [])
        if allows(g.role, Permission.participant_data)
        else None
    )
    begin_write(db)
    record(
        db,
        team,
        current_user.id,
        "exported",
        f"{journey.name}: {touchpoint.name}",
        format="answers.csv",
    )
    db.commit()
    response = Response(
        stream_with_context(answers_csv(db, touchpoint, hidden_fields=hidden)),
        mimetype="text/csv",
    )
    name = f"touchpoint-{touchpoint_id}-answers.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
