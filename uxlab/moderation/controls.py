"""The moderator's controls: start, outcome, next, end; each applied once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.kinds import Step
from uxlab.live import CHANGES
from uxlab.models import (
    JudgedBy,
    ModeratedSession,
    Outcome,
    Participant,
    Response,
    SessionAction,
    TaskAttempt,
    utcnow,
)
from uxlab.moderation.core import (
    ACTIONS,
    MAX_REASON,
    MODERATOR_OUTCOMES,
    ControlRefusedError,
    UnansweredError,
    _check_client_id,
    _index,
    _since,
    _study,
    session_participant,
)
from uxlab.moderation.state import (
    _attempts,
)
from uxlab.participation import advance_step, step_questionnaires, study_steps

# ---------------------------------------------------------------- controls


@dataclass(frozen=True, slots=True)
class ControlResult:
    """What a control action did: applied, or not (stale or a resend)."""

    applied: bool
    duplicate: bool
    step: str | None
    version: int


def pressed_at(at_ms: Any, now: datetime) -> datetime:
    """When an action was pressed: ``at_ms`` if plausible, else ``now``.

    A time in the future is the client's clock running ahead (``now``); one
    over a day old is no clock at all.

    >>> from datetime import UTC
    >>> now = datetime(2026, 12, 1, 10, 0, 7, tzinfo=UTC)
    >>> pressed_at(int(now.timestamp() * 1000) - 6000, now).second
    1
    >>> pressed_at("soon", now) == now, pressed_at(10**15, now) == now
    (True, True)
    """
    if isinstance(at_ms, bool) or not isinstance(at_ms, int | float):
        return now
    latest = now.timestamp() * 1000
    if not latest - 86_400_000 <= at_ms <= latest:
        return now
    return datetime.fromtimestamp(at_ms / 1000, tz=now.tzinfo)


def _start_clock(ms: ModeratedSession, now: datetime) -> None:
    if ms.started_at is None:
        ms.started_at = now


def _reached(steps: list[str], current: str, index: int) -> bool:
    target = f"task:{index}"
    return (
        target in steps
        and current in steps
        and (steps.index(target) <= steps.index(current))
    )


def control(
    db: Session,
    session_id: int,
    *,
    action_id: Any,
    kind: Any,
    task_id: Any = None,
    outcome: Any = None,
    reason: Any = "",
    from_step: Any = None,
    at_ms: Any = None,
    confirm_partial: Any = False,
) -> ControlResult:
    """Apply one control action from the console, exactly once.

    ``kind`` is ``start`` (the participant's current task, which ``task_id``
    names), ``outcome`` (judge ``task_id`` as one of :data:`MODERATOR_OUTCOMES`,
    with an optional ``reason``; judging again corrects it), ``next`` (move the
    participant on from ``from_step``) or ``end`` (end the session). A resend
    of an ``action_id`` already applied changes nothing; a ``next`` from a step
    the participant has already left is stale and changes nothing. Raises
    :class:`ControlRefusedError` when the session's state does not allow it.

    ``at_ms`` is when the moderator pressed it (epoch ms, by the server's
    clock as the console estimates it): an action queued while the console
    was offline is timed then, not when it arrives (see :func:`pressed_at`).

    A ``next`` from a questionnaire page with items unanswered raises
    :class:`UnansweredError` unless ``confirm_partial`` is true; then the
    answers given stay, and the move is stored as leaving the page partial.
    """
    action_id = _check_client_id(action_id, "action_id")
    if kind not in ACTIONS:
        raise UxlabError(f"action ({kind!r}) must be one of {list(ACTIONS)}")
    if kind == "outcome" and outcome not in MODERATOR_OUTCOMES:
        raise UxlabError(
            f"outcome ({outcome!r}) must be one of {list(MODERATOR_OUTCOMES)}"
        )
    if kind in ("start", "outcome") and (
        isinstance(task_id, bool) or not isinstance(task_id, int)
    ):
        raise UxlabError(f"task_id ({task_id!r}) must be a task's id")
    if not isinstance(reason, str):
        raise UxlabError("reason must be text")
    reason = reason.strip()[:MAX_REASON]
    begin_write(db)
    try:
        ms = db.get(ModeratedSession, session_id)
        if ms is None:
            raise NotFoundError(f"no session {session_id}")
        db.expire_all()  # objects read before the lock may be stale
        done = db.exec(
            select(SessionAction).where(
                SessionAction.session_id == ms.id,
                SessionAction.action_id == action_id,
            )
        ).first()
        participant = session_participant(db, ms)
        if done is not None:
            db.commit()
            return ControlResult(done.applied, True, done.step, ms.version)
        now = pressed_at(at_ms, utcnow())
        if kind == "end":
            applied = ms.ended_at is None
            _start_clock(ms, now)
            ms.ended_at = ms.ended_at or now
        else:
            if ms.ended_at is not None:
                raise ControlRefusedError("This session has ended.")
            if participant is None:
                raise ControlRefusedError(
                    "The participant has not opened their link yet."
                )
            if kind == "next" and from_step in (None, participant.step):
                reason = _partial(db, ms, participant, confirm_partial is True)
            applied = _apply(
                db, ms, participant, kind, task_id, outcome, reason, from_step, now
            )
        step = participant.step if participant is not None else None
        if applied:
            ms.version += 1
        assert ms.id is not None
        db.add(
            SessionAction(
                session_id=ms.id,
                action_id=action_id,
                kind=kind,
                task_id=task_id if kind in ("start", "outcome") else None,
                outcome=outcome if kind == "outcome" else None,
                reason=reason if kind in ("outcome", "next") else "",
                step=step,
                applied=applied,
                session_ms=_since(ms, now) or 0,
            )
        )
        db.add(ms)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    CHANGES.notify()
    return ControlResult(applied, False, step, ms.version)


def _partial(
    db: Session, ms: ModeratedSession, participant: Participant, confirmed: bool
) -> str:
    """How a move leaves the participant's questionnaire page: "" when every
    item is answered (or it is no questionnaire page), else "left partial: 4
    of 10 answered" once ``confirmed``; unconfirmed, :class:`UnansweredError`.

    Confirmed, the answers of each questionnaire left with items unanswered
    are marked partial: results show them as such and never score them.
    """
    study = _study(db, ms)
    questionnaires, scope, _ = step_questionnaires(db, study, participant)
    total = sum(len(q.items) for q in questionnaires)
    if not total:
        return ""
    given = db.exec(
        select(Response).where(
            Response.participant_id == participant.id,
            Response.scope == scope,
            col(Response.questionnaire).in_([q.id for q in questionnaires]),
        )
    ).all()
    answered = len(given)
    if answered >= total:
        return ""
    if not confirmed:
        title = ", ".join(q.title or q.id for q in questionnaires)
        raise UnansweredError(answered, total, title)
    for q in questionnaires:
        mine = [r for r in given if r.questionnaire == q.id]
        if len(mine) < len(q.items):
            for response in mine:
                response.partial = True
                db.add(response)
    return f"left partial: {answered} of {total} answered"


def _apply(
    db: Session,
    ms: ModeratedSession,
    participant: Participant,
    kind: str,
    task_id: int | None,
    outcome: str | None,
    reason: str,
    from_step: Any,
    now: datetime,
) -> bool:
    study = _study(db, ms)
    if participant.consented_at is None or participant.step == "consent":
        raise ControlRefusedError("The participant has not agreed to take part yet.")
    steps = study_steps(study, participant)
    step = participant.step
    if kind == "next":
        if from_step is not None and from_step != step:
            return False  # someone else moved them on already
        if step == "done":
            return False
        index = _index(step)
        if index is not None and step == str(Step.task(index)):
            attempt = _attempts(db, participant).get(participant.task_order[index])
            if attempt is None or attempt.outcome is None:
                raise ControlRefusedError(
                    "Judge this task before moving on (0 skips it)."
                )
        _start_clock(ms, now)
        advance_step(study, participant)
        participant.moderator_step = participant.step
        db.add(participant)
        return True

    assert task_id is not None
    if task_id not in participant.task_order:
        raise NotFoundError(f"no task {task_id} in this session")
    index = participant.task_order.index(task_id)
    attempt = _attempts(db, participant).get(task_id)
    if kind == "start":
        if step != str(Step.task(index)):
            raise ControlRefusedError(
                "The participant is not on this task: move them on to it first."
            )
        if attempt is not None and attempt.outcome is not None:
            raise ControlRefusedError("This task is judged already.")
        if attempt is not None and attempt.started_at is not None:
            return False
        _start_clock(ms, now)
        if attempt is None:
            assert participant.id is not None
            attempt = TaskAttempt(
                participant_id=participant.id, task_id=task_id, position=index + 1
            )
        attempt.started_at = now
        participant.moderator_step = step
        db.add_all([attempt, participant])
        return True

    # kind == "outcome"
    if not _reached(steps, step, index):
        raise ControlRefusedError("The participant has not reached this task yet.")
    if attempt is None or attempt.started_at is None:
        if outcome != "skipped":
            raise ControlRefusedError("Start the task first (or skip it with 0).")
        if attempt is None:
            assert participant.id is not None
            attempt = TaskAttempt(
                participant_id=participant.id, task_id=task_id, position=index + 1
            )
    if (
        attempt.outcome == outcome
        and attempt.judged_by == JudgedBy.moderator
        and attempt.outcome_reason == reason
    ):
        return False
    _start_clock(ms, now)
    attempt.outcome = Outcome(str(outcome))
    attempt.judged_by = JudgedBy.moderator
    attempt.outcome_reason = reason
    if attempt.ended_at is None:
        started = attempt.started_at
        attempt.ended_at = now if started is None else max(now, started)
    db.add(attempt)
    return True
