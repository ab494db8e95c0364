"""Researchers' codes for a five-second test's open answers: each open
question has a codebook of its own (see :mod:`uxlab.coding`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlmodel import col, select

from uxlab import coding
from uxlab.coding import Code, Codebook, CodeError, FiveSecondAnswerCode
from uxlab.errors import NotFoundError
from uxlab.models import FiveSecondAnswer, Participant

from . import questions

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study

__all__ = [
    "CodeError",
    "add_code",
    "book",
    "book_of",
    "set_codes",
]


def book(study: Study, question: str) -> Codebook:
    """The codebook of one of the study's open questions."""
    for q in questions(study):
        if q["id"] == question:
            if q["type"] != "open":
                raise CodeError(f"question {question!r} has no open answers to code")
            return Codebook.question(study, question)
    raise NotFoundError(f"this study asks no question {question!r}")


def book_of(session: Session, study: Study, code_id: int) -> Codebook:
    code = session.get(Code, code_id)
    if (
        code is None
        or code.study_id != study.id
        or not code.codebook.startswith(Codebook.question_prefix(study))
    ):
        raise NotFoundError(f"no code {code_id} in this study")
    return book(study, Codebook.question_of(code))


def add_code(session: Session, study: Study, question: str, label: str) -> Code:
    """Make a code for the open answers of ``question``; the caller commits."""
    return coding.add_code(session, book(study, question), label)


def set_codes(
    session: Session,
    study: Study,
    answer_id: int,
    code_ids: Iterable[int],
    new_label: str = "",
) -> str:
    """Make ``code_ids`` (and ``new_label``, made if new) exactly the codes of
    one open answer; returns its question id. Every code must belong to the
    answer's question."""
    row = session.exec(
        select(FiveSecondAnswer)
        .join(Participant, col(Participant.id) == FiveSecondAnswer.participant_id)
        .where(FiveSecondAnswer.id == answer_id, Participant.study_id == study.id)
    ).first()
    if row is None:
        raise NotFoundError(f"no answer {answer_id} in this study")
    codebook = book(study, row.question)
    wanted = list(code_ids)
    for code_id in wanted:
        code = session.get(Code, code_id)
        if code is None or code.study_id != study.id:
            raise NotFoundError(f"no code {code_id} in this study")
        if code.codebook != codebook.key:
            raise CodeError(
                f"code {code_id} is not a code of question {row.question!r}"
            )
    coding.set_codes(
        session, codebook, FiveSecondAnswerCode, answer_id, wanted, new_label
    )
    return row.question
