"""Notes across a study's sessions: the notes board and its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlmodel import Session, col, select

from uxlab import coding
from uxlab.coding import Code, SessionNoteCode
from uxlab.export import neutralise
from uxlab.models import (
    ModeratedSession,
    SessionNote,
    Study,
)
from uxlab.moderation.core import (
    _tasks,
    clock,
    session_participant,
    session_tags,
)

# ------------------------------------------------------ notes across sessions


@dataclass(frozen=True, slots=True)
class NoteRow:
    """One note, flattened for the affinity board, the CSV and the report."""

    session_id: int
    session_label: str
    participant_code: str
    tag: str
    tag_label: str
    task_key: str
    task_title: str
    session_ms: int
    author: str
    text: str
    created_at: datetime
    updated_at: datetime
    #: The note's row id, and the codes researchers gave it afterwards.
    id: int = 0
    codes: tuple[Code, ...] = ()

    @property
    def clock(self) -> str:
        return clock(self.session_ms)


@dataclass(frozen=True, slots=True)
class TaskNotes:
    task_key: str
    task_title: str
    notes: tuple[NoteRow, ...]


@dataclass(frozen=True, slots=True)
class TagNotes:
    """The notes of one tag, grouped by task: one column of an affinity board."""

    tag: str
    label: str
    tasks: tuple[TaskNotes, ...]

    @property
    def count(self) -> int:
        return sum(len(t.notes) for t in self.tasks)


def study_notes(db: Session, study: Study) -> list[NoteRow]:
    """Every note of every session of the study, by session then session time."""
    tags = session_tags(study)
    tasks = {t.id: t for t in _tasks(db, study)}
    rows = db.exec(
        select(SessionNote, ModeratedSession)
        .join(ModeratedSession, col(SessionNote.session_id) == ModeratedSession.id)
        .where(
            ModeratedSession.study_id == study.id,
            col(SessionNote.deleted_at).is_(None),
        )
        .order_by(
            col(ModeratedSession.id), col(SessionNote.session_ms), col(SessionNote.id)
        )
    ).all()
    codes: dict[int, str] = {}
    given = coding.codes_on(
        db, SessionNoteCode, [note.id for note, _ in rows if note.id is not None]
    )
    out = []
    for note, ms in rows:
        assert ms.id is not None and note.id is not None
        if ms.id not in codes:
            participant = session_participant(db, ms)
            codes[ms.id] = participant.code if participant is not None else ""
        task = tasks.get(note.task_id)
        out.append(
            NoteRow(
                session_id=ms.id,
                session_label=ms.label,
                participant_code=codes[ms.id],
                tag=note.tag,
                tag_label=tags.get(note.tag, note.tag),
                task_key=task.key if task is not None else "",
                task_title=task.title if task is not None else "",
                session_ms=note.session_ms,
                author=note.author_name,
                text=note.text,
                created_at=note.created_at,
                updated_at=note.updated_at,
                id=note.id,
                codes=tuple(given.get(note.id, ())),
            )
        )
    return out


def notes_by_tag(db: Session, study: Study) -> list[TagNotes]:
    """The study's notes grouped by tag, then by task (the start of an affinity
    board): tags in the study's order, tasks in the study's order, notes that
    name no task last. Tags without notes are left out.
    """
    tags = session_tags(study)
    order = {t.key: i for i, t in enumerate(_tasks(db, study))}
    grouped: dict[str, dict[str, list[NoteRow]]] = {}
    titles: dict[str, str] = {}
    for row in study_notes(db, study):
        grouped.setdefault(row.tag, {}).setdefault(row.task_key, []).append(row)
        titles[row.task_key] = row.task_title or "No task"
    tag_order = list(tags) + sorted(set(grouped) - set(tags))
    out = []
    for tag in tag_order:
        by_task = grouped.get(tag)
        if not by_task:
            continue
        keys = sorted(by_task, key=lambda k: order.get(k, len(order)))
        out.append(
            TagNotes(
                tag=tag,
                label=tags.get(tag, tag),
                tasks=tuple(TaskNotes(k, titles[k], tuple(by_task[k])) for k in keys),
            )
        )
    return out


NOTES_CSV_COLUMNS: Final = (
    "session_id",
    "session_label",
    "participant",
    "tag",
    "tag_label",
    "task_key",
    "task_title",
    "session_time",
    "session_ms",
    "author",
    "text",
    "created_at",
    "updated_at",
    "codes",
)


def notes_csv(rows: Iterable[NoteRow]) -> str:
    """Notes as CSV, every text cell safe to open in a spreadsheet.

    >>> from datetime import UTC
    >>> row = NoteRow(1, "P1", "P-X", "q", "quote", "t", "T", 61_000, "M",
    ...     "=HYPERLINK(1)", datetime(2026, 1, 1, tzinfo=UTC),
    ...     datetime(2026, 1, 1, tzinfo=UTC))
    >>> notes_csv([row]).splitlines()[1]
    "1,P1,P-X,q,quote,t,T,1:01,61000,M,'=HYPERLINK(1),2026-01-01T00:00:00+00:00,2026-01-01T00:00:00+00:00,"
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NOTES_CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            neutralise(value)
            for value in (
                r.session_id,
                r.session_label,
                r.participant_code,
                r.tag,
                r.tag_label,
                r.task_key,
                r.task_title,
                r.clock,
                r.session_ms,
                r.author,
                r.text,
                r.created_at.isoformat(timespec="seconds"),
                r.updated_at.isoformat(timespec="seconds"),
                " | ".join(sorted(c.label for c in r.codes)),
            )
        )
    return out.getvalue()
