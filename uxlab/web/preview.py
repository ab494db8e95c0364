"""A researcher tries a study as a participant: a preview, never counted."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab import participation
from uxlab.db import get_session
from uxlab.web.access import current_study, requires
from uxlab.web.participant import remember_participant
from uxlab.workspaces import Permission

__all__ = ["bp"]

bp = Blueprint("preview", __name__)


@bp.route("/studies/<slug>/preview", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def start(slug: str) -> WerkzeugResponse:
    """Start a preview participant in this browser and open the study's first page."""
    study = current_study()
    entry = participation.enter_preview(get_session(), study)
    remember_participant(entry.token)
    return redirect(url_for("participant.take", slug=entry.slug), 303)
