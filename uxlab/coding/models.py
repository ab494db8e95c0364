"""The tables of researchers' codes for open text.

A :class:`Code` belongs to one codebook: the customer answers of a workspace
(``"cx"``, shared by all its touchpoints), one open question of a study
(``"study:<id>:<question>"``, as a five-second test's recall question), or
the notes of a study's moderated sessions (``"notes:<id>"``). Each
kind of coded text has a link table of its own, so that deleting an answer
deletes its codings, and deleting a code deletes every tick of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from uxlab.models import utcnow

__all__ = [
    "LINKS",
    "Code",
    "CodeLink",
    "CxResponseCode",
    "FiveSecondAnswerCode",
    "SessionNoteCode",
]

#: Longest code label.
MAX_LABEL = 80


class Code(SQLModel, table=True):
    """A researcher's code ("delivery date", "mentions e-books")."""

    __table_args__ = (
        UniqueConstraint("workspace_id", "codebook", "label", name="uq_code_label"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        foreign_key="workspace.id", index=True, ondelete="CASCADE"
    )
    #: Set when the codebook is one of a study's: deleting the study deletes it.
    study_id: int | None = Field(
        default=None, foreign_key="study.id", index=True, ondelete="CASCADE"
    )
    codebook: str = Field(max_length=120)
    label: str = Field(max_length=MAX_LABEL)
    created_at: datetime = Field(default_factory=utcnow)


class FiveSecondAnswerCode(SQLModel, table=True):
    """One code ticked on one open answer of a five-second test."""

    subject_id: int = Field(
        foreign_key="fivesecondanswer.id", primary_key=True, ondelete="CASCADE"
    )
    code_id: int = Field(
        foreign_key="code.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class CxResponseCode(SQLModel, table=True):
    """One code ticked on one customer's open answer at a touchpoint."""

    subject_id: int = Field(
        foreign_key="cxresponse.id", primary_key=True, ondelete="CASCADE"
    )
    code_id: int = Field(
        foreign_key="code.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class SessionNoteCode(SQLModel, table=True):
    """One code ticked on one note of a moderated session."""

    subject_id: int = Field(
        foreign_key="sessionnote.id", primary_key=True, ondelete="CASCADE"
    )
    code_id: int = Field(
        foreign_key="code.id", primary_key=True, index=True, ondelete="CASCADE"
    )


#: A link table: what is coded, and with which code.
CodeLink = type[FiveSecondAnswerCode] | type[CxResponseCode] | type[SessionNoteCode]

#: Every link table, for deleting a code's ticks wherever they are.
LINKS: tuple[CodeLink, ...] = (FiveSecondAnswerCode, CxResponseCode, SessionNoteCode)
