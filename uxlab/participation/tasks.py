"""Tasks: starting, finishing (with the browser's own duration), first clicks."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func
from sqlmodel import Session, select

from uxlab.errors import (
    InvalidAnswerError,
    NotFoundError,
)
from uxlab.kinds import Step
from uxlab.models import (
    Event,
    JudgedBy,
    Outcome,
    Participant,
    Study,
    StudyMode,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.participation.base import (
    CLOCK_TOLERANCE_MS,
    MAX_CLIENT_DURATION_MS,
    _attempt,
    _commit_change,
    _derive,
    _index,
    _moved,
    _region,
    _require_consent,
    _tasks,
    _writing,
    advance_step,
)
from uxlab.tokens import hash_token


def _current_task(
    session: Session, study: Study, participant: Participant, step: str, task_id: int
) -> Task | None:
    """The task of ``step`` if that is the participant's current step, else None."""
    _require_consent(participant)
    if task_id not in participant.task_order:
        raise NotFoundError(f"There is no task {task_id} in this study.")
    if step != participant.step or Step.parse(step).name != "task":
        return None
    task = _tasks(session, study).get(participant.task_order[_index(step)])
    if task is None or task.id != task_id:
        return None
    return task


def _start_url(
    study: Study, participant: Participant, task: Task, token: str
) -> str | None:
    if not task.start_url:
        return None
    url = task.start_url
    if url.startswith("/") and participant.variant:
        for variant in study.settings.get("variants") or []:
            if variant.get("key") == participant.variant and variant.get("base_url"):
                url = str(variant["base_url"]).rstrip("/") + url
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("uxlab_attempt", token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _moderator_starts(study: Study, task: Task) -> bool:
    """Whether only the moderator may start ``task`` (moderated studies).

    >>> moderated = Study(title="t", slug="t", researcher_id=1, mode="moderated")
    >>> _moderator_starts(moderated, Task(study_id=1, key="k", title="t"))
    True
    >>> moderated.settings = {"moderation": {"participant_starts": True}}
    >>> _moderator_starts(moderated, Task(study_id=1, key="k", title="t"))
    False
    """
    if study.mode != StudyMode.moderated or task.success_kind == "first_click":
        return False
    moderation = study.settings.get("moderation") or {}
    return not moderation.get("participant_starts", False)


def start_task(
    session: Session,
    slug: str,
    token: str | None,
    *,
    step: str,
    task_id: int,
    secret: str,
) -> str | None:
    """Record the start of a task (once) and return the URL to open in a new tab.

    Pressing Start again keeps the first start time and gives the same URL, with
    the same attempt token. Returns None when there is no site to open
    (self-reported tasks without a start_url, first-click tasks, stale submits).
    """
    study, participant = _writing(session, slug, token)
    task = _current_task(session, study, participant, step, task_id)
    if task is None:
        session.commit()
        return None
    attempt = _attempt(session, participant, task)
    started = attempt is None
    if started and _moderator_starts(study, task):
        session.commit()
        return None  # the page says the moderator will start it
    if attempt is None:
        assert participant.id is not None
        attempt = TaskAttempt(
            participant_id=participant.id,
            task_id=task_id,
            position=_index(step) + 1,
            started_at=utcnow(),
        )
        session.add(attempt)
        session.flush()
    attempt_token = _derive(secret, f"attempt:{attempt.id}:{participant.token_hash}")
    attempt.token_hash = hash_token(attempt_token)
    session.add(attempt)
    if started:
        moves = _moved(participant, "task_started", step, task_id, attempt.started_at)
        _commit_change(session, study, participant.invite_id, moves)
    else:
        session.commit()
    if task.success_kind == "first_click":
        return None
    return _start_url(study, participant, task, attempt_token)


def _client_ms(raw: str | None) -> int | None:
    """The browser's own measurement, if it is a plausible whole number of ms."""
    if raw is None or not raw.strip().isdigit():
        return None
    value = int(raw.strip())
    return value if value <= MAX_CLIENT_DURATION_MS else None


def _end(
    attempt: TaskAttempt,
    task: Task,
    outcome: Outcome,
    judged_by: JudgedBy,
    client_duration_ms: str | None,
) -> None:
    now = utcnow()
    assert attempt.started_at is not None
    elapsed = (now - attempt.started_at).total_seconds()
    if outcome == Outcome.success and task.time_limit_s and elapsed > task.time_limit_s:
        outcome = Outcome.timed_out
    attempt.ended_at = now
    attempt.outcome = outcome
    attempt.judged_by = judged_by
    client = _client_ms(client_duration_ms)
    server_ms = round(elapsed * 1000)
    attempt.client_clock_disagreed = client is not None and not _plausible(
        client, server_ms
    )
    attempt.client_duration_ms = server_ms if attempt.client_clock_disagreed else client


def _plausible(client_ms: int, server_ms: int) -> bool:
    """Whether the browser's duration can be the same span as the server's.

    The browser's clock starts after the page loaded and stops before the
    answer leaves, so it runs a little short; it may not differ by more than
    5 s or a quarter of the span, whichever is more.

    >>> _plausible(1_850, 1_900), _plausible(10_801_950, 1_900)
    (True, False)
    """
    return abs(client_ms - server_ms) <= max(CLOCK_TOLERANCE_MS, server_ms // 4)


def _self_reported_outcome(
    session: Session, task: Task, attempt: TaskAttempt, gave_up: bool
) -> tuple[Outcome, JudgedBy]:
    """The outcome of "I'm done" or "I give up" on ``attempt``.

    Where the task has an automatic criterion (``url_matches``, ``element``)
    the criterion decides, not the participant: reaching the goal ends the
    attempt by itself, so "I'm done" on an attempt still open is a failure,
    or "unverified" when no recorder data at all came from it.  A task that
    opts in (``success: {self_report: true}``) trusts the participant.
    """
    if gave_up:
        return Outcome.abandoned, JudgedBy.self
    automatic = task.success_kind in ("url_matches", "element")
    if not automatic or task.settings.get("trust_self_report"):
        return Outcome.success, JudgedBy.self
    recorded = session.exec(
        select(func.count()).select_from(Event).where(Event.attempt_id == attempt.id)
    ).one()
    return (Outcome.failure if recorded else Outcome.unverified), JudgedBy.auto


def finish_task(
    session: Session,
    slug: str,
    token: str | None,
    *,
    step: str,
    task_id: int,
    gave_up: bool,
    client_duration_ms: str | None = None,
) -> None:
    """End the current task as the participant reports it: done or given up.

    "I'm done" is a self-judged success (timed out past the task's time limit)
    on a task without an automatic criterion; with one, the criterion decides
    (:func:`_self_reported_outcome`). "I give up" is abandoned. Either way
    the participant's own word is kept in ``self_reported``. A task not yet
    started, or a stale submit, changes nothing.
    """
    study, participant = _writing(session, slug, token)
    task = _current_task(session, study, participant, step, task_id)
    attempt = _attempt(session, participant, task) if task is not None else None
    if task is None or attempt is None or attempt.started_at is None:
        session.commit()
        return
    if task.success_kind == "first_click" and not gave_up:
        session.commit()  # a first-click task ends with the click
        return
    outcome, judge = _self_reported_outcome(session, task, attempt, gave_up)
    _end(attempt, task, outcome, judge, client_duration_ms)
    attempt.self_reported = not gave_up
    advance_step(study, participant)
    session.add_all([attempt, participant])
    kind = "task_gave_up" if gave_up else "task_done"
    moves = _moved(participant, kind, step, task_id, attempt.ended_at)
    _commit_change(session, study, participant.invite_id, moves)


def _fraction(raw: Any, name: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidAnswerError(f"{name} ({raw!r}) is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise InvalidAnswerError(f"{name} ({value}) must be between 0 and 1")
    return value


def record_first_click(
    session: Session,
    slug: str,
    token: str | None,
    *,
    step: str,
    task_id: int,
    x: Any,
    y: Any,
    client_duration_ms: str | None = None,
) -> None:
    """Store the first click on a first-click task's image and judge it.

    ``x`` and ``y`` are fractions of the image's width and height; the attempt
    succeeds when they fall inside the task's region.
    """
    fx, fy = _fraction(x, "x"), _fraction(y, "y")
    study, participant = _writing(session, slug, token)
    task = _current_task(session, study, participant, step, task_id)
    attempt = _attempt(session, participant, task) if task is not None else None
    if task is None or attempt is None or attempt.started_at is None:
        session.commit()
        return
    if task.success_kind != "first_click":
        raise InvalidAnswerError(f"task {task.key!r} is not a first-click task")
    r = _region(task)
    inside = (
        r["x"] <= fx <= r["x"] + r["width"] and r["y"] <= fy <= r["y"] + r["height"]
    )
    assert participant.id is not None
    session.add(
        Event(
            event_id=str(uuid.uuid4()),
            participant_id=participant.id,
            attempt_id=attempt.id,
            type="first_click",
            url=str(task.settings.get("image", ""))[:2000],
            payload={"x": fx, "y": fy},
        )
    )
    outcome = Outcome.success if inside else Outcome.failure
    _end(attempt, task, outcome, JudgedBy.auto, client_duration_ms)
    advance_step(study, participant)
    session.add_all([attempt, participant])
    moves = _moved(participant, "first_click", step, task_id, attempt.ended_at)
    _commit_change(session, study, participant.invite_id, moves)
