"""Coding the notes of a study's moderated sessions, on the notes board.

Each note was taken under one tag (quote, confusion, idea...); afterwards,
researchers code the notes with the study's codebook of notes, the same
coding forms as open answers elsewhere (:mod:`uxlab.coding`). Coding takes
the editor role; each form answers with a redirect back to the board.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import login_required
from sqlmodel import col, select
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab import coding
from uxlab.coding import Codebook, SessionNoteCode, forms
from uxlab.db import get_session
from uxlab.errors import NotFoundError
from uxlab.models import ModeratedSession, SessionNote
from uxlab.web.access import current_study, requires
from uxlab.workspaces import Permission

__all__ = ["bp"]

bp = Blueprint("note_codes", __name__)


def _back(slug: str, anchor: str) -> WerkzeugResponse:
    return redirect(
        url_for("moderation.study_notes", slug=slug, _anchor=anchor), code=303
    )


@bp.route("/studies/<slug>/notes/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def add_code(slug: str) -> WerkzeugResponse:
    """Make a code in the study's codebook of notes."""
    book = Codebook.notes(current_study())
    db = get_session()

    def add() -> str:
        label = request.form.get("label", "")
        return f"Code “{coding.add_code(db, book, label).label}” added."

    forms.save(db, add)
    return _back(slug, "note-codes")


@bp.route("/studies/<slug>/notes/codes/<int:code_id>", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def edit_code(slug: str, code_id: int) -> WerkzeugResponse:
    """Rename a code (``action=rename``) or delete it (``action=delete``)."""
    book = Codebook.notes(current_study())
    db = get_session()
    forms.save(db, lambda: forms.edit(db, book, code_id, request.form)[1])
    return _back(slug, "note-codes")


@bp.route("/studies/<slug>/notes/<int:note_row>/codes", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def code_note(slug: str, note_row: int) -> WerkzeugResponse:
    """Make the ticked codes (and a new one typed) exactly the codes of a note."""
    study = current_study()
    db = get_session()
    found = db.exec(
        select(SessionNote.id)
        .join(ModeratedSession, col(ModeratedSession.id) == SessionNote.session_id)
        .where(
            SessionNote.id == note_row,
            ModeratedSession.study_id == study.id,
            col(SessionNote.deleted_at).is_(None),
        )
    ).first()
    if found is None:
        raise NotFoundError(f"no note {note_row} in this study")
    ticked = forms.ticked(request.form)
    book = Codebook.notes(study)

    def tick() -> str:
        new = request.form.get("new", "")
        coding.set_codes(db, book, SessionNoteCode, note_row, ticked, new)
        return "Codes saved."

    forms.save(db, tick)
    return _back(slug, f"note-{note_row}")
