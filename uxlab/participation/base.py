"""What every step of taking part shares: the step list, loading a participant,
write transactions, and the values the pages are built from."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import (
    ConsentRequiredError,
    NotFoundError,
    StudyStateError,
    TokenError,
)
from uxlab.kinds import Step, kind_of
from uxlab.live import CHANGES, Move, bump
from uxlab.models import (
    Participant,
    Response,
    Study,
    StudyMode,
    StudyStatus,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.questionnaires import (
    Questionnaire,
    build_questionnaire,
)
from uxlab.tokens import hash_token

#: Longest client-measured task time accepted (a day), in ms; longer is dropped.
MAX_CLIENT_DURATION_MS = 24 * 3600 * 1000
#: How far the browser's task duration may be from the server's, at least.
CLOCK_TOLERANCE_MS = 5_000


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a link leads: the study and the participant's own (raw) token."""

    slug: str
    token: str
    #: Set when a single-use invite someone already started is opened in a
    #: browser that is not theirs: the participant's code, to ask "Are you …?"
    confirm_code: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionnairePage:
    """A questionnaire as shown on a step, with the answers already stored."""

    questionnaire: Questionnaire
    answers: dict[str, str]

    @property
    def id(self) -> str:
        return self.questionnaire.id

    def field_name(self, item_id: str) -> str:
        return f"{self.questionnaire.id}.{item_id}"


@dataclass(slots=True)
class StepPage:
    """Everything a participant page shows for the current step."""

    study: Study
    participant: Participant
    step: str
    kind: str
    number: int
    total: int
    task: Task | None = None
    attempt: TaskAttempt | None = None
    questionnaires: list[QuestionnairePage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: What a study kind's own step shows, set by its ``fill_page``.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return f"task:{self.task.id}" if self.task is not None else "study"

    @property
    def region(self) -> dict[str, float] | None:
        if self.task is None or self.task.success_kind != "first_click":
            return None
        return _region(self.task)


# ------------------------------------------------------------------ helpers


def _derive(secret: str, message: str) -> str:
    """A token the server can make again from its secret (never stored itself)."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _study_for_participants(study: Study | None) -> Study:
    """The study if participants may use it; else the error they should see."""
    if study is None or study.status == StudyStatus.draft:
        raise NotFoundError("There is no study at this address.")
    if study.status == StudyStatus.closed:
        raise StudyStateError("This study is closed. Thank you for your interest.")
    return study


def _tasks(session: Session, study: Study) -> dict[int, Task]:
    tasks = session.exec(
        select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
    ).all()
    return {t.id: t for t in tasks if t.id is not None}


def _after_task(study: Study) -> list[Questionnaire]:
    product = str(study.settings.get("product") or "this product")
    specs = study.settings.get("after_each_task") or []
    return [build_questionnaire(spec, product=product) for spec in specs]


def _closing(study: Study) -> list[Questionnaire]:
    product = str(study.settings.get("product") or "this product")
    specs = study.settings.get("questionnaires") or []
    return [build_questionnaire(spec, product=product) for spec in specs]


def study_steps(study: Study, participant: Participant) -> list[str]:
    """Every step of this participant's way through the study, in order, as
    stored in :attr:`Participant.step`; the study's kind decides them."""
    return [str(step) for step in kind_of(study).steps(study, participant)]


def advance_step(study: Study, participant: Participant) -> None:
    """Move the participant to the step after the current one."""
    steps = study_steps(study, participant)
    index = steps.index(participant.step) + 1 if participant.step in steps else 0
    participant.step = steps[min(index, len(steps) - 1)]
    participant.progress = round(100 * steps.index(participant.step) / (len(steps) - 1))
    if participant.step == "done" and participant.finished_at is None:
        participant.finished_at = utcnow()


def _index(step: str) -> int:
    """The task position of a ``task:<i>`` or ``seq:<i>`` step."""
    index = Step.parse(step).index
    if index is None:
        raise ValueError(f"{step!r} is not a task step")
    return index


def _region(task: Task) -> dict[str, float]:
    region = json.loads(task.success_value)
    return {k: float(region[k]) for k in ("x", "y", "width", "height")}


def _by_token(session: Session, token: str) -> Participant | None:
    return session.exec(
        select(Participant).where(Participant.token_hash == hash_token(token))
    ).first()


def load_participant(
    session: Session, slug: str, token: str | None
) -> tuple[Study, Participant]:
    """The study (open to participants) and the participant holding ``token``."""
    found = session.exec(select(Study).where(Study.slug == slug)).first()
    participant = _by_token(session, token) if token else None
    if (
        found is not None
        and participant is not None
        and participant.preview
        and participant.study_id == found.id
    ):
        return found, participant  # a researcher's preview, of a draft too
    study = _study_for_participants(found)
    if participant is None or participant.study_id != study.id:
        raise TokenError(
            "We could not find your place in this study. Open the link you were "
            "sent to take part."
        )
    return study, participant


def _begin(session: Session) -> None:
    """Take the write lock and forget every row read before it.

    The session keeps objects across commits (``expire_on_commit=False``), and
    a query does not overwrite an object it already holds: without this, a
    write after a read in the same session would decide from the old copy.
    """
    begin_write(session)
    session.expire_all()


def _writing(
    session: Session, slug: str, token: str | None
) -> tuple[Study, Participant]:
    _begin(session)
    return load_participant(session, slug, token)


def _commit_change(
    session: Session, study: Study, invite_id: int | None, moves: Sequence[Move] = ()
) -> None:
    """Commit a change the participant made, counted on their moderated session.

    The moderator's console and the observers' pages, in whichever app process
    serves them, see the session's version move and show the change; the
    participant's own ``moves`` go on the session's timeline.
    """
    moderated = study.mode == StudyMode.moderated and invite_id is not None
    if moderated:
        assert invite_id is not None
        bump(session, invite_id=invite_id, moves=moves)
    session.commit()
    if moderated:
        CHANGES.notify()


def _moved(
    participant: Participant,
    kind: str,
    step: str,
    task_id: int | None = None,
    at: datetime | None = None,
) -> list[Move]:
    """The participant's own move on ``step``, and "finished" if it ended the study."""
    assert participant.id is not None
    moves = [Move(kind, participant.id, step, task_id, at)]
    if participant.step == "done":
        moves.append(Move("finished", participant.id, "done", None, at))
    return moves


def _require_consent(participant: Participant) -> None:
    if participant.consented_at is None or participant.step == "consent":
        raise ConsentRequiredError("Please read and accept the consent form first.")


def _answers(
    session: Session, participant: Participant, questionnaire: str, scope: str
) -> dict[str, str]:
    rows = session.exec(
        select(Response).where(
            Response.participant_id == participant.id,
            Response.questionnaire == questionnaire,
            Response.scope == scope,
        )
    ).all()
    out = {}
    for r in rows:
        if r.value_num is not None:
            out[r.item] = str(int(r.value_num))
        elif r.value_text is not None:
            out[r.item] = r.value_text
    return out


def _attempt(
    session: Session, participant: Participant, task: Task
) -> TaskAttempt | None:
    return session.exec(
        select(TaskAttempt).where(
            TaskAttempt.participant_id == participant.id, TaskAttempt.task_id == task.id
        )
    ).first()
