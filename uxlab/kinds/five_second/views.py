"""The researchers' coding forms of a five-second test's results page.

Plain forms with CSRF, each answered by a redirect back to the question on
the results page. Coding changes the analysis, so it takes the editor role;
a viewer is refused with 403.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab.db import begin_write, get_session
from uxlab.web.access import current_study, requires
from uxlab.workspaces import Permission

from . import coding

__all__ = ["bp"]

bp = Blueprint("five_second", __name__)


def _back(slug: str, question: str) -> WerkzeugResponse:
    return redirect(
        url_for("results.results", slug=slug, _anchor=f"q-{question}"), code=303
    )


@bp.route("/studies/<slug>/results/questions/<question>/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def add_code(slug: str, question: str) -> WerkzeugResponse:
    """Make a code for a question's open answers."""
    study = current_study()
    session = get_session()
    begin_write(session)
    code = coding.add_code(session, study, question, request.form.get("label", ""))
    session.commit()
    flash(f"Code “{code.label}” added.", "info")
    return _back(slug, question)


@bp.route("/studies/<slug>/results/codes/<int:code_id>", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def edit_code(slug: str, code_id: int) -> WerkzeugResponse:
    """Rename a code (``action=rename``) or delete it (``action=delete``)."""
    study = current_study()
    session = get_session()
    action = request.form.get("action", "")
    if action not in ("rename", "delete"):
        raise coding.CodeError(f"action ({action!r}) must be 'rename' or 'delete'")
    begin_write(session)
    if action == "delete":
        question = coding.delete_code(session, study, code_id)
        message = "Code deleted."
    else:
        question = coding.rename_code(
            session, study, code_id, request.form.get("label", "")
        )
        message = "Code renamed."
    session.commit()
    flash(message, "info")
    return _back(slug, question)


@bp.route("/studies/<slug>/results/answers/<int:answer_id>/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def code_answer(slug: str, answer_id: int) -> WerkzeugResponse:
    """Make the ticked codes exactly the codes of one open answer."""
    study = current_study()
    session = get_session()
    raw = request.form.getlist("code")
    if not all(v.isascii() and v.isdigit() for v in raw):
        raise coding.CodeError("codes are given by their numbers")
    begin_write(session)
    coding.set_codes(session, study, answer_id, [int(v) for v in raw])
    session.commit()
    flash("Codes saved.", "info")
    return redirect(
        url_for("results.results", slug=slug, _anchor=f"answer-{answer_id}"),
        code=303,
    )
