"""Recorder ingest: events stored exactly once, automatic success, completeness.

The browser recorder (``static/recorder.js``) delivers at least once: it keeps
every event until the server acknowledges its id, so the same event may arrive
twice (a beacon and a retry racing, a response lost after commit). Storage is
exactly once: the event id is unique, every event goes in with ``INSERT ... ON
CONFLICT (event_id) DO NOTHING RETURNING event_id``, and an id the insert skipped
is looked up: stored before for the same attempt, it is acknowledged again and
counted as a duplicate absorbed; stored for another, the event is rejected.

SQLite and PostgreSQL differ in locking and in how a write's rows are sent.
SQLite allows one writer, so a batch's transaction starts as a write
(:func:`uxlab.db.begin_write`, ``BEGIN IMMEDIATE``), looks up which ids are
stored, and inserts the others. PostgreSQL writes rows side by side: there the
unique index settles two processes storing the same id (the second waits for
the first to commit, then skips it), all the rows of a write go in one
statement and only the ids it skipped are looked up, and only a batch that may
end its attempt, a read-then-write of the attempt and its participant, takes
the write lock every other read-then-write takes.

Events are bound to the attempt the URL's token names; any participant,
attempt, study or task id an event carries must be that attempt's own or the
event is rejected. Each event is validated on its own, so one bad event never
costs the others in its batch.

An attempt ends by itself when a ``task_success`` event meets the task's
criterion (the server re-tests a ``url_matches`` regex on the event's URL) or
when its time limit passes; either way the participant moves on to their next
step.
"""

from __future__ import annotations

import json
import math
import re
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import JSON, Dialect, Integer, Table, bindparam, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, col

from uxlab.db import begin_write, insert_for
from uxlab.errors import StudyStateError, TokenError, UxlabError
from uxlab.models import (
    Event,
    JudgedBy,
    Outcome,
    Participant,
    Study,
    StudyStatus,
    TaskAttempt,
    utcnow,
)
from uxlab.patterns import url_matches
from uxlab.tokens import hash_token

__all__ = [
    "EVENT_TYPES",
    "AttemptEndedError",
    "AttemptState",
    "Batch",
    "BatchError",
    "Completeness",
    "IngestResult",
    "OriginNotAllowedError",
    "Rejected",
    "TaskStatus",
    "attempt_state",
    "check_origin",
    "completeness",
    "ingest",
    "ingest_many",
    "origin_of",
    "parse_batch",
    "task_status",
    "validate_event",
]

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


# ------------------------------------------------------------------ parsing


def parse_batch(body: bytes) -> list[Any]:
    """The events of a request body: ``{"events": [...]}`` or a bare list.

    Bytes that are not UTF-8 survive decoding as lone surrogates, so only the
    event that holds them is rejected (by :func:`validate_event`).
    """
    try:
        data = json.loads(body.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError) as exc:
        raise BatchError(f"The body is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("events")
    if not isinstance(data, list):
        raise BatchError(
            'Send {"events": [...]}: a JSON object with a list of events.',
            code="invalid_batch",
        )
    if len(data) > MAX_EVENTS:
        raise BatchError(
            f"A batch holds at most {MAX_EVENTS} events, not {len(data)}.",
            code="too_many_events",
            status=413,
        )
    return data


def _ts(raw: Any) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError("ts must be milliseconds since 1970")
    if not math.isfinite(raw) or not _TS_RANGE[0] <= raw <= _TS_RANGE[1]:
        raise ValueError(f"ts ({raw}) is not a time between 2000 and 2100")
    return datetime.fromtimestamp(raw / 1000, UTC)


#: Encodes event data for storage; one instance, as ``json.dumps`` with options
#: builds a new encoder on every call. ``NaN`` and ``Infinity``, which Python's
#: parser reads but JSON has not, are refused: PostgreSQL's json type would
#: refuse them too, failing the batch on every resend.
_PAYLOAD_JSON = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _not_numbers(kind: str, data: Mapping[str, Any]) -> str | None:
    """Why ``data``'s position or size fields are unusable, or None if they are fine.

    >>> _not_numbers("click", {"y": 3})
    'x must be a number; a click is drawn where it happened.'
    >>> _not_numbers("scroll", {"vw": "wide"})
    'vw must be a finite number.'
    """
    if kind in _POSITIONED:
        for key in ("x", "y"):
            if not _is_number(data.get(key)):
                return f"{key} must be a number; a {kind} is drawn where it happened."
    for key in _NUMERIC:
        if key in data and not _is_number(data[key]):
            return f"{key} must be a finite number."
    return None


def validate_event(raw: Any, index: int = 0) -> _Valid | Rejected:
    """Check one event on its own; a :class:`Rejected` says why it is refused.

    >>> validate_event({"id": "x", "seq": 1, "type": "click"}).reason
    'bad_id'
    >>> validate_event({"id": "a1b2c3d4e5", "seq": 1, "type": "click"}).reason
    'bad_data'
    >>> click = {"id": "a1b2c3d4e5", "seq": 1, "type": "click"}
    >>> validate_event({**click, "data": {"x": 3, "y": 4}}).type
    'click'
    """
    if not isinstance(raw, dict):
        return Rejected(index, None, "not_an_object", "An event is a JSON object.")
    event_id = raw.get("id")
    shown_id = event_id if isinstance(event_id, str) and len(event_id) <= 64 else None

    def reject(reason: str, message: str) -> Rejected:
        return Rejected(index, shown_id, reason, message)

    if not isinstance(event_id, str) or not _ID.match(event_id):
        return reject("bad_id", "id must be 8-64 letters, digits or hyphens.")
    unknown = sorted(set(raw) - _FIELDS - set(_BOUND))
    if unknown:
        return reject("unknown_field", f"Unknown fields: {', '.join(unknown)}.")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        return reject(
            "bad_type", f"type ({kind!r}) must be one of {sorted(EVENT_TYPES)}"
        )
    seq = raw.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**31:
        return reject("bad_seq", f"seq ({seq!r}) must be a whole number >= 0.")
    try:
        ts = _ts(raw.get("ts"))
    except ValueError as exc:
        return reject("bad_ts", str(exc))
    url = raw.get("url", "")
    if not isinstance(url, str):
        return reject("bad_url", "url must be a string.")
    if len(url) > MAX_URL:
        return reject("too_large", f"url is longer than {MAX_URL} characters.")
    if "\x00" in url:  # no URL has one, and PostgreSQL text cannot hold it
        return reject("bad_url", "url cannot contain a NUL character.")
    data = raw.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return reject("bad_data", "data must be a JSON object.")
    selector = data.get("selector")
    if isinstance(selector, str) and len(selector) > MAX_SELECTOR:
        return reject(
            "too_large", f"selector is longer than {MAX_SELECTOR} characters."
        )
    if any(isinstance(v, str) and len(v) > MAX_STRING for v in data.values()):
        return reject("too_large", f"a data field is over {MAX_STRING} characters.")
    try:
        # Lone surrogates (bytes that were not UTF-8) cannot be encoded.
        url.encode("utf-8")
        payload = _PAYLOAD_JSON.encode(data)
        size = len(payload.encode("utf-8"))
    except UnicodeEncodeError:
        return reject("invalid_utf8", "The event holds text that is not UTF-8.")
    except (TypeError, ValueError, RecursionError):  # NaN; the rest from JSON
        return reject("bad_data", "data cannot be stored as JSON.")
    if size > MAX_DATA_BYTES:
        return reject("too_large", f"data is {size} bytes; at most {MAX_DATA_BYTES}.")
    wrong = _not_numbers(kind, data)
    if wrong:
        return reject("bad_data", wrong)
    recording = raw.get("rec", "")
    if not isinstance(recording, str) or (recording and not _ID.match(recording)):
        return reject("bad_rec", "rec must be 8-64 letters, digits or hyphens.")
    bound = {k: raw[k] for k in _BOUND if k in raw}
    return _Valid(index, event_id, kind, seq, ts, url, data, payload, bound, recording)


# ------------------------------------------------------------------ attempts


def _aware(moment: datetime) -> datetime:
    """A datetime read back naive was stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_CONTEXT_SQL = """
SELECT a.id, a.participant_id, p.study_id, a.task_id, s.status, s.settings,
       a.started_at, a.ended_at, a.outcome, a.judged_by,
       t.success_kind, t.success_value, t.time_limit_s, a.token_hash
FROM taskattempt AS a
JOIN participant AS p ON p.id = a.participant_id
JOIN task AS t ON t.id = a.task_id
JOIN study AS s ON s.id = p.study_id
WHERE a.{where}
"""
# Plain SQL, the same on both databases: the ORM's overhead would be most of
# its cost. Values come back as the driver gives them (SQLite: text for
# datetimes and JSON), which _context_of reads.
_CONTEXT_BY_TOKEN = text(_CONTEXT_SQL.format(where="token_hash = :key"))
_CONTEXT_BY_ID = text(_CONTEXT_SQL.format(where="id = :key"))


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return _aware(moment)


def _context(
    conn: Connection, token: str | None, *, attempt_id: int | None = None
) -> _Context:
    """Everything about an attempt ingest needs, in one query."""
    if token:
        row = conn.execute(_CONTEXT_BY_TOKEN, {"key": hash_token(token)}).first()
    else:
        row = conn.execute(_CONTEXT_BY_ID, {"key": attempt_id}).first()
    return _context_of(row)


def _contexts(
    conn: Connection, token_hashes: Iterable[str]
) -> dict[str, _Context | UxlabError]:
    """The context of each hashed token, or the error its batch gets, in one query."""
    wanted = list(dict.fromkeys(token_hashes))
    found: dict[str, _Context | UxlabError] = {}
    for row in _lookup(conn, "contexts", wanted):
        try:
            found[row[13]] = _context_of(row)
        except UxlabError as exc:
            found[row[13]] = exc
    for key in wanted:
        if key not in found:
            found[key] = TokenError("This recording link is not valid.")
    return found


def _context_of(row: Sequence[Any] | None) -> _Context:
    """An attempt's context from a row of ``_CONTEXT_SQL``, if it takes events."""
    if row is None or row[4] == StudyStatus.draft:
        raise TokenError("This recording link is not valid.")
    if row[4] == StudyStatus.closed:
        raise StudyStateError("This study is closed; nothing more is recorded.")
    settings = json.loads(row[5]) if isinstance(row[5], str) else (row[5] or {})
    origins = settings.get("allowed_origins") or []
    return _Context(
        attempt_id=row[0],
        participant_id=row[1],
        study_id=row[2],
        task_id=row[3],
        study_status=StudyStatus(row[4]),
        allowed_origins=tuple(str(o) for o in origins),
        started_at=_when(row[6]),
        ended_at=_when(row[7]),
        outcome=Outcome(row[8]) if row[8] else None,
        judged_by=JudgedBy(row[9]) if row[9] else None,
        success_kind=row[10],
        success_value=row[11],
        time_limit_s=row[12],
    )


def origin_of(url: str) -> str:
    """The ``scheme://host[:port]`` of a URL.

    >>> origin_of("http://127.0.0.1:5000/static/x.html?a=1")
    'http://127.0.0.1:5000'
    """
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(
    allowed: Iterable[str], origin: str | None, own: Iterable[str] = ()
) -> None:
    """Refuse a browser ``Origin`` that is neither uxlab's own nor the study's.

    No ``Origin`` at all is a non-browser client holding the token, which is
    what authenticates it.
    """
    if origin is None:
        return
    wanted = origin.rstrip("/").lower()
    if not any(o.rstrip("/").lower() == wanted for o in chain(allowed, own)):
        raise OriginNotAllowedError(
            "This site is not allowed to send events to this study."
        )


def allowed_origins(session: Session, token: str) -> tuple[str, ...]:
    """The study's allowed origins for a token (raises like :func:`ingest`)."""
    return _context(session.connection(), token).allowed_origins


def _js_regex(pattern: str) -> str:
    """Python's named groups in the spelling JavaScript understands."""
    return pattern.replace("(?P<", "(?<").replace("(?P=", "\\k<")


def _state(ctx: _Context, attempt: TaskAttempt | None, now: datetime) -> AttemptState:
    ended_at = ctx.ended_at
    outcome = ctx.outcome
    judged_by = ctx.judged_by
    if attempt is not None:
        ended_at = _aware(attempt.ended_at) if attempt.ended_at else None
        outcome, judged_by = attempt.outcome, attempt.judged_by
    left = None
    deadline = ctx.deadline
    if deadline is not None and ended_at is None:
        left = max(0.0, round((deadline - now).total_seconds(), 1))
    value: str | None = ctx.success_value or None
    if ctx.success_kind == "url_matches" and value:
        value = _js_regex(value)
    return AttemptState(
        open=ended_at is None,
        outcome=str(outcome) if outcome else None,
        judged_by=str(judged_by) if judged_by else None,
        ended_at=ended_at,
        time_left_s=left,
        criterion_kind=ctx.success_kind,
        criterion_value=value,
    )


def _end_attempt(
    session: Session,
    ctx: _Context,
    outcome: Outcome,
    *,
    ended_at: datetime,
    event_at: datetime | None,
    reason: str,
) -> TaskAttempt:
    """End an open attempt automatically and move its participant on."""
    attempt = session.get(TaskAttempt, ctx.attempt_id)
    if attempt is None or attempt.ended_at is not None:  # pragma: no cover
        raise StudyStateError("The attempt has already ended.")
    attempt.ended_at = ended_at
    attempt.outcome = outcome
    attempt.judged_by = JudgedBy.auto
    attempt.outcome_event_at = event_at
    attempt.outcome_reason = reason
    session.add(attempt)
    participant = session.get(Participant, ctx.participant_id)
    study = session.get(Study, ctx.study_id)
    if (
        participant is not None
        and study is not None
        and participant.step == f"task:{attempt.position - 1}"
    ):
        from uxlab.participation import advance_step

        advance_step(study, participant)
        session.add(participant)
    return attempt


def _time_out(session: Session, ctx: _Context) -> TaskAttempt:
    """End an overdue attempt as timed out, at its deadline."""
    assert ctx.deadline is not None
    return _end_attempt(
        session,
        ctx,
        Outcome.timed_out,
        ended_at=ctx.deadline,
        event_at=None,
        reason=f"time limit of {ctx.time_limit_s} s",
    )


def _check_time_limit(
    session: Session, ctx: _Context, now: datetime
) -> TaskAttempt | None:
    return _time_out(session, ctx) if ctx.overdue(now) else None


def attempt_state(
    session: Session, token: str, *, origin: str | None = None, own: Iterable[str] = ()
) -> AttemptState:
    """The attempt's state and success criterion; ends it if its time is up."""
    now = utcnow()
    ctx = _context(session.connection(), token)
    check_origin(ctx.allowed_origins, origin, own)
    attempt = None
    if ctx.overdue(now):
        with _writer_turn(_engine(session)):
            begin_write(session)
            try:
                # Again, inside the write transaction.
                ctx = _context(session.connection(), token)
                attempt = _check_time_limit(session, ctx, now)
                state = _state(ctx, attempt, now)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return state
    state = _state(ctx, attempt, now)
    session.commit()
    return state


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """Where a participant is: their step, and whether its task has started."""

    step: str
    started: bool

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "started": self.started}


def task_status(session: Session, slug: str, token: str | None) -> TaskStatus:
    """The participant's step now, after ending their task if its time is up.

    The participant page polls this while the site is open in another tab, to
    move on when the recorder (or the clock) has ended the task, and to catch
    up with a start it sent before its script was running.
    """
    from uxlab.participation import step_page

    page = step_page(session, slug, token)
    attempt = page.attempt
    task = page.task
    started = attempt is not None and attempt.started_at is not None
    if (
        attempt is None
        or attempt.id is None
        or task is None
        or attempt.ended_at is not None
        or attempt.started_at is None
        or not task.time_limit_s
    ):
        session.commit()
        return TaskStatus(page.step, started)
    deadline = _aware(attempt.started_at) + timedelta(seconds=task.time_limit_s)
    now = utcnow()
    if now <= deadline:
        session.commit()
        return TaskStatus(page.step, started)
    with _writer_turn(_engine(session)):
        begin_write(session)
        try:
            ctx = _context(session.connection(), None, attempt_id=attempt.id)
            _check_time_limit(session, ctx, now)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return TaskStatus(step_page(session, slug, token).step, started)


# ------------------------------------------------------------------- ingest


def _verified(ctx: _Context, event: _Valid) -> bool:
    """Whether a ``task_success`` event really meets the task's criterion."""
    if ctx.success_kind == "url_matches":
        # RE2: linear in the URL, so no pattern can hold the recording lane.
        return url_matches(ctx.success_value, event.url)
    return ctx.success_kind == "element"


def _bound_to(ctx: _Context, bound: Mapping[str, Any]) -> bool:
    own = {
        "attempt_id": ctx.attempt_id,
        "participant_id": ctx.participant_id,
        "study_id": ctx.study_id,
        "task_id": ctx.task_id,
    }
    return all(str(value) == str(own[key]) for key, value in bound.items())


class _EncodedJSON(TypeDecorator[Any]):
    """The ``payload`` column, bound as the JSON text :func:`validate_event` made.

    Each event's data is encoded once, to check its size; the driver is given
    that text (PostgreSQL casts it to ``json``) rather than a second encoding.
    """

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


# ---------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A statement compiled once for an engine's dialect, run on a DB-API cursor.

    Ingest runs a few fixed statements for every batch. SQLAlchemy writes each
    once, in the dialect's SQL and paramstyle, and says which values its types
    process (SQLite's datetimes become text); each run then goes to the
    driver through the DB-API (PEP 249) that every driver implements. The
    execution layer's work per statement (cache keys, events, result typing)
    cost five times what SQLite took to run it. A driver's error comes out as
    SQLAlchemy's, as from any other statement.
    """

    sql: str
    keys: tuple[str, ...]
    positional: bool
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def of(
        cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] = ()
    ) -> _Prepared:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or compiled.binds)
        processors = {}
        for name in names:
            bound = compiled.binds[name].type.dialect_impl(dialect)
            process = bound.bind_processor(dialect)
            if process is not None:
                processors[name] = process
        return cls(str(compiled), names, compiled.positional, processors)

    def params(self, values: dict[str, Any], *, processed: Collection[str] = ()) -> Any:
        """``values`` (changed in place) as the driver takes them: tuple or dict.

        Values named in ``processed`` are in the driver's form already.
        """
        for key, process in self.processors.items():
            if key not in processed:
                values[key] = process(values[key])
        if self.positional:
            return tuple([values[k] for k in self.keys])
        return values

    def process(self, key: str, value: Any) -> Any:
        """``value`` of ``key`` in the driver's form."""
        process = self.processors.get(key)
        return value if process is None else process(value)

    def rows(self, conn: Connection, values: dict[str, Any]) -> list[Sequence[Any]]:
        """The rows the statement reads, as the driver gives them."""
        params = self.params(values)
        with _cursor(conn, self.sql, params) as cursor:
            cursor.execute(self.sql, params)
            return list(cursor.fetchall())

    def run_many(
        self,
        conn: Connection,
        rows: Iterable[dict[str, Any]],
        *,
        processed: Collection[str] = (),
    ) -> int:
        """Run the statement once for each of ``rows``; the rows it changed."""
        params = [self.params(row, processed=processed) for row in rows]
        with _cursor(conn, self.sql, params) as cursor:
            cursor.executemany(self.sql, params)
            return int(cursor.rowcount)


@contextmanager
def _cursor(conn: Connection, sql: str, params: Any) -> Iterator[DBAPICursor]:
    """A DB-API cursor in ``conn``'s transaction; driver errors as SQLAlchemy's."""
    cursor = conn.connection.cursor()
    try:
        yield cursor
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            sql, params, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


_PREPARED: weakref.WeakKeyDictionary[Engine, dict[tuple[str, int], _Prepared]] = (
    weakref.WeakKeyDictionary()
)


def _prepared(conn: Connection, name: str, size: int = 1) -> _Prepared:
    """Statement ``name`` (for ``size`` values, where it takes a list) for ``conn``."""
    engine = conn.engine
    with _LOCKS_GUARD:
        cache = _PREPARED.setdefault(engine, {})
    found = cache.get((name, size))
    if found is None:
        found = cache[name, size] = _STATEMENTS[name](engine.dialect, size)
    return found


#: How many values one statement of a list lookup takes on SQLite: longer
#: lists are padded up to one of these sizes, so lookups share a few dozen
#: statements.
_SIZES = (*range(1, 65), 128, 256, 512, 1024)
_KEY_NAMES = tuple(f"k{i}" for i in range(_SIZES[-1]))


def _sized(values: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """``values`` as the parameters of lookups of a prepared size."""
    for start in range(0, len(values), _SIZES[-1]):
        part = values[start : start + _SIZES[-1]]
        size = next(s for s in _SIZES if s >= len(part))
        # Repeating a value pads the list without changing what it finds.
        padded = [*part, *[part[0]] * (size - len(part))]
        yield size, dict(zip(_KEY_NAMES, padded, strict=False))


def _lookup(conn: Connection, name: str, values: Sequence[str]) -> list[Sequence[Any]]:
    """The rows lookup ``name`` finds for ``values``.

    PostgreSQL takes the list as one array parameter: one statement, prepared
    once, whatever its length. SQLite has no arrays; there the list is padded
    to one of a few sizes.
    """
    if not values:
        return []
    if conn.dialect.name == "postgresql":
        return _prepared(conn, name).rows(conn, {"keys": list(values)})
    return [
        row
        for size, keys in _sized(values)
        for row in _prepared(conn, name, size).rows(conn, keys)
    ]


def _in(dialect: Dialect, column: str, size: int) -> str:
    """``column`` is one of the lookup's values, in the dialect's spelling."""
    if dialect.name == "postgresql":
        return f"{column} = ANY(CAST(:keys AS VARCHAR[]))"
    return f"{column} IN ({', '.join(f':k{i}' for i in range(size))})"


def _context_lookup(dialect: Dialect, size: int) -> _Prepared:
    where = _in(dialect, "token_hash", size)
    return _Prepared.of(text(_CONTEXT_SQL.format(where=where)), dialect)


def _owner_lookup(dialect: Dialect, size: int) -> _Prepared:
    where = _in(dialect, "event_id", size)
    return _Prepared.of(
        text(f"SELECT event_id, attempt_id FROM event WHERE {where}"), dialect
    )


def _event_insert(dialect: Dialect, _size: int) -> _Prepared:
    """``INSERT ... ON CONFLICT (event_id) DO NOTHING`` in the dialect's spelling."""
    statement = (
        insert_for(dialect.name, _EVENT)
        .values(payload=bindparam("encoded", type_=_EncodedJSON()))
        .on_conflict_do_nothing(index_elements=[_EVENT.c.event_id])
    )
    return _Prepared.of(statement, dialect, _EVENT_KEYS)


def _count_update(dialect: Dialect, _size: int) -> _Prepared:
    statement = (
        sql_update(_ATTEMPT)
        .where(_ATTEMPT.c.id == bindparam("attempt", type_=Integer()))
        .values(
            duplicate_events=_ATTEMPT.c.duplicate_events
            + bindparam("duplicates", type_=Integer()),
            rejected_events=_ATTEMPT.c.rejected_events
            + bindparam("rejected", type_=Integer()),
        )
    )
    return _Prepared.of(statement, dialect)


#: PostgreSQL's insert of a whole write: one statement whatever the number of
#: rows, given as one JSON array. psycopg adapts a list parameter in Python,
#: escaping each item; one string goes to the server as it is. Each event's
#: data goes in as the text of its JSON, a string in the array: as a nested
#: value, any ``\u0000`` in it would fail the whole array, where the ``json``
#: type stores it. It answers with the ids it stored; any other was stored
#: before, or by a transaction that committed while this one waited for it.
_STORE_SQL = """
INSERT INTO event (event_id, participant_id, attempt_id, type, seq, client_ts,
                   received_at, url, payload, recording)
SELECT e.event_id, e.participant_id, e.attempt_id, e.type, e.seq, e.client_ts,
       CAST(:received_at AS TIMESTAMPTZ), e.url, CAST(e.payload AS JSON),
       COALESCE(e.recording, '')
FROM json_to_recordset(CAST(:events AS JSON))
     AS e(event_id VARCHAR, participant_id INTEGER, attempt_id INTEGER,
          type VARCHAR, seq INTEGER, client_ts TIMESTAMPTZ, url VARCHAR,
          payload TEXT, recording VARCHAR)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


def _event_store(dialect: Dialect, _size: int) -> _Prepared:
    return _Prepared.of(text(_STORE_SQL), dialect)


_STATEMENTS: dict[str, Callable[[Dialect, int], _Prepared]] = {
    "contexts": _context_lookup,
    "owners": _owner_lookup,
    "insert": _event_insert,
    "store": _event_store,
    "count": _count_update,
}


_EVENT_KEYS = (
    "event_id",
    "participant_id",
    "attempt_id",
    "type",
    "seq",
    "client_ts",
    "received_at",
    "url",
    "recording",
)


def _owners(conn: Connection, event_ids: Sequence[str]) -> dict[str, int]:
    """The attempt each of ``event_ids`` already stored belongs to."""
    return {
        event_id: attempt_id
        for event_id, attempt_id in _lookup(conn, "owners", event_ids)
    }


def _row(ctx: _Context, event: _Valid, received: datetime) -> dict[str, Any]:
    """The ``event`` row of ``event``, as the insert binds it."""
    return {
        "event_id": event.id,
        "participant_id": ctx.participant_id,
        "attempt_id": ctx.attempt_id,
        "type": event.type,
        "seq": event.seq,
        "client_ts": event.ts,
        "received_at": received,
        "url": event.url,
        "encoded": event.payload,
        "recording": event.recording,
    }


class _Raced(Exception):
    """An id the insert skipped was gone when looked up, or stored meanwhile."""


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, whose ids the lookup just found not stored (SQLite).

    The write lock held since the lookup means none can be stored now; should
    one be, the rows stored fall short and the write is rolled back and done
    again.
    """
    insert = _prepared(conn, "insert")
    # One receipt time for every row, put in the driver's form once.
    received = insert.process("received_at", rows[0]["received_at"])
    for row in rows:
        row["received_at"] = received
    stored = insert.run_many(conn, rows, processed=("received_at",))
    if stored != len(rows):
        raise _Raced(f"{len(rows) - stored} of {len(rows)} ids were stored meanwhile")


def _store(
    conn: Connection,
    claims: Mapping[str, tuple[_Context, _Valid]],
    received: datetime,
) -> dict[str, int]:
    """Insert every claimed event not stored yet (PostgreSQL); owners of the rest.

    One statement stores the write, and only the ids it skipped, rare (a
    resend, a beacon racing a retry), are looked up: the owner of each, an
    attempt. The insert waits for a transaction storing one of the ids to end,
    and the lookup after it, with a snapshot of its own, sees what that one
    committed. Rows go in in order of id, so two writes sharing ids wait for
    each other in one order and never deadlock.
    """
    ordered = sorted(claims)
    encode = _PAYLOAD_JSON.encode
    rows = []
    for event_id in ordered:
        ctx, event = claims[event_id]
        ts = "null" if event.ts is None else f'"{event.ts.isoformat()}"'
        rows.append(
            f'{{"event_id":{encode(event_id)},'
            f'"participant_id":{ctx.participant_id:d},'
            f'"attempt_id":{ctx.attempt_id:d},"type":{encode(event.type)},'
            f'"seq":{event.seq:d},"client_ts":{ts},"url":{encode(event.url)},'
            f'"payload":{encode(event.payload)},'
            f'"recording":{encode(event.recording)}}}'
        )
    found = _prepared(conn, "store").rows(
        conn, {"received_at": received, "events": f"[{','.join(rows)}]"}
    )
    stored = {row[0] for row in found}
    if len(stored) == len(ordered):
        return {}
    skipped = [event_id for event_id in ordered if event_id not in stored]
    owners = _owners(conn, skipped)
    if len(owners) != len(skipped):  # pragma: no cover - deleted meanwhile
        raise _Raced(f"{len(skipped) - len(owners)} skipped ids are gone")
    return owners


def _sort_out(
    ctx: _Context, valid: list[_Valid], rejected: list[Rejected]
) -> tuple[dict[str, _Valid], int]:
    """A batch's events by id, each once; those naming another attempt rejected.

    Returns the events to store and the number of repeats within the batch.
    """
    unique: dict[str, _Valid] = {}
    duplicates = 0
    for event in valid:
        if event.bound and not _bound_to(ctx, event.bound):
            rejected.append(
                Rejected(
                    event.index,
                    event.id,
                    "foreign_id",
                    "The event names another participant, attempt or study.",
                )
            )
        elif event.id in unique:
            duplicates += 1
        else:
            unique[event.id] = event
    return unique, duplicates


def _admit(
    ctx: _Context,
    unique: Mapping[str, _Valid],
    mine: set[str],
    owners: Mapping[str, int],
    rejected: list[Rejected],
) -> tuple[dict[str, _Valid], list[str], int]:
    """Sort a batch's events: new ones, ones stored before, foreign ones.

    ``mine`` holds the ids this batch's rows store; ``owners`` maps every
    other id of the write to the attempt that holds it. Returns the new events
    by id, the ids to acknowledge (new, and stored before for this attempt)
    and the number of duplicates absorbed; an id stored for another recording
    goes to ``rejected``.
    """
    fresh: dict[str, _Valid] = {}
    acked: list[str] = []
    duplicates = 0
    for event_id, event in unique.items():
        if event_id in mine:
            fresh[event_id] = event
        elif owners[event_id] == ctx.attempt_id:
            duplicates += 1
        else:
            rejected.append(
                Rejected(
                    event.index,
                    event_id,
                    "id_conflict",
                    "This id belongs to another recording.",
                )
            )
            continue
        acked.append(event_id)
    return fresh, acked, duplicates


def _ends(ctx: _Context, events: Iterable[_Valid]) -> _Valid | None:
    """The event that ends an open attempt as a success, if any: the first met."""
    successes = sorted(
        (e for e in events if e.type == "task_success"), key=lambda e: e.seq
    )
    return next((e for e in successes if _verified(ctx, e)), None)


def _may_end(ctx: _Context, events: Iterable[_Valid], now: datetime) -> bool:
    """Whether a batch could end its attempt (its events may be stored before)."""
    if ctx.ended_at is not None:
        return False
    return ctx.overdue(now) or _ends(ctx, events) is not None


def _auto_end(
    session: Session, ctx: _Context, fresh: Mapping[str, _Valid], now: datetime
) -> TaskAttempt | None:
    """End the attempt if its time is up or a new event meets its criterion.

    Returns the attempt ended, or ``None`` when it goes on.
    """
    if ctx.ended_at is not None:
        return None
    if ctx.overdue(now):
        return _time_out(session, ctx)
    met = _ends(ctx, fresh.values())
    if met is None:
        return None
    return _end_attempt(
        session,
        ctx,
        Outcome.success,
        ended_at=now,
        event_at=met.ts or now,
        reason=f"{ctx.success_kind} met",
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """One request's events, as :func:`ingest_many` takes them.

    ``origin`` is the browser's ``Origin`` header (``None`` from other
    clients); ``own`` lists uxlab's own origins, read only when ``origin`` is
    not one of the study's.
    """

    token: str
    events: Sequence[Any]
    origin: str | None = None
    own: Iterable[str] = ()


@dataclass(slots=True)
class _Checked:
    """A batch with its events validated, before anything is read or written."""

    token_hash: str
    origin: str | None
    own: Iterable[str]
    valid: list[_Valid]
    rejected: list[Rejected]


def _check(batch: Batch) -> _Checked:
    checked = [validate_event(raw, i) for i, raw in enumerate(batch.events)]
    return _Checked(
        token_hash=hash_token(batch.token),
        origin=batch.origin,
        own=batch.own,
        valid=[c for c in checked if isinstance(c, _Valid)],
        rejected=[c for c in checked if isinstance(c, Rejected)],
    )


def ingest(
    db: Session | Engine,
    token: str,
    events: Sequence[Any],
    *,
    origin: str | None = None,
    own: Iterable[str] = (),
    now: datetime | None = None,
) -> IngestResult:
    """Store a batch of events for the attempt ``token`` names, each exactly once.

    Every event is validated on its own. Valid events are acknowledged whether
    they are new or were stored before for this attempt (the duplicate is
    counted); an id stored for another attempt is rejected. A ``task_success``
    meeting the task's criterion ends the attempt as a success.

    ``db`` is the engine, or a session whose engine is used: a transaction
    that session has open is ended first, so that what it reads next is
    current. Raises the :class:`~uxlab.errors.UxlabError` that refuses the
    whole batch (a bad token, a closed study, a foreign origin).
    """
    if isinstance(db, Session):
        if db.in_transaction():
            db.commit()
        engine = _engine(db)
    else:
        engine = db
    result = ingest_many(engine, [Batch(token, events, origin, own)], now=now)[0]
    if isinstance(result, Exception):
        raise result
    return result


def ingest_many(
    engine: Engine, batches: Sequence[Batch], *, now: datetime | None = None
) -> list[IngestResult | Exception]:
    """Store several batches, each as :func:`ingest` would, in one transaction.

    Batches that arrive together are written together: one transaction, one
    query for their attempts, one ``INSERT`` (and a query for the ids it
    skipped, if any), whatever the number of batches. Each
    batch gets its own outcome, in order: its :class:`IngestResult`, or the
    :class:`~uxlab.errors.UxlabError` that refuses it while the others are
    stored. Should the shared transaction fail, each batch is written again on
    its own, so one batch's failure (its exception) costs the others nothing.
    """
    if not batches:
        return []
    now = now or utcnow()
    checked = [_check(batch) for batch in batches]
    try:
        return _write(engine, checked, now)
    except Exception as exc:
        if len(checked) == 1:
            return [exc]
    outcomes: list[IngestResult | Exception] = []
    for one in checked:
        try:
            outcomes += _write(engine, [one], now)
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


#: Times a write is done again after another process stored one of its ids.
_RACE_RETRIES = 3


def _write(
    engine: Engine, batches: list[_Checked], now: datetime
) -> list[IngestResult | Exception]:
    """Write ``batches`` in one transaction, again if another one raced it."""
    for _ in range(_RACE_RETRIES - 1):
        try:
            return _write_once(engine, batches, now)
        except _Raced:
            continue
    return _write_once(engine, batches, now)


def _write_once(
    engine: Engine, batches: list[_Checked], now: datetime
) -> list[IngestResult | Exception]:
    """Write ``batches`` in one transaction on a pooled connection.

    Prepared statements on the session's connection; only ending an attempt
    goes through the ORM, in the same transaction. Raises (after rolling back) if
    anything fails but a batch's own refusal.
    """
    outcomes: list[IngestResult | Exception | None] = [None] * len(batches)
    single_writer = _single_writer(engine)
    hashes = [b.token_hash for b in batches]
    with _writer_turn(engine), Session(engine, expire_on_commit=False) as session:
        if single_writer:
            begin_write(session)
        conn = session.connection()
        contexts = _contexts(conn, hashes)
        if not single_writer and any(
            isinstance(ctx, _Context) and _may_end(ctx, b.valid, now)
            for b, ctx in zip(batches, (contexts[h] for h in hashes), strict=True)
        ):
            # Ending an attempt reads and then writes the attempt and its
            # participant, as the participant's own pages do: it takes the
            # same write lock, before any row lock, and reads again under it.
            begin_write(session)
            conn = session.connection()
            contexts = _contexts(conn, hashes)
        taken: list[tuple[int, _Checked, _Context]] = []
        for i, batch in enumerate(batches):
            try:
                ctx = contexts[batch.token_hash]
                if isinstance(ctx, UxlabError):
                    raise ctx
                check_origin(ctx.allowed_origins, batch.origin, batch.own)
                if ctx.ended_at is not None and now > ctx.ended_at + ENDED_GRACE:
                    raise AttemptEndedError(
                        "This task has ended; nothing more is recorded."
                    )
            except UxlabError as exc:
                outcomes[i] = exc
            else:
                taken.append((i, batch, ctx))

        # An id new to the database is stored by the first batch naming it.
        sorted_out = []
        claims: dict[str, tuple[_Context, _Valid]] = {}
        for i, batch, ctx in taken:
            rejected = list(batch.rejected)
            unique, repeats = _sort_out(ctx, batch.valid, rejected)
            for event_id, event in unique.items():
                claims.setdefault(event_id, (ctx, event))
            sorted_out.append((i, ctx, unique, repeats, rejected))
        received = now.astimezone(UTC)
        if not claims:
            owners = {}
        elif single_writer:
            # Under SQLite's write lock nothing is stored meanwhile: the ids
            # looked up first are all there will be.
            owners = _owners(conn, list(claims))
            rows = [
                _row(ctx, event, received)
                for event_id, (ctx, event) in claims.items()
                if event_id not in owners
            ]
            if rows:
                _insert(conn, rows)
        else:
            owners = _store(conn, claims, received)

        # An attempt two batches share is ended once, by the first.
        ended: dict[int, TaskAttempt | None] = {}
        counts: dict[int, list[int]] = {}
        for i, ctx, unique, repeats, rejected in sorted_out:
            mine = {e for e in unique if e not in owners}
            owners.update(dict.fromkeys(mine, ctx.attempt_id))
            fresh, acked, duplicates = _admit(ctx, unique, mine, owners, rejected)
            duplicates += repeats
            if ctx.attempt_id in ended:
                attempt = ended[ctx.attempt_id]
            else:
                attempt = ended[ctx.attempt_id] = _auto_end(session, ctx, fresh, now)
            if duplicates or rejected:
                count = counts.setdefault(ctx.attempt_id, [0, 0])
                count[0] += duplicates
                count[1] += len(rejected)
            rejected.sort(key=lambda r: r.index)
            outcomes[i] = IngestResult(
                acked=acked,
                rejected=rejected,
                stored=len(fresh),
                duplicates=duplicates,
                attempt=_state(ctx, attempt, now),
            )
        if counts:
            _prepared(conn, "count").run_many(
                conn,
                (
                    {"attempt": a, "duplicates": d, "rejected": r}
                    for a, (d, r) in sorted(counts.items())
                ),
            )
        session.commit()  # flushes any ending, then commits every batch
    return [o for o in outcomes if o is not None]


# -------------------------------------------------------------- completeness


@dataclass(frozen=True, slots=True)
class Completeness:
    """How complete one attempt's recording is.

    ``missing`` counts sequence numbers never received between the first and
    the highest one stored (events lost for good, or still queued in a
    browser); ``gaps`` lists them as ``(first, last)`` ranges.
    """

    attempt_id: int
    events: int
    first_seq: int | None
    last_seq: int | None
    missing: int
    gaps: list[tuple[int, int]] = field(default_factory=list)
    duplicates: int = 0
    rejected: int = 0

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.rejected == 0


def _gaps(seqs: Sequence[int]) -> list[tuple[int, int]]:
    """Missing runs in sorted, distinct sequence numbers starting from 1.

    >>> _gaps([1, 2, 5, 6, 9])
    [(3, 4), (7, 8)]
    >>> _gaps([3])
    [(1, 2)]
    """
    out = []
    expected = 1
    for s in seqs:
        if s > expected:
            out.append((expected, s - 1))
        expected = max(expected, s + 1)
    return out


def completeness(
    session: Session, attempt_ids: Iterable[int]
) -> dict[int, Completeness]:
    """Recording completeness of each attempt: gaps, duplicates, rejects."""
    ids = list(attempt_ids)
    if not ids:
        return {}
    # Each tab or device numbers its own events: gaps are found per recording.
    seqs: dict[tuple[int, str], list[int]] = {}
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    for attempt_id, recording, seq in session.execute(
        select(_EVENT.c.attempt_id, _EVENT.c.recording, _EVENT.c.seq)
        .where(_EVENT.c.attempt_id.in_(ids))
        .order_by(_EVENT.c.attempt_id, _EVENT.c.recording, _EVENT.c.seq)
    ).all():
        counts[attempt_id] += 1
        run = seqs.setdefault((attempt_id, recording or ""), [])
        if seq > 0 and (not run or run[-1] != seq):
            run.append(seq)
    out = {}
    for attempt_id, dup, rej in session.execute(
        select(
            col(TaskAttempt.id),
            col(TaskAttempt.duplicate_events),
            col(TaskAttempt.rejected_events),
        ).where(col(TaskAttempt.id).in_(ids))
    ).all():
        runs = [run for (owner, _), run in sorted(seqs.items()) if owner == attempt_id]
        s = sorted({n for run in runs for n in run})
        gaps = [gap for run in runs for gap in _gaps(run)]
        out[attempt_id] = Completeness(
            attempt_id=attempt_id,
            events=counts[attempt_id],
            first_seq=s[0] if s else None,
            last_seq=s[-1] if s else None,
            missing=sum(b - a + 1 for a, b in gaps),
            gaps=gaps,
            duplicates=dup,
            rejected=rej,
        )
    return out
