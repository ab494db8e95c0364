"""The attempt a token names: its context, state, origin checks and ending."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Connection
from sqlmodel import Session

from uxlab.db import begin_write
from uxlab.errors import StudyStateError, TokenError, UxlabError
from uxlab.kinds import Step
from uxlab.models import (
    JudgedBy,
    Outcome,
    Participant,
    Study,
    StudyStatus,
    TaskAttempt,
    utcnow,
)
from uxlab.recorder.base import (
    AttemptState,
    OriginNotAllowedError,
    _aware,
    _Context,
    _engine,
    _writer_turn,
)
from uxlab.recorder.statements import (
    _CONTEXT_BY_ID,
    _CONTEXT_BY_TOKEN,
    _lookup,
)
from uxlab.tokens import hash_token


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
        and participant.step == str(Step.task(attempt.position - 1))
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
