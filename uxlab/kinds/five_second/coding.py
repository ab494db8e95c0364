"""Researchers' codes for a five-second test's open answers: create, rename
and delete a question's codes, and tick the codes an answer carries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlmodel import col, select

from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import (
    FiveSecondAnswer,
    FiveSecondCode,
    FiveSecondCoding,
    Participant,
)

from . import questions

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study

__all__ = ["CodeError", "add_code", "delete_code", "rename_code", "set_codes"]

#: Longest code label.
MAX_LABEL = 80


class CodeError(UxlabError):
    """A code that cannot be made or renamed as asked (HTTP 422)."""

    code = "invalid_code"
    status = 422


def _open_question(study: Study, question: str) -> None:
    for q in questions(study):
        if q["id"] == question:
            if q["type"] != "open":
                raise CodeError(f"question {question!r} has no open answers to code")
            return
    raise NotFoundError(f"this study asks no question {question!r}")


def _label(session: Session, study: Study, question: str, label: str) -> str:
    label = " ".join(label.split())
    if not label:
        raise CodeError("a code needs a name")
    if len(label) > MAX_LABEL:
        raise CodeError(f"a code's name has at most {MAX_LABEL} characters")
    taken = session.exec(
        select(FiveSecondCode.id).where(
            FiveSecondCode.study_id == study.id,
            FiveSecondCode.question == question,
            FiveSecondCode.label == label,
        )
    ).first()
    if taken is not None:
        raise CodeError(f"the question already has a code {label!r}")
    return label


def _code(session: Session, study: Study, code_id: int) -> FiveSecondCode:
    code = session.get(FiveSecondCode, code_id)
    if code is None or code.study_id != study.id:
        raise NotFoundError(f"no code {code_id} in this study")
    return code


def add_code(
    session: Session, study: Study, question: str, label: str
) -> FiveSecondCode:
    """Make a code for the open answers of ``question``; the caller commits."""
    _open_question(study, question)
    assert study.id is not None
    code = FiveSecondCode(
        study_id=study.id,
        question=question,
        label=_label(session, study, question, label),
    )
    session.add(code)
    return code


def rename_code(session: Session, study: Study, code_id: int, label: str) -> str:
    """Give a code a new name (the answers keep it); returns its question id."""
    code = _code(session, study, code_id)
    new = " ".join(label.split())
    if new != code.label:
        code.label = _label(session, study, code.question, label)
        session.add(code)
    return code.question


def delete_code(session: Session, study: Study, code_id: int) -> str:
    """Delete a code and every tick of it; returns its question id."""
    code = _code(session, study, code_id)
    session.execute(
        delete(FiveSecondCoding).where(col(FiveSecondCoding.code_id) == code_id)
    )
    session.delete(code)
    return code.question


def set_codes(
    session: Session, study: Study, answer_id: int, code_ids: Iterable[int]
) -> str:
    """Make ``code_ids`` exactly the codes of one open answer; returns its
    question id. Every code must belong to the answer's question."""
    row = session.exec(
        select(FiveSecondAnswer)
        .join(Participant, col(Participant.id) == FiveSecondAnswer.participant_id)
        .where(FiveSecondAnswer.id == answer_id, Participant.study_id == study.id)
    ).first()
    if row is None:
        raise NotFoundError(f"no answer {answer_id} in this study")
    wanted = set(code_ids)
    for code_id in wanted:
        if _code(session, study, code_id).question != row.question:
            raise CodeError(
                f"code {code_id} is not a code of question {row.question!r}"
            )
    current = {
        link.code_id: link
        for link in session.exec(
            select(FiveSecondCoding).where(FiveSecondCoding.answer_id == answer_id)
        )
    }
    for code_id, link in current.items():
        if code_id not in wanted:
            session.delete(link)
    for code_id in wanted - set(current):
        session.add(FiveSecondCoding(answer_id=answer_id, code_id=code_id))
    return row.question
