"""A session's timeline and summary, for the session page."""

from __future__ import annotations

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
    Study,
    Task,
)
from uxlab.moderation.core import (
    _CLICK_EVENTS,
    _PAGE_EVENTS,
    MAX_TIMELINE_EVENTS,
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

    @property
    def clock(self) -> str:
        """``m:ss`` on the session's clock; "before start" before it started."""
        return "before start" if self.ms < 0 else clock(self.ms)


def timeline(db: Session, ms: ModeratedSession) -> list[TimelineItem]:
    """Task attempts, moderator moves, recorder events and notes, in time order."""
    study = _study(db, ms)
    participant = session_participant(db, ms)
    tasks = _order(_tasks(db, study), participant)
    by_id = {t.id: t for t in tasks}
    tags = session_tags(study)
    moments: list[tuple[datetime, int, TimelineItem]] = []
    origin = ms.started_at

    def at(moment: datetime | None, item: TimelineItem, order: int = 0) -> None:
        if moment is not None:
            moments.append((moment, order, item))

    if participant is not None:
        at(participant.consented_at, TimelineItem(0, "consent", "Consent given"))
        for a in _attempts(db, participant).values():
            task = by_id.get(a.task_id)
            title = task.title if task is not None else ""
            number = a.position
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
        # The participant's own moves: each questionnaire page answered (they
        # go on by themselves), and the end of the study.
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
            at(action.at, TimelineItem(0, "end", "Session ended"), 2)
        else:
            label = _step_label(study, tasks, action.step)
            item = TimelineItem(0, "step", f"Moved on to: {label}", action.reason)
            at(action.at, item, 2)
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


def _answers_label(study: Study, tasks: list[Task], scope: str) -> str:
    """What a group of answers was: after which task, or the closing ones."""
    if scope.startswith("task:"):
        for i, task in enumerate(tasks):
            if f"task:{task.id}" == scope:
                return _step_label(study, tasks, f"seq:{i}")
    return "Closing questionnaires"


def _with_ms(item: TimelineItem, ms: int) -> TimelineItem:
    return TimelineItem(
        ms, item.kind, item.label, item.detail, item.task, item.tag, item.author
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
