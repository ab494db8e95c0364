"""The researchers' coding forms of a five-second test's results page.

Plain forms with CSRF, each answered by a redirect back to the question on
the results page; a code that cannot be made or given is flashed there.
Coding changes the analysis, so it takes the editor role; a viewer is
refused with 403.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab.coding import Codebook, forms
from uxlab.db import get_session
from uxlab.web.access import current_study, requires
from uxlab.workspaces import Permission

from . import coding

__all__ = ["bp"]

bp = Blueprint("five_second", __name__)


def _back(slug: str, anchor: str) -> WerkzeugResponse:
    return redirect(url_for("results.results", slug=slug, _anchor=anchor), code=303)


@bp.route("/studies/<slug>/results/questions/<question>/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def add_code(slug: str, question: str) -> WerkzeugResponse:
    """Make a code for a question's open answers."""
    study = current_study()
    session = get_session()

    def add() -> str:
        label = request.form.get("label", "")
        return f"Code “{coding.add_code(session, study, question, label).label}” added."

    forms.save(session, add, "info")
    return _back(slug, f"q-{question}")


@bp.route("/studies/<slug>/results/codes/<int:code_id>", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def edit_code(slug: str, code_id: int) -> WerkzeugResponse:
    """Rename a code (``action=rename``) or delete it (``action=delete``)."""
    study = current_study()
    session = get_session()
    book = coding.book_of(session, study, code_id)
    forms.save(session, lambda: forms.edit(session, book, code_id, request.form)[1])
    return _back(slug, f"q-{Codebook.question_of_key(book.key)}")


@bp.route("/studies/<slug>/results/answers/<int:answer_id>/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def code_answer(slug: str, answer_id: int) -> WerkzeugResponse:
    """Make the ticked codes (and a new one typed) exactly the codes of one
    open answer."""
    study = current_study()
    session = get_session()
    ticked = forms.ticked(request.form)

    def tick() -> str:
        new = request.form.get("new", "")
        coding.set_codes(session, study, answer_id, ticked, new)
        return "Codes saved."

    forms.save(session, tick, "info")
    return _back(slug, f"answer-{answer_id}")
