"""What a session's live pages show: console, observers' pages, participant's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from uxlab.kinds import Step, kind_of
from uxlab.models import (
    Event,
    ModeratedSession,
    Participant,
    SessionNote,
    TaskAttempt,
    utcnow,
)
from uxlab.moderation.core import (
    _CLICK_EVENTS,
    _PAGE_EVENTS,
    Author,
    _epoch_ms,
    _index,
    _order,
    _step_label,
    _study,
    _tasks,
    session_participant,
    session_tags,
)
from uxlab.participation import study_steps

# ------------------------------------------------------------------- state


def _note_dict(
    note: SessionNote, tags: Mapping[str, str], viewer: Author | None
) -> dict[str, Any]:
    return {
        "note_id": note.note_id,
        "version": note.version,
        "tag": note.tag,
        "tag_label": tags.get(note.tag, note.tag),
        "text": note.text,
        "task_id": note.task_id,
        "session_ms": note.session_ms,
        "author": note.author_name,
        "author_kind": note.author_kind,
        "mine": viewer is not None and viewer.owns(note),
        "deleted": note.deleted_at is not None,
    }


def _notes(db: Session, ms: ModeratedSession) -> list[SessionNote]:
    return list(
        db.exec(
            select(SessionNote)
            .where(
                SessionNote.session_id == ms.id,
                col(SessionNote.deleted_at).is_(None),
            )
            .order_by(col(SessionNote.session_ms), col(SessionNote.id))
        ).all()
    )


def _attempts(db: Session, participant: Participant | None) -> dict[int, TaskAttempt]:
    if participant is None:
        return {}
    rows = db.exec(
        select(TaskAttempt).where(TaskAttempt.participant_id == participant.id)
    ).all()
    return {a.task_id: a for a in rows}


def _last_event(
    db: Session, participant: Participant, types: tuple[str, ...]
) -> Event | None:
    return db.exec(
        select(Event)
        .where(Event.participant_id == participant.id, col(Event.type).in_(types))
        .order_by(col(Event.id).desc())
        .limit(1)
    ).first()


def _click_label(event: Event) -> str:
    payload = event.payload or {}
    for key in ("text", "label", "selector"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return event.type


#: The participant's page counts as open while it reached the server within
#: this many seconds: its stream says so every second, a polling page every
#: two or three.
PRESENT_WITHIN = 8


def build_state(
    db: Session, ms: ModeratedSession, viewer: Author | None = None
) -> dict[str, Any]:
    """Everything a console or an observer page shows, as JSON-ready data."""
    study = _study(db, ms)
    participant = session_participant(db, ms)
    tasks = _order(_tasks(db, study), participant)
    attempts = _attempts(db, participant)
    tags = session_tags(study)
    step = participant.step if participant is not None else None
    current = _index(step)
    # Tasks the moderator starts and judges are those a kind shows on a
    # ``task`` page; a tree test's tasks are answered on the tree itself.
    judged = "task" in kind_of(study).page_templates
    task_rows = []
    for i, task in enumerate(tasks if judged else []):
        a = attempts.get(task.id) if task.id is not None else None
        outcome = a.outcome if a is not None else None
        started = a is not None and a.started_at is not None
        task_rows.append(
            {
                "id": task.id,
                "key": task.key,
                "index": i,
                "title": task.title,
                "state": "judged" if outcome else ("running" if started else "waiting"),
                "outcome": str(outcome) if outcome else None,
                "judged_by": str(a.judged_by) if a and a.judged_by else None,
                "reason": a.outcome_reason if a is not None else "",
                "started_ms": _epoch_ms(a.started_at) if a is not None else None,
                "ended_ms": _epoch_ms(a.ended_at) if a is not None else None,
                "current": i == current,
            }
        )
    seen_at = ms.participant_seen_at
    person: dict[str, Any] = {
        "present": participant is not None,
        "connected": seen_at is not None
        and utcnow() - seen_at <= timedelta(seconds=PRESENT_WITHIN),
        "seen_ms": _epoch_ms(seen_at),
    }
    next_step = None
    if participant is not None:
        steps = study_steps(study, participant)
        if step in steps and step != "done":
            following = steps[steps.index(step) + 1]
            next_step = {
                "step": following,
                "label": _step_label(study, tasks, following),
            }
        page = _last_event(db, participant, _PAGE_EVENTS)
        click = _last_event(db, participant, _CLICK_EVENTS)
        person.update(
            code=participant.code,
            consented=participant.consented_at is not None,
            step=step,
            step_label=_step_label(study, tasks, step),
            progress=participant.progress,
            finished=participant.finished_at is not None,
            last_page={"url": page.url, "at_ms": _epoch_ms(page.received_at)}
            if page is not None
            else None,
            last_click={
                "label": _click_label(click),
                "url": click.url,
                "at_ms": _epoch_ms(click.received_at),
            }
            if click is not None
            else None,
        )
    return {
        "version": ms.version,
        "session": {
            "id": ms.id,
            "label": ms.label,
            "started_ms": _epoch_ms(ms.started_at),
            "ended_ms": _epoch_ms(ms.ended_at),
        },
        "participant": person,
        "current_task": current,
        "tasks": task_rows,
        "next_step": next_step,
        "tags": tags,
        "notes": [_note_dict(n, tags, viewer) for n in _notes(db, ms)],
    }


def follow_state(db: Session, participant: Participant) -> dict[str, Any]:
    """What a participant's page needs to follow the moderator: the step to show."""
    ms = None
    if participant.invite_id is not None:
        ms = db.exec(
            select(ModeratedSession).where(
                ModeratedSession.invite_id == participant.invite_id
            )
        ).first()
    return {
        "version": ms.version if ms is not None else 0,
        "step": participant.step,
        "phase": _task_phase(db, participant),
        "ended": ms is not None and ms.ended_at is not None,
    }


def _task_phase(db: Session, participant: Participant) -> str | None:
    """Where the participant's current task stands: waiting, started or judged."""
    step = participant.step or ""
    index = _index(step)
    order = participant.task_order or []
    place = Step.maybe(step)
    if place is None or place.name != "task" or index is None or index >= len(order):
        return None
    attempt = _attempts(db, participant).get(order[index])
    if attempt is not None and attempt.outcome is not None:
        return "judged"  # skipped before it started too
    if attempt is None or attempt.started_at is None:
        return "waiting"
    return "judged" if attempt.ended_at is not None else "started"
