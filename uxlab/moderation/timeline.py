"""A session's timeline and summary, for the session page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from uxlab.models import (
    Event,
    ModeratedSession,
    Participant,
    Response,
    SessionAction,
    SessionMove,
    Study,
    Task,
)
from uxlab.moderation.core import (
    _CLICK_EVENTS,
    _PAGE_EVENTS,
    MAX_TIMELINE_EVENTS,
    _index,
    _order,
    _step_label,
    _study,
    _tasks,
    clock,
    session_participant,
    session_tags,
)
from uxlab.moderation.state import (
    _attempts,
    _click_label,
    _notes,
    build_state,
)

# ---------------------------------------------------------------- timeline


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One moment of a session, at ``ms`` since it started."""

    ms: int
    kind: str
    label: str
    detail: str = ""
    task: str = ""
    tag: str = ""
    author: str = ""
    #: Who made it: "participant", "moderator", "observer"; "" for what the
    #: recorder saw and for outcomes.
    actor: str = ""

    @property
    def clock(self) -> str:
        """``m:ss`` on the session's clock; "before start" before it started."""
        return "before start" if self.ms < 0 else clock(self.ms)


def timeline(db: Session, ms: ModeratedSession) -> list[TimelineItem]:
    """Task attempts, the moderator's and the participant's own moves,
    recorder events and notes, in time order.
    """
    study = _study(db, ms)
    participant = session_participant(db, ms)
    tasks = _order(_tasks(db, study), participant)
    by_id = {t.id: t for t in tasks}
    tags = session_tags(study)
    moments: list[tuple[datetime, int, TimelineItem]] = []
    origin = ms.started_at
    name = f"{ms.label or 'Participant'} (participant)"
    moves = db.exec(
        select(SessionMove)
        .where(SessionMove.session_id == ms.id)
        .order_by(col(SessionMove.id))
    ).all()
    started_by_them = {mv.task_id for mv in moves if mv.kind == "task_started"}

    def at(moment: datetime | None, item: TimelineItem, order: int = 0) -> None:
        if moment is not None:
            moments.append((moment, order, item))

    if participant is not None:
        consent = TimelineItem(
            0, "consent", "Consent given", author=name, actor="participant"
        )
        at(participant.consented_at, consent)
        for a in _attempts(db, participant).values():
            task = by_id.get(a.task_id)
            title = task.title if task is not None else ""
            number = a.position
            if a.task_id not in started_by_them:
                at(
                    a.started_at,
                    TimelineItem(0, "start", f"Task {number} started", "", title),
                )
            if a.outcome is not None:
                by = f" (judged by {a.judged_by})" if a.judged_by else ""
                at(
                    a.ended_at or a.started_at,
                    TimelineItem(
                        0,
                        "outcome",
                        f"Task {number}: {a.outcome}{by}",
                        a.outcome_reason,
                        title,
                    ),
                    1,
                )
        if not moves:
            _inferred_moves(db, study, tasks, participant, at)
        events = db.exec(
            select(Event)
            .where(
                Event.participant_id == participant.id,
                col(Event.type).in_(_PAGE_EVENTS + _CLICK_EVENTS),
            )
            .order_by(col(Event.id))
            .limit(MAX_TIMELINE_EVENTS)
        ).all()
        for e in events:
            if e.type in _PAGE_EVENTS:
                at(e.received_at, TimelineItem(0, "page", "Page", e.url))
            else:
                label = "Click" if e.type == "click" else e.type.replace("_", " ")
                at(
                    e.received_at,
                    TimelineItem(0, "click", label.capitalize(), _click_label(e)),
                )
    actions = db.exec(
        select(SessionAction).where(
            SessionAction.session_id == ms.id,
            col(SessionAction.kind).in_(("next", "end")),
            col(SessionAction.applied),
        )
    ).all()
    for action in actions:
        if action.kind == "end":
            item = TimelineItem(
                0, "end", "Session ended", author="Moderator", actor="moderator"
            )
            at(action.at, item, 2)
        else:
            label = _step_label(study, tasks, action.step)
            item = TimelineItem(
                0,
                "step",
                f"Moved on to: {label}",
                action.reason,
                author="Moderator",
                actor="moderator",
            )
            at(action.at, item, 2)
    for mv in moves:
        rank, item = _move_item(study, tasks, by_id, mv)
        at(mv.at, _with_ms(item, 0, author=name, actor="participant"), rank)
    for note in _notes(db, ms):
        task = by_id.get(note.task_id)
        item = TimelineItem(
            note.session_ms,
            "note",
            tags.get(note.tag, note.tag).capitalize(),
            note.text,
            task.title if task is not None else "",
            note.tag,
            note.author_name,
            note.author_kind,
        )
        if origin is not None:
            at(origin + timedelta(milliseconds=note.session_ms), item, 3)
    if origin is None and moments:
        origin = min(m[0] for m in moments)
    items = []
    for moment, _rank, item in sorted(moments, key=lambda m: (m[0], m[1])):
        offset = int((moment - origin).total_seconds() * 1000) if origin else 0
        items.append(_with_ms(item, offset))
    return items


def _move_item(
    study: Study, tasks: list[Task], by_id: dict[int | None, Task], mv: SessionMove
) -> tuple[int, TimelineItem]:
    """A participant's stored move as a timeline item, and its rank among
    moments at the same time (a task's end before its outcome).
    """
    task = by_id.get(mv.task_id)
    title = task.title if task is not None else ""
    number = (_index(mv.step) or 0) + 1
    if mv.kind == "task_started":
        return 0, TimelineItem(0, "start", f"Task {number} started", "", title)
    ended = {
        "task_done": "said “I'm done”",
        "task_gave_up": "gave up",
        "first_click": "clicked",
    }
    if mv.kind in ended:
        label = f"Task {number}: {ended[mv.kind]}"
        return 0, TimelineItem(0, "move", label, "", title)
    if mv.kind == "answered":
        page = _step_label(study, tasks, mv.step).removeprefix("Questionnaire: ")
        return 1, TimelineItem(0, "answers", f"Answered: {page}")
    if mv.kind == "finished":
        return 2, TimelineItem(0, "finished", "Finished")
    return 1, TimelineItem(0, "move", mv.kind.replace("_", " ").capitalize())


def _inferred_moves(
    db: Session,
    study: Study,
    tasks: list[Task],
    participant: Participant,
    at: Callable[[datetime | None, TimelineItem, int], None],
) -> None:
    """The participant's own moves of a session from before they were stored:
    each questionnaire page answered, at its last answer, and the end.
    """
    answered = db.exec(
        select(
            Response.scope,
            func.max(Response.answered_at),
            func.count(),
        )
        .where(Response.participant_id == participant.id)
        .group_by(col(Response.scope))
    ).all()
    for scope, last, count in answered:
        label = _answers_label(study, tasks, scope)
        at(
            last,
            TimelineItem(0, "answers", f"Answered: {label}", f"{count} answers"),
            1,
        )
    at(participant.finished_at, TimelineItem(0, "finished", "Finished"), 2)


def _answers_label(study: Study, tasks: list[Task], scope: str) -> str:
    """What a group of answers was: after which task, or the closing ones."""
    if scope.startswith("task:"):
        for i, task in enumerate(tasks):
            if f"task:{task.id}" == scope:
                return _step_label(study, tasks, f"seq:{i}")
    return "Closing questionnaires"


def _with_ms(
    item: TimelineItem, ms: int, *, author: str = "", actor: str = ""
) -> TimelineItem:
    return TimelineItem(
        ms,
        item.kind,
        item.label,
        item.detail,
        item.task,
        item.tag,
        author or item.author,
        actor or item.actor,
    )


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """The after-session page: the state, the timeline, the links."""

    session: ModeratedSession
    state: dict[str, Any]
    timeline: list[TimelineItem]
    participant: Participant | None


def session_summary(db: Session, ms: ModeratedSession) -> SessionSummary:
    """Everything the session page shows."""
    return SessionSummary(
        session=ms,
        state=build_state(db, ms),
        timeline=timeline(db, ms),
        participant=session_participant(db, ms),
    )
