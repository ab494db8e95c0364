"""How a change to a moderated session reaches every page that shows it live.

A session's console, its observers' pages and its participant's page follow it
through event streams (:func:`uxlab.web.moderation.event_stream`), which may be
served by any app process, on any host. Two signals tell a stream to re-read:

* :attr:`ModeratedSession.version <uxlab.models.ModeratedSession.version>`, the
  shared one: every write that changes what those pages show (a moderator's
  control, a note, a revoked observer link, the participant's own consent,
  answers and task ends) adds one to it in the same transaction. Streams ask
  the database for that single integer a few times a second, which costs one
  indexed read, holds no connection between polls, and works the same on
  SQLite and on PostgreSQL (also behind a connection pooler, where
  ``LISTEN`` would not);
* :data:`CHANGES`, a condition in this process's memory, notified after those
  commits: a stream served by the process that made the change wakes at once,
  without waiting for its next poll.

Each stream holds one of its server's threads, so a process holds at most
``LIVE_STREAMS`` of them at once (:class:`StreamSlots`); a page asking past
that bound gets the current state and polls (see
:func:`uxlab.web.moderation.event_stream`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlmodel import Session, col, select, update

from uxlab.models import ModeratedSession, Participant, SessionMove, utcnow

__all__ = [
    "CHANGES",
    "Changes",
    "Move",
    "Slot",
    "StreamSlots",
    "bump",
    "followed_version",
    "seen",
    "session_version",
]


class Changes:
    """Wakes the event streams of this process when a session changes here."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def notify(self) -> None:
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until something changed after ``seen`` or ``timeout`` passed."""
        with self._cond:
            self._cond.wait_for(lambda: self._count != seen, timeout)
            return self._count


CHANGES: Final = Changes()


class Slot:
    """One stream's place among a process's streams; given back once."""

    def __init__(self, owner: StreamSlots) -> None:
        self._owner: StreamSlots | None = owner

    def release(self) -> None:
        owner, self._owner = self._owner, None
        if owner is not None:
            owner._give_back()


class StreamSlots:
    """At most ``limit`` live streams open at once in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._held = 0

    @property
    def held(self) -> int:
        return self._held

    def take(self) -> Slot | None:
        """A slot, or None when ``limit`` streams are open already."""
        with self._lock:
            if self._held >= self.limit:
                return None
            self._held += 1
        return Slot(self)

    def _give_back(self) -> None:
        with self._lock:
            self._held -= 1


@dataclass(frozen=True, slots=True)
class Move:
    """A participant's own move, for their session's timeline (a
    :class:`~uxlab.models.SessionMove`): ``kind``, on ``step``, at ``at``.
    """

    kind: str
    participant_id: int
    step: str
    task_id: int | None = None
    at: datetime | None = None


def bump(db: Session, *, invite_id: int, moves: Sequence[Move] = ()) -> None:
    """Count a change to the moderated session of ``invite_id``, if there is one,
    and keep the participant's ``moves`` on its timeline.

    Runs in the caller's transaction, so the change and its count commit
    together; an invite that opens no moderated session changes nothing.
    """
    db.exec(
        update(ModeratedSession)
        .where(col(ModeratedSession.invite_id) == invite_id)
        .values(version=col(ModeratedSession.version) + 1)
    )
    if not moves:
        return
    session_id = db.exec(
        select(ModeratedSession.id).where(ModeratedSession.invite_id == invite_id)
    ).first()
    if session_id is None:
        return
    for move in moves:
        db.add(
            SessionMove(
                session_id=session_id,
                participant_id=move.participant_id,
                kind=move.kind,
                step=move.step,
                task_id=move.task_id,
                at=move.at or utcnow(),
            )
        )


def session_version(db: Session, session_id: int) -> int | None:
    """The session's change count, read afresh (None once it is gone)."""
    return db.exec(
        select(ModeratedSession.version).where(ModeratedSession.id == session_id)
    ).first()


def followed_version(db: Session, participant_id: int) -> int | None:
    """The change count of the session a participant takes part in."""
    return db.exec(
        select(ModeratedSession.version)
        .join(
            Participant,
            col(Participant.invite_id) == col(ModeratedSession.invite_id),
        )
        .where(Participant.id == participant_id)
    ).first()


def seen(db: Session, participant_id: int) -> None:
    """Note that the participant's live page reached the server just now.

    Commits at once, on its own: the console reads the time to tell whether
    that page is open. Counts no version; consoles re-read it on their tick.
    """
    invite = (
        select(Participant.invite_id)
        .where(Participant.id == participant_id)
        .scalar_subquery()
    )
    db.exec(
        update(ModeratedSession)
        .where(col(ModeratedSession.invite_id) == invite)
        .values(participant_seen_at=utcnow())
    )
    db.commit()
