"""The study page's Pre-flight button: queue a replay of the study's tasks.

The run goes to the audit workers like any audit run (on SQLite, the worker
``uxlab serve`` starts beside itself); the study page shows the latest
pre-flight and the ones before it (see :mod:`uxlab.audits.preflight`).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    url_for,
)
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from uxlab.audits.preflight import PreflightError, preflight_runs, queue_preflight
from uxlab.audits.queue import audit_queue
from uxlab.db import get_session
from uxlab.errors import AuditScriptError
from uxlab.models import Study
from uxlab.web.access import current_study, requires
from uxlab.web.auth import current_researcher_id
from uxlab.web.links import public_base
from uxlab.workspaces import Permission

__all__ = ["PreflightForm", "bp", "preflight_base_url", "status_json"]

bp = Blueprint("preflight", __name__)


class PreflightForm(FlaskForm):  # type: ignore[misc]
    script = TextAreaField(
        "Pre-flight script (YAML, optional)", [Optional(), Length(max=200_000)]
    )


def preflight_base_url(study: Study) -> str:
    """Where relative start URLs open: the first design variant's site, or uxlab."""
    for variant in study.settings.get("variants") or []:
        if variant.get("base_url"):
            return str(variant["base_url"])
    return public_base()


@bp.route("/studies/<slug>/preflight", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def start(slug: str) -> WerkzeugResponse | tuple[str, int]:
    """Save the pre-flight script and queue a pre-flight of the study's tasks."""
    from uxlab.web.researcher import render_study

    study = current_study()
    form = PreflightForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        run = queue_preflight(
            db,
            study,
            base_url=preflight_base_url(study),
            own_yaml=form.script.data or "",
            researcher_id=current_researcher_id(),
        )
    except (AuditScriptError, PreflightError) as exc:
        db.rollback()
        return render_study(
            study,
            preflight_form=form,
            preflight_errors=str(exc).splitlines(),
            status=400,
        )
    assert run.id is not None
    audit_queue(current_app).enqueue(run.id)
    flash(f"Pre-flight {run.id} is queued.", "info")
    return redirect(url_for("researcher.study", slug=study.slug) + "#preflight", 303)


@bp.route("/studies/<slug>/preflight.json")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def status_json(slug: str) -> Response:
    """The latest pre-flight's status and progress, as the study page polls it."""
    from uxlab.web.audits import run_json

    runs = preflight_runs(get_session(), current_study(), limit=1)
    return jsonify(run=run_json(runs[0]) if runs else None)
