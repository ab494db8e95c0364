"""Moderated sessions: scheduling, the moderator's controls, notes and timelines.

A moderated study has sessions (:class:`~uxlab.models.ModeratedSession`). Each
one owns a single-use invite: whoever opens it is the session's participant.
The moderator, a logged-in researcher who owns the study, drives the session
from a console; observers follow it through read-only links and take notes.

Every write starts with :func:`~uxlab.db.begin_write` and re-reads the session
under that lock, and every write a client can repeat carries an id the client
made, so a resend changes nothing:

* control actions (start, outcome, next, end) are stored once by ``action_id``
  and a "next" names the step it moves on from, so two tabs pressing it at once
  move the participant one step, not two;
* notes are inserted once by ``note_id`` (insert-or-ignore); an edit or a
  deletion names the note version it changes and is refused with
  :class:`StaleNoteError` (409) when that is no longer the latest.

The participant's place is :attr:`~uxlab.models.Participant.step`, the same
field the participant pages show, so a participant who reloads lands where the
moderator put them. The moderator's "next" follows the participant flow's own
step order (:mod:`uxlab.participation`), so the participant still answers SEQ
and SUS themselves.

``ModeratedSession.version`` goes up with every change to what the session's
pages show, made from the console, by an observer or by the participant
themselves (:mod:`uxlab.live`); clients keep the highest version they have seen
and ignore older states, and event streams in every app process poll it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, StudyStateError, UxlabError
from uxlab.export import neutralise
from uxlab.invites import invite_token, new_invites
from uxlab.live import CHANGES
from uxlab.models import (
    Event,
    Invite,
    JudgedBy,
    ModeratedSession,
    Outcome,
    Participant,
    SessionAction,
    SessionNote,
    SessionObserver,
    Study,
    StudyMode,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.participation import advance_step, study_steps
from uxlab.questionnaires import build_questionnaire
from uxlab.tokens import hash_token

__all__ = [
    "ACTIONS",
    "CHANGES",
    "DEFAULT_TAGS",
    "MAX_NOTE",
    "MODERATOR_OUTCOMES",
    "Author",
    "ControlRefusedError",
    "ControlResult",
    "NoteResult",
    "NoteRow",
    "NotYourNoteError",
    "SessionRow",
    "SessionSummary",
    "StaleNoteError",
    "TagNotes",
    "TaskNotes",
    "TimelineItem",
    "add_observer",
    "build_state",
    "clock",
    "control",
    "follow_state",
    "list_sessions",
    "moderator",
    "notes_by_tag",
    "notes_csv",
    "observer",
    "observer_by_token",
    "observer_token",
    "observers",
    "owned_session",
    "participant_link_token",
    "schedule_session",
    "session_participant",
    "session_summary",
    "session_tags",
    "study_notes",
    "timeline",
    "write_note",
]

#: Note tags every moderated study has; the study file may add or rename them.
DEFAULT_TAGS: Final = {"q": "quote", "c": "confusion", "e": "error", "i": "idea"}
#: What the moderator may judge an attempt; "abandoned" and "timed_out" are the
#: participant's and the clock's.
MODERATOR_OUTCOMES: Final = ("success", "partial", "failure", "skipped")
#: Control actions.
ACTIONS: Final = ("start", "outcome", "next", "end")
#: Longest note, in characters.
MAX_NOTE: Final = 5000
MAX_REASON: Final = 1000
#: Events of the recorder shown on a timeline, at most.
MAX_TIMELINE_EVENTS: Final = 500
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_PAGE_EVENTS: Final = ("page_view", "route_change")
_CLICK_EVENTS: Final = ("click", "rage_click", "dead_click")


class ControlRefusedError(UxlabError):
    """A control action the session's state does not allow (say why, 409)."""

    code = "refused"
    status = 409


class StaleNoteError(UxlabError):
    """An edit or deletion of a note version that is no longer the latest (409)."""

    code = "stale"
    status = 409

    def __init__(self, message: str, latest: dict[str, Any]) -> None:
        super().__init__(message)
        self.latest = latest


class NotYourNoteError(UxlabError):
    """A note only its author may change (403)."""

    code = "not_your_note"
    status = 403


# ----------------------------------------------------------------- helpers


@dataclass(frozen=True, slots=True)
class Author:
    """Who writes a note: the moderator (a researcher) or an observer link."""

    kind: str
    name: str
    researcher_id: int | None = None
    observer_id: int | None = None

    def owns(self, note: SessionNote) -> bool:
        if self.kind == "moderator":
            return note.author_kind == "moderator" and (
                note.researcher_id == self.researcher_id
            )
        return note.author_kind == "observer" and note.observer_id == self.observer_id


def moderator(researcher_id: int, name: str = "Moderator") -> Author:
    """The moderator as a note author."""
    return Author("moderator", name or "Moderator", researcher_id=researcher_id)


def observer(link: SessionObserver) -> Author:
    """An observer link as a note author."""
    return Author("observer", link.name, observer_id=link.id)


def _epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _since(ms: ModeratedSession, moment: datetime | None) -> int | None:
    """Milliseconds from the session's start to ``moment``."""
    if moment is None or ms.started_at is None:
        return None
    return int((moment - ms.started_at).total_seconds() * 1000)


def clock(ms: int | None) -> str:
    """Session time as m:ss (or h:mm:ss).

    >>> clock(75_400)
    '1:15'
    >>> clock(3_723_000)
    '1:02:03'
    >>> clock(-5_000)
    '-0:05'
    >>> clock(None)
    ''
    """
    if ms is None:
        return ""
    sign = "-" if ms < 0 else ""
    seconds = abs(ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def _check_client_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise UxlabError(
            f"{name} ({str(value)[:80]!r}) must be 8-64 letters, digits, '-' or '_'"
        )
    return value


def session_tags(study: Study) -> dict[str, str]:
    """The note tags of a study: the defaults, then the study file's own.

    >>> session_tags(Study(title="t", slug="t", researcher_id=1,
    ...     settings={"moderation": {"tags": {"p": "positive", "q": "Quote"}}}))
    {'q': 'Quote', 'c': 'confusion', 'e': 'error', 'i': 'idea', 'p': 'positive'}
    """
    tags = dict(DEFAULT_TAGS)
    custom = (study.settings.get("moderation") or {}).get("tags") or {}
    for key, label in custom.items():
        tags[str(key)] = str(label)
    return tags


def _tasks(db: Session, study: Study) -> list[Task]:
    return list(
        db.exec(
            select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
        ).all()
    )


def _study(db: Session, ms: ModeratedSession) -> Study:
    study = db.get(Study, ms.study_id)
    if study is None:
        raise NotFoundError(f"no study for session {ms.id}")
    return study


def session_participant(db: Session, ms: ModeratedSession) -> Participant | None:
    """The participant who opened the session's invite, if anyone has yet."""
    return db.exec(
        select(Participant).where(Participant.invite_id == ms.invite_id)
    ).first()


def _order(study_tasks: list[Task], participant: Participant | None) -> list[Task]:
    """The tasks in the participant's order (the study's before they arrive)."""
    if participant is None or not participant.task_order:
        return study_tasks
    by_id = {t.id: t for t in study_tasks}
    return [by_id[i] for i in participant.task_order if i in by_id]


def _index(step: str | None) -> int | None:
    if step is None or not step.startswith(("task:", "seq:")):
        return None
    return int(step.split(":", 1)[1])


def _step_label(study: Study, tasks: list[Task], step: str | None) -> str:
    if step is None:
        return "Not here yet"
    kind, _, rest = step.partition(":")
    if kind == "consent":
        return "Reading the consent form"
    if kind == "done":
        return "Finished"
    if kind in ("task", "seq"):
        i = int(rest)
        title = tasks[i].title if i < len(tasks) else "?"
        if kind == "task":
            return f"Task {i + 1}: {title}"
        return f"Questions after task {i + 1}"
    product = str(study.settings.get("product") or "this product")
    for spec in study.settings.get("questionnaires") or []:
        q = build_questionnaire(spec, product=product)
        if q.id == rest:
            return f"Questionnaire: {q.title}"
    return step


# -------------------------------------------------------------- scheduling


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session in the study's list."""

    session: ModeratedSession
    participant: Participant | None
    judged: int
    notes: int

    @property
    def state(self) -> str:
        if self.session.ended_at is not None:
            return "ended"
        if self.session.started_at is not None:
            return "running"
        return "scheduled"


def _require_moderated(study: Study) -> None:
    if study.mode != StudyMode.moderated:
        raise StudyStateError(
            f"study {study.slug!r} is {study.mode}: only moderated studies have "
            "sessions"
        )


def schedule_session(
    db: Session,
    study: Study,
    *,
    label: str,
    scheduled_at: datetime | None,
    secret: str,
) -> ModeratedSession:
    """Schedule a session: its single-use invite, the session, one observer link."""
    _require_moderated(study)
    label = label.strip()
    if not 1 <= len(label) <= 200:
        raise UxlabError("the participant label must be 1-200 characters")
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        raise ValueError("scheduled_at must be an aware datetime")
    begin_write(db)
    try:
        # The invite and the session are one unit: no invite without its session.
        invite = new_invites(study, 1, secret, label=f"Session: {label}"[:200])[0]
        db.add(invite)
        db.flush()
        assert invite.id is not None and study.id is not None
        ms = ModeratedSession(
            study_id=study.id,
            invite_id=invite.id,
            label=label,
            scheduled_at=scheduled_at,
        )
        db.add(ms)
        db.flush()
        assert ms.id is not None
        db.add(_new_observer(ms.id, "Observers", secret))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return ms


def list_sessions(db: Session, study: Study) -> list[SessionRow]:
    """The study's sessions, soonest scheduled first."""
    sessions = db.exec(
        select(ModeratedSession)
        .where(ModeratedSession.study_id == study.id)
        .order_by(col(ModeratedSession.scheduled_at), col(ModeratedSession.id))
    ).all()
    rows = []
    for ms in sessions:
        participant = session_participant(db, ms)
        judged = 0
        if participant is not None:
            judged = len(
                db.exec(
                    select(TaskAttempt.id).where(
                        TaskAttempt.participant_id == participant.id,
                        col(TaskAttempt.outcome).is_not(None),
                    )
                ).all()
            )
        notes = len(
            db.exec(
                select(SessionNote.id).where(
                    SessionNote.session_id == ms.id,
                    col(SessionNote.deleted_at).is_(None),
                )
            ).all()
        )
        rows.append(SessionRow(ms, participant, judged, notes))
    return rows


def owned_session(db: Session, study: Study, session_id: int) -> ModeratedSession:
    """One of this study's sessions; any other study's is not found."""
    ms = db.get(ModeratedSession, session_id)
    if ms is None or ms.study_id != study.id:
        raise NotFoundError(f"no session {session_id} in study {study.slug!r}")
    return ms


def participant_link_token(db: Session, ms: ModeratedSession, secret: str) -> str:
    """The token of the session's participant link (``/s/<token>``)."""
    invite = db.get(Invite, ms.invite_id)
    if invite is None:
        raise NotFoundError(f"no invite for session {ms.id}")
    return invite_token(invite, secret)


# --------------------------------------------------------------- observers


def observer_token(link: SessionObserver, secret: str) -> str:
    """The token in an observer link, derived again from the server's secret."""
    message = f"observer:{link.session_id}:{link.nonce}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_observer(session_id: int, name: str, secret: str) -> SessionObserver:
    link = SessionObserver(
        session_id=session_id,
        name=name,
        nonce=secrets.token_hex(16),
        token_hash="",
    )
    link.token_hash = hash_token(observer_token(link, secret))
    return link


def add_observer(
    db: Session, ms: ModeratedSession, *, name: str, secret: str
) -> SessionObserver:
    """Another read-only link for the session, for one named observer."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise UxlabError("the observer's name must be 1-200 characters")
    assert ms.id is not None
    begin_write(db)
    link = _new_observer(ms.id, name, secret)
    db.add(link)
    db.commit()
    return link


def revoke_observer(db: Session, ms: ModeratedSession, observer_id: int) -> None:
    """Stop an observer link from working; its notes stay. Unknown is 404."""
    begin_write(db)
    try:
        db.expire_all()  # objects read before the lock may be stale
        link = db.get(SessionObserver, observer_id)
        current = db.get(ModeratedSession, ms.id)
        if link is None or current is None or link.session_id != current.id:
            raise NotFoundError(f"no observer link {observer_id} in this session")
        if link.revoked_at is None:
            link.revoked_at = utcnow()
            current.version += 1  # open observer streams, in any process, end
            db.add_all([link, current])
        db.commit()
    except BaseException:
        db.rollback()
        raise
    CHANGES.notify()


def observers(db: Session, ms: ModeratedSession) -> list[SessionObserver]:
    """The session's observer links, oldest first."""
    return list(
        db.exec(
            select(SessionObserver)
            .where(
                SessionObserver.session_id == ms.id,
                col(SessionObserver.revoked_at).is_(None),
            )
            .order_by(col(SessionObserver.id))
        ).all()
    )


def observer_by_token(
    db: Session, token: str
) -> tuple[ModeratedSession, SessionObserver]:
    """The session an observer link opens; an unknown or revoked link is 404."""
    link = db.exec(
        select(SessionObserver).where(SessionObserver.token_hash == hash_token(token))
    ).first()
    ms = db.get(ModeratedSession, link.session_id) if link is not None else None
    if link is None or link.revoked_at is not None or ms is None:
        raise NotFoundError("This observer link does not work.")
    return ms, link


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
    task_rows = []
    for i, task in enumerate(tasks):
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
    person: dict[str, Any] = {"present": participant is not None}
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
    if not step.startswith("task:") or index is None or index >= len(order):
        return None
    attempt = _attempts(db, participant).get(order[index])
    if attempt is None or attempt.started_at is None:
        return "waiting"
    return "judged" if attempt.ended_at is not None else "started"


# ---------------------------------------------------------------- controls


@dataclass(frozen=True, slots=True)
class ControlResult:
    """What a control action did: applied, or not (stale or a resend)."""

    applied: bool
    duplicate: bool
    step: str | None
    version: int


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
) -> ControlResult:
    """Apply one control action from the console, exactly once.

    ``kind`` is ``start`` (the participant's current task, which ``task_id``
    names), ``outcome`` (judge ``task_id`` as one of :data:`MODERATOR_OUTCOMES`,
    with an optional ``reason``; judging again corrects it), ``next`` (move the
    participant on from ``from_step``) or ``end`` (end the session). A resend
    of an ``action_id`` already applied changes nothing; a ``next`` from a step
    the participant has already left is stale and changes nothing. Raises
    :class:`ControlRefusedError` when the session's state does not allow it.
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
        if kind == "end":
            applied = ms.ended_at is None
            now = utcnow()
            _start_clock(ms, now)
            ms.ended_at = ms.ended_at or now
        else:
            if ms.ended_at is not None:
                raise ControlRefusedError("This session has ended.")
            if participant is None:
                raise ControlRefusedError(
                    "The participant has not opened their link yet."
                )
            applied = _apply(
                db, ms, participant, kind, task_id, outcome, reason, from_step
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
                reason=reason if kind == "outcome" else "",
                step=step,
                applied=applied,
                session_ms=_since(ms, utcnow()) or 0,
            )
        )
        db.add(ms)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    CHANGES.notify()
    return ControlResult(applied, False, step, ms.version)


def _apply(
    db: Session,
    ms: ModeratedSession,
    participant: Participant,
    kind: str,
    task_id: int | None,
    outcome: str | None,
    reason: str,
    from_step: Any,
) -> bool:
    study = _study(db, ms)
    if participant.consented_at is None or participant.step == "consent":
        raise ControlRefusedError("The participant has not agreed to take part yet.")
    steps = study_steps(study, participant)
    step = participant.step
    now = utcnow()
    if kind == "next":
        if from_step is not None and from_step != step:
            return False  # someone else moved them on already
        if step == "done":
            return False
        index = _index(step)
        if step.startswith("task:") and index is not None:
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
        if step != f"task:{index}":
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
    attempt.ended_at = attempt.ended_at or now
    db.add(attempt)
    return True


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
        return clock(self.ms)


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
            at(action.at, TimelineItem(0, "step", f"Moved on to: {label}"), 2)
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


# ------------------------------------------------------ notes across sessions


@dataclass(frozen=True, slots=True)
class NoteRow:
    """One note, flattened for the affinity board, the CSV and the report."""

    session_id: int
    session_label: str
    participant_code: str
    tag: str
    tag_label: str
    task_key: str
    task_title: str
    session_ms: int
    author: str
    text: str
    created_at: datetime
    updated_at: datetime

    @property
    def clock(self) -> str:
        return clock(self.session_ms)


@dataclass(frozen=True, slots=True)
class TaskNotes:
    task_key: str
    task_title: str
    notes: tuple[NoteRow, ...]


@dataclass(frozen=True, slots=True)
class TagNotes:
    """The notes of one tag, grouped by task: one column of an affinity board."""

    tag: str
    label: str
    tasks: tuple[TaskNotes, ...]

    @property
    def count(self) -> int:
        return sum(len(t.notes) for t in self.tasks)


def study_notes(db: Session, study: Study) -> list[NoteRow]:
    """Every note of every session of the study, by session then session time."""
    tags = session_tags(study)
    tasks = {t.id: t for t in _tasks(db, study)}
    rows = db.exec(
        select(SessionNote, ModeratedSession)
        .join(ModeratedSession, col(SessionNote.session_id) == ModeratedSession.id)
        .where(
            ModeratedSession.study_id == study.id,
            col(SessionNote.deleted_at).is_(None),
        )
        .order_by(
            col(ModeratedSession.id), col(SessionNote.session_ms), col(SessionNote.id)
        )
    ).all()
    codes: dict[int, str] = {}
    out = []
    for note, ms in rows:
        assert ms.id is not None
        if ms.id not in codes:
            participant = session_participant(db, ms)
            codes[ms.id] = participant.code if participant is not None else ""
        task = tasks.get(note.task_id)
        out.append(
            NoteRow(
                session_id=ms.id,
                session_label=ms.label,
                participant_code=codes[ms.id],
                tag=note.tag,
                tag_label=tags.get(note.tag, note.tag),
                task_key=task.key if task is not None else "",
                task_title=task.title if task is not None else "",
                session_ms=note.session_ms,
                author=note.author_name,
                text=note.text,
                created_at=note.created_at,
                updated_at=note.updated_at,
            )
        )
    return out


def notes_by_tag(db: Session, study: Study) -> list[TagNotes]:
    """The study's notes grouped by tag, then by task (the start of an affinity
    board): tags in the study's order, tasks in the study's order, notes that
    name no task last. Tags without notes are left out.
    """
    tags = session_tags(study)
    order = {t.key: i for i, t in enumerate(_tasks(db, study))}
    grouped: dict[str, dict[str, list[NoteRow]]] = {}
    titles: dict[str, str] = {}
    for row in study_notes(db, study):
        grouped.setdefault(row.tag, {}).setdefault(row.task_key, []).append(row)
        titles[row.task_key] = row.task_title or "No task"
    tag_order = list(tags) + sorted(set(grouped) - set(tags))
    out = []
    for tag in tag_order:
        by_task = grouped.get(tag)
        if not by_task:
            continue
        keys = sorted(by_task, key=lambda k: order.get(k, len(order)))
        out.append(
            TagNotes(
                tag=tag,
                label=tags.get(tag, tag),
                tasks=tuple(TaskNotes(k, titles[k], tuple(by_task[k])) for k in keys),
            )
        )
    return out


NOTES_CSV_COLUMNS: Final = (
    "session_id",
    "session_label",
    "participant",
    "tag",
    "tag_label",
    "task_key",
    "task_title",
    "session_time",
    "session_ms",
    "author",
    "text",
    "created_at",
    "updated_at",
)


def notes_csv(rows: Iterable[NoteRow]) -> str:
    """Notes as CSV, every text cell safe to open in a spreadsheet.

    >>> from datetime import UTC
    >>> row = NoteRow(1, "P1", "P-X", "q", "quote", "t", "T", 61_000, "M",
    ...     "=HYPERLINK(1)", datetime(2026, 1, 1, tzinfo=UTC),
    ...     datetime(2026, 1, 1, tzinfo=UTC))
    >>> notes_csv([row]).splitlines()[1]
    "1,P1,P-X,q,quote,t,T,1:01,61000,M,'=HYPERLINK(1),2026-01-01T00:00:00+00:00,2026-01-01T00:00:00+00:00"
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NOTES_CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            neutralise(value)
            for value in (
                r.session_id,
                r.session_label,
                r.participant_code,
                r.tag,
                r.tag_label,
                r.task_key,
                r.task_title,
                r.clock,
                r.session_ms,
                r.author,
                r.text,
                r.created_at.isoformat(timespec="seconds"),
                r.updated_at.isoformat(timespec="seconds"),
            )
        )
    return out.getvalue()
