"""The coding forms, handled the same way wherever open text is coded: their
fields read alike, and each change is one write whose outcome is flashed on
the page the form returns to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import flash

from uxlab.coding import Code, Codebook, CodeError, delete_code, rename_code
from uxlab.db import begin_write

if TYPE_CHECKING:
    from sqlmodel import Session
    from werkzeug.datastructures import MultiDict

__all__ = ["edit", "save", "ticked"]


def save(db: Session, change: Callable[[], str], category: str = "success") -> None:
    """Make one coding change in a write of its own: commit it and flash the
    line it returns, or roll it back and flash why it cannot be made."""
    begin_write(db)
    try:
        message = change()
    except CodeError as exc:
        db.rollback()
        flash(str(exc), "error")
        return
    db.commit()
    flash(message, category)


def ticked(form: MultiDict[str, str]) -> list[int]:
    """The code numbers ticked on an answer's form (``code=…``, repeated)."""
    raw = form.getlist("code")
    if not all(v.isascii() and v.isdigit() for v in raw):
        raise CodeError("Codes are given by their numbers.")
    return [int(v) for v in raw]


def edit(
    db: Session, book: Codebook, code_id: int, form: MultiDict[str, str]
) -> tuple[Code, str]:
    """Rename (``action=rename``, ``label=…``) or delete (``action=delete``) a
    code; returns it and a line saying what was done."""
    action = form.get("action", "")
    if action == "delete":
        code = delete_code(db, book, code_id)
        return (
            code,
            f"Code “{code.label}” deleted, and taken off everything it was given to.",
        )
    if action == "rename":
        code = rename_code(db, book, code_id, form.get("label", ""))
        return code, f"Code renamed “{code.label}”; its answers keep it."
    raise CodeError(f"action ({action!r}) must be 'rename' or 'delete'")
