"""Researchers' codes for open text, one feature wherever open text is coded.

A codebook is a set of codes researchers make, rename and delete; an open
answer carries any number of them. A five-second test codes each recall
question's answers with the question's own codebook; a moderated study codes
its sessions' notes with one codebook (beside the tag each note was taken
under); a workspace codes its customers' open answers at every touchpoint
with one shared codebook. Labels
are matched without regard to case or spacing, so "Delivery  date" and
"delivery date" are one code. Functions here do not commit: the caller opens
the write (:func:`uxlab.db.begin_write`) and commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlmodel import col, select

from uxlab.coding.models import (
    LINKS,
    MAX_LABEL,
    Code,
    CodeLink,
    CxResponseCode,
    FiveSecondAnswerCode,
    SessionNoteCode,
)
from uxlab.errors import NotFoundError, UxlabError

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study

__all__ = [
    "MAX_LABEL",
    "Code",
    "CodeError",
    "Codebook",
    "CxResponseCode",
    "FiveSecondAnswerCode",
    "SessionNoteCode",
    "add_code",
    "code_in",
    "code_named",
    "codes",
    "codes_on",
    "delete_code",
    "rename_code",
    "set_codes",
]


class CodeError(UxlabError):
    """A code that cannot be made, renamed or given as asked (HTTP 422)."""

    code = "invalid_code"
    status = 422


@dataclass(frozen=True, slots=True)
class Codebook:
    """Where a set of codes lives, and what it is called on a page."""

    workspace_id: int
    key: str
    study_id: int | None = None

    @classmethod
    def customer_answers(cls, workspace_id: int) -> Codebook:
        """The codes of a workspace's customer answers, at every touchpoint."""
        return cls(workspace_id, "cx")

    @classmethod
    def question(cls, study: Study, question: str) -> Codebook:
        """The codes of one open question of a study."""
        assert study.id is not None
        return cls(study.workspace_id, f"study:{study.id}:{question}", study.id)

    @classmethod
    def notes(cls, study: Study) -> Codebook:
        """The codes of the notes taken in a study's moderated sessions."""
        assert study.id is not None
        return cls(study.workspace_id, f"notes:{study.id}", study.id)

    @staticmethod
    def question_prefix(study: Study) -> str:
        """What the keys of a study's question codebooks start with."""
        return f"study:{study.id}:"

    @staticmethod
    def question_of(code: Code) -> str:
        """The question id of a code in a study question's codebook."""
        return Codebook.question_of_key(code.codebook)

    @staticmethod
    def question_of_key(key: str) -> str:
        """The question id in a study question's codebook key."""
        return key.split(":", 2)[2]


def _clean(label: str) -> str:
    """A label with its spacing tidied, or a :class:`CodeError` saying why not."""
    label = " ".join(label.split())
    if not label:
        raise CodeError("A code needs a name, such as “delivery date”.")
    if len(label) > MAX_LABEL:
        raise CodeError(f"A code's name has at most {MAX_LABEL} characters.")
    return label


def _same_label(db: Session, book: Codebook, label: str) -> Code | None:
    return db.exec(
        select(Code).where(
            Code.workspace_id == book.workspace_id,
            Code.codebook == book.key,
            func.lower(Code.label) == label.lower(),
        )
    ).first()


def codes(db: Session, book: Codebook) -> list[Code]:
    """The codebook's codes, in the order they were made."""
    return list(
        db.exec(
            select(Code)
            .where(Code.workspace_id == book.workspace_id, Code.codebook == book.key)
            .order_by(col(Code.id))
        ).all()
    )


def code_in(db: Session, book: Codebook, code_id: int) -> Code:
    """One code of the codebook (404 for any other, or none)."""
    code = db.get(Code, code_id)
    if code is None or (code.workspace_id, code.codebook) != (
        book.workspace_id,
        book.key,
    ):
        raise NotFoundError(f"no code {code_id} here")
    return code


def add_code(db: Session, book: Codebook, label: str) -> Code:
    """Make a code; a label the codebook has already (in any case) is refused."""
    label = _clean(label)
    same = _same_label(db, book, label)
    if same is not None:
        raise CodeError(f"There is a code “{same.label}” already.")
    code = Code(
        workspace_id=book.workspace_id,
        study_id=book.study_id,
        codebook=book.key,
        label=label,
    )
    db.add(code)
    db.flush()
    return code


def code_named(db: Session, book: Codebook, label: str) -> Code:
    """The code with this label, made if the codebook has none yet."""
    return _same_label(db, book, _clean(label)) or add_code(db, book, label)


def rename_code(db: Session, book: Codebook, code_id: int, label: str) -> Code:
    """Give a code a new name; the answers keep it."""
    code = code_in(db, book, code_id)
    label = _clean(label)
    if label != code.label:
        other = _same_label(db, book, label)
        if other is not None and other.id != code.id:
            raise CodeError(f"There is a code “{other.label}” already.")
        code.label = label
        db.add(code)
    return code


def delete_code(db: Session, book: Codebook, code_id: int) -> Code:
    """Delete a code and every tick of it."""
    code = code_in(db, book, code_id)
    for link in LINKS:
        db.execute(delete(link).where(col(link.code_id) == code_id))
    db.delete(code)
    db.flush()
    return code


def set_codes(
    db: Session,
    book: Codebook,
    link: CodeLink,
    subject_id: int,
    code_ids: Iterable[int],
    new_label: str = "",
) -> list[Code]:
    """Make ``code_ids`` (and ``new_label``, made if new) exactly the codes of
    one answer. The caller has checked that the answer is one this codebook
    codes; every code must be of the codebook. Returns the answer's codes."""
    wanted = {code_in(db, book, code_id).id for code_id in code_ids}
    if new_label.strip():
        wanted.add(code_named(db, book, new_label).id)
    current = set(
        db.exec(select(link.code_id).where(col(link.subject_id) == subject_id))
    )
    gone = current - wanted
    if gone:
        db.execute(
            delete(link).where(
                col(link.subject_id) == subject_id, col(link.code_id).in_(gone)
            )
        )
    for code_id in wanted - current:
        assert code_id is not None
        db.add(link(subject_id=subject_id, code_id=code_id))
    db.flush()
    return [c for c in codes(db, book) if c.id in wanted]


def codes_on(
    db: Session, link: CodeLink, subject_ids: Iterable[int]
) -> dict[int, list[Code]]:
    """The codes each of these answers carries, by label."""
    ids = list(subject_ids)
    if not ids:
        return {}
    found: dict[int, list[Code]] = {}
    for subject_id, code in db.exec(
        select(link.subject_id, Code)
        .join(Code, col(Code.id) == col(link.code_id))
        .where(col(link.subject_id).in_(ids))
        .order_by(func.lower(Code.label))
    ).all():
        found.setdefault(int(subject_id), []).append(code)
    return found
