"""A study's file: edited in the browser while a draft, downloaded as YAML."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab.db import get_session
from uxlab.errors import StudyFileError
from uxlab.models import StudyStatus
from uxlab.study_file import replace_draft, study_yaml
from uxlab.web.access import current_study, requires
from uxlab.workspaces import Permission

__all__ = ["bp"]

bp = Blueprint("study_file", __name__)


@bp.route("/studies/<slug>/file", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def edit(slug: str) -> str | WerkzeugResponse | tuple[str, int]:
    """The study file in an editor; a draft is rewritten from it when it is valid."""
    study = current_study()
    text = study_yaml(study)
    problems: list[str] = []
    if request.method == "POST" and study.status == StudyStatus.draft:
        # Browsers send a textarea's lines ended by CR LF.
        text = request.form.get("source", "").replace("\r\n", "\n")
        try:
            replace_draft(get_session(), study, text)
        except StudyFileError as exc:
            problems = exc.problems
        else:
            flash(
                "Study file saved: the draft's tasks and questions follow it.", "info"
            )
            return redirect(url_for("researcher.study", slug=study.slug), 303)
    page = render_template(
        "researcher/study_file.html", study=study, text=text, problems=problems
    )
    return page, 422 if problems else 200


@bp.route("/studies/<slug>/study.yaml")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def download(slug: str) -> Response:
    """The study file as YAML, to keep, share or start a new study from."""
    study = current_study()
    response = Response(study_yaml(study), mimetype="application/yaml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{study.slug}.yaml"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
