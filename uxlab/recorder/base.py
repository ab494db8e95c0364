"""What the recorder's parts share: limits, the write lock, errors and results."""

from __future__ import annotations

import re
import threading
import weakref
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session

from uxlab.errors import StudyStateError, UxlabError
from uxlab.models import (
    Event,
    JudgedBy,
    Outcome,
    StudyStatus,
    TaskAttempt,
)

#: What the recorder may send.
EVENT_TYPES = frozenset(
    {
        "page_view",
        "route_change",
        "click",
        "rage_click",
        "dead_click",
        "scroll",
        "focus",
        "blur",
        "marker",
        "task_success",
        "first_click",
    }
)
#: Events drawn at a position: they need ``x`` and ``y``, numbers, or a heatmap
#: could not place them.
_POSITIONED = frozenset({"click", "rage_click", "dead_click", "first_click"})
#: Fields that, when an event has them, are numbers (positions and sizes).
_NUMERIC = ("x", "y", "cx", "cy", "vw", "vh", "dw", "dh", "sx", "sy", "count")
#: Most events in one batch; more is answered 413 so the recorder halves it.
MAX_EVENTS = 500
#: Largest ``data`` of one event, as compact JSON.
MAX_DATA_BYTES = 8 * 1024
MAX_URL = 2000
MAX_SELECTOR = 1000
MAX_STRING = 2000
#: Client clocks outside 2000-2100 are not clocks.
_TS_RANGE = (946_684_800_000, 4_102_444_800_000)
_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_FIELDS = frozenset({"id", "seq", "type", "ts", "url", "data", "rec"})
#: Ids an event may name; each must be the token's own.
_BOUND = ("attempt_id", "participant_id", "study_id", "task_id")
#: Events of an ended attempt still land for this long (leftovers of a closed
#: tab re-sent on the next page load); after it the token answers 410.
ENDED_GRACE = timedelta(hours=1)
#: A success seen this soon after the time limit still counts (delivery lag).
_LIMIT_SLACK = timedelta(seconds=10)
_EVENT: Table = Event.__table__  # type: ignore[attr-defined]
_ATTEMPT: Table = TaskAttempt.__table__  # type: ignore[attr-defined]

#: On SQLite, one write at a time per engine inside this process. SQLite
#: allows a single writer anyway, and threads queueing on a lock wake as soon
#: as it is free, where SQLite's busy handler sleeps in steps of up to 100 ms:
#: under load that sleeping, not the writing, would set the latency. Other
#: processes still wait through the busy timeout. PostgreSQL needs no such
#: lock: it writes rows side by side.
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = (
    weakref.WeakKeyDictionary()
)
_LOCKS_GUARD = threading.Lock()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _single_writer(engine: Engine) -> bool:
    """Whether the database takes one writer at a time (SQLite)."""
    return engine.dialect.name == "sqlite"


def _write_lock(engine: Engine) -> threading.Lock:
    with _LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(engine)
        if lock is None:
            lock = _WRITE_LOCKS[engine] = threading.Lock()
        return lock


def _writer_turn(engine: Engine) -> AbstractContextManager[Any]:
    """This process's write lock on SQLite; nothing to wait for elsewhere."""
    return _write_lock(engine) if _single_writer(engine) else nullcontext()


class BatchError(UxlabError):
    """A request body that is not a batch of events at all."""

    code = "invalid_json"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int = 400):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.status = status


class AttemptEndedError(StudyStateError):
    """The attempt ended long enough ago that it takes no more events."""

    code = "attempt_ended"


class OriginNotAllowedError(UxlabError):
    """A browser request from an origin the study does not list."""

    code = "origin_not_allowed"
    status = 403


@dataclass(frozen=True, slots=True)
class Rejected:
    """One event refused, with a machine-readable reason and a message."""

    index: int
    id: str | None
    reason: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class _Valid:
    index: int
    id: str
    type: str
    seq: int
    ts: datetime | None
    url: str
    data: dict[str, Any]
    payload: str
    bound: dict[str, Any]
    #: The browser tab (or device) that numbered the event; "" from old clients.
    recording: str = ""


@dataclass(frozen=True, slots=True)
class _Context:
    """Everything about a token's attempt that ingest needs, read in one query."""

    attempt_id: int
    participant_id: int
    study_id: int
    task_id: int
    study_status: StudyStatus
    allowed_origins: tuple[str, ...]
    started_at: datetime | None
    ended_at: datetime | None
    outcome: Outcome | None
    judged_by: JudgedBy | None
    success_kind: str
    success_value: str
    time_limit_s: int | None

    @property
    def deadline(self) -> datetime | None:
        if self.started_at is None or not self.time_limit_s:
            return None
        return _aware(self.started_at) + timedelta(seconds=self.time_limit_s)

    def overdue(self, now: datetime) -> bool:
        """Whether the attempt is still open past its time limit."""
        deadline = self.deadline
        return self.ended_at is None and deadline is not None and now > deadline


@dataclass(frozen=True, slots=True)
class AttemptState:
    """An attempt as the recorder and the participant page see it."""

    open: bool
    outcome: str | None
    judged_by: str | None
    ended_at: datetime | None
    time_left_s: float | None
    criterion_kind: str
    criterion_value: str | None

    def as_json(self) -> dict[str, Any]:
        criterion = None
        if self.criterion_kind in ("url_matches", "element"):
            criterion = {"kind": self.criterion_kind, "value": self.criterion_value}
        return {
            "state": "open" if self.open else "ended",
            "outcome": self.outcome,
            "judged_by": self.judged_by,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "time_left_s": self.time_left_s,
            "criterion": criterion,
        }


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one batch did: ids acknowledged, events refused, the attempt after it."""

    acked: list[str]
    rejected: list[Rejected]
    stored: int
    duplicates: int
    attempt: AttemptState

    def as_json(self) -> dict[str, Any]:
        return {
            "acked": self.acked,
            "rejected": [r.as_json() for r in self.rejected],
            "stored": self.stored,
            "duplicates": self.duplicates,
            "attempt": self.attempt.as_json(),
        }


def _aware(moment: datetime) -> datetime:
    """A datetime read back naive was stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
