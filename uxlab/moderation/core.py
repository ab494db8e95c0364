"""What all of moderated sessions shares: limits, errors, authors, tasks, steps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlmodel import Session, col, select

from uxlab.errors import NotFoundError, UxlabError
from uxlab.kinds import Step, kind_of, step_index
from uxlab.models import (
    ModeratedSession,
    Participant,
    SessionNote,
    SessionObserver,
    Study,
    Task,
)
from uxlab.questionnaires import build_questionnaire

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


class UnansweredError(ControlRefusedError):
    """Moving on from a questionnaire page with items unanswered (409): the
    moderator confirms first, and the answers given are kept, marked partial.
    """

    code = "unanswered"

    def __init__(self, answered: int, total: int, title: str) -> None:
        self.answered, self.total = answered, total
        super().__init__(
            f"{answered} of {total} answered on “{title}”. Press n again to move "
            "on anyway: the answers given are kept, marked partial."
        )


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
    return step_index(step)


def _step_label(study: Study, tasks: list[Task], step: str | None) -> str:
    if step is None:
        return "Not here yet"
    place = Step.maybe(step)
    if place is None:
        return step
    if place.name == "consent":
        return "Reading the consent form"
    if place.name == "done":
        return "Finished"
    if place.index is not None:
        i = place.index
        title = tasks[i].title if i < len(tasks) else "?"
        if place.name == "task":
            return f"Task {i + 1}: {title}"
        return f"Questions after task {i + 1}"
    own = getattr(kind_of(study), "step_label", None)
    label = own(study, place) if own is not None else None
    if label:
        return str(label)
    rest = place.arg
    product = str(study.settings.get("product") or "this product")
    for spec in study.settings.get("questionnaires") or []:
        q = build_questionnaire(spec, product=product)
        if q.id == rest:
            return f"Questionnaire: {q.title}"
    return step
