"""Session notes: written once by their id, edited and deleted by version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.live import CHANGES
from uxlab.models import (
    ModeratedSession,
    SessionNote,
    Study,
    utcnow,
)
from uxlab.moderation.controls import (
    _start_clock,
)
from uxlab.moderation.core import (
    MAX_NOTE,
    Author,
    NotYourNoteError,
    StaleNoteError,
    _check_client_id,
    _epoch_ms,
    _index,
    _study,
    _tasks,
    session_participant,
    session_tags,
)
from uxlab.moderation.state import (
    _note_dict,
)

# ------------------------------------------------------------------- notes


@dataclass(frozen=True, slots=True)
class NoteResult:
    """A note as stored after a write; ``changed`` is False for a resend."""

    note: dict[str, Any]
    changed: bool
    version: int


def _note_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise UxlabError("a note needs some text")
    value: str = text.strip()
    if len(value) > MAX_NOTE:
        raise UxlabError(f"a note may be at most {MAX_NOTE} characters")
    return value


def _note_tag(tag: Any, tags: Mapping[str, str]) -> str:
    if tag not in tags:
        raise UxlabError(f"tag ({tag!r}) must be one of {list(tags)}")
    return str(tag)


def _note_ms(ms: ModeratedSession, at_ms: Any, now: datetime) -> int:
    """The session time a note was typed at, from the client's estimate."""
    assert ms.started_at is not None
    start = _epoch_ms(ms.started_at) or 0
    latest = _epoch_ms(now) or 0
    if isinstance(at_ms, bool) or not isinstance(at_ms, int | float):
        return max(0, latest - start)
    if not start - 86_400_000 <= at_ms <= latest + 60_000:
        return max(0, latest - start)  # a clock far off: use the arrival time
    return int(min(max(at_ms - start, 0), latest - start))


def write_note(
    db: Session,
    session_id: int,
    author: Author,
    *,
    op: Any,
    note_id: Any,
    version: Any = None,
    tag: Any = None,
    text: Any = None,
    task_id: Any = None,
    at_ms: Any = None,
) -> NoteResult:
    """Create, edit or delete one note, idempotently.

    ``create`` inserts the note unless its ``note_id`` is stored already (a
    resend: the stored note is returned unchanged). ``edit`` and ``delete``
    name the ``version`` they change; only the note's author may make them, and
    an older version raises :class:`StaleNoteError` carrying the latest note
    (unless the stored note already is exactly this edit, i.e. a resend).
    ``at_ms`` is when the note was typed (epoch ms by the server's clock, as
    the client estimates it) and ``task_id`` the task on screen then; the
    participant's current task is used when it names none of the study's.
    """
    note_id = _check_client_id(note_id, "note_id")
    if op not in ("create", "edit", "delete"):
        raise UxlabError(f"op ({op!r}) must be one of ['create', 'edit', 'delete']")
    begin_write(db)
    try:
        ms = db.get(ModeratedSession, session_id)
        if ms is None:
            raise NotFoundError(f"no session {session_id}")
        db.expire_all()  # objects read before the lock may be stale
        study = _study(db, ms)
        tags = session_tags(study)
        note = db.exec(
            select(SessionNote).where(
                SessionNote.session_id == ms.id, SessionNote.note_id == note_id
            )
        ).first()
        if note is not None and not author.owns(note):
            raise NotYourNoteError("Only a note's author may change it.")
        now = utcnow()
        if op == "create":
            if note is not None:
                db.commit()
                return NoteResult(_note_dict(note, tags, author), False, ms.version)
            note = _new_note(
                db, ms, study, author, note_id, tags, tag, text, task_id, at_ms, now
            )
        else:
            if note is None:
                raise NotFoundError(f"no note {note_id!r} in this session")
            if not _change_note(note, op, version, tags, tag, text, author, now):
                db.commit()
                return NoteResult(_note_dict(note, tags, author), False, ms.version)
        ms.version += 1
        db.add_all([note, ms])
        db.flush()
        result = NoteResult(_note_dict(note, tags, author), True, ms.version)
        db.commit()
    except IntegrityError:
        db.rollback()  # another writer inserted the same note_id first
        return _stored_note(db, session_id, note_id, author)
    except BaseException:
        db.rollback()
        raise
    CHANGES.notify()
    return result


def _new_note(
    db: Session,
    ms: ModeratedSession,
    study: Study,
    author: Author,
    note_id: str,
    tags: Mapping[str, str],
    tag: Any,
    text: Any,
    task_id: Any,
    at_ms: Any,
    now: datetime,
) -> SessionNote:
    tag = _note_tag(tag, tags)
    text = _note_text(text)
    task_ids = {t.id for t in _tasks(db, study)}
    if isinstance(task_id, bool) or task_id not in task_ids:
        participant = session_participant(db, ms)
        index = _index(participant.step) if participant is not None else None
        task_id = (
            participant.task_order[index]
            if participant is not None and index is not None
            else None
        )
    _start_clock(ms, now)
    assert ms.id is not None
    return SessionNote(
        session_id=ms.id,
        note_id=note_id,
        author_kind=author.kind,
        researcher_id=author.researcher_id,
        observer_id=author.observer_id,
        author_name=author.name[:200],
        tag=tag,
        text=text,
        task_id=task_id,
        session_ms=_note_ms(ms, at_ms, now),
        created_at=now,
        updated_at=now,
    )


def _change_note(
    note: SessionNote,
    op: str,
    version: Any,
    tags: Mapping[str, str],
    tag: Any,
    text: Any,
    author: Author,
    now: datetime,
) -> bool:
    """Apply an edit or a deletion; False when it is a resend already applied."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise UxlabError(f"version ({version!r}) must be the note version edited")
    if op == "delete":
        if note.deleted_at is not None:
            return False
        if version != note.version:
            raise StaleNoteError(
                "This note changed since you saw it.", _note_dict(note, tags, author)
            )
        note.deleted_at = now
    else:
        new_tag = _note_tag(tag, tags)
        new_text = _note_text(text)
        if note.deleted_at is not None:
            raise NotFoundError("This note was deleted.")
        if version == note.version - 1 and (note.tag, note.text) == (new_tag, new_text):
            return False
        if version != note.version:
            raise StaleNoteError(
                "This note changed since you saw it; here is the latest.",
                _note_dict(note, tags, author),
            )
        note.tag, note.text = new_tag, new_text
    note.version += 1
    note.updated_at = now
    return True


def _stored_note(
    db: Session, session_id: int, note_id: str, author: Author
) -> NoteResult:
    note = db.exec(
        select(SessionNote).where(
            SessionNote.session_id == session_id, SessionNote.note_id == note_id
        )
    ).first()
    ms = db.get(ModeratedSession, session_id)
    if note is None or ms is None:
        raise UxlabError(f"note {note_id!r} could not be stored")
    if not author.owns(note):
        raise NotYourNoteError("Only a note's author may change it.")
    tags = session_tags(_study(db, ms))
    return NoteResult(_note_dict(note, tags, author), False, ms.version)
