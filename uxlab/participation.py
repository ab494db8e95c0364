"""Taking part in a study: links, consent, tasks, answers, resuming.

Every function takes a :class:`~sqlmodel.Session`, and every one that writes
starts with :func:`~uxlab.db.begin_write`, so the participant's current step is
read and changed while holding the database's write lock (``BEGIN IMMEDIATE``
on SQLite, an advisory lock on PostgreSQL): two copies of the same submit (a
double click, Enter plus click, a retry, from one app process or two) are
serialised, and the second finds the step already passed and changes nothing.

A participant's place is :attr:`Participant.step`, one of::

    consent -> task:0 [-> seq:0] -> task:1 [-> seq:1] ... -> q:<id> ... -> done

``task:<i>`` is the i-th task in the participant's own order, ``seq:<i>`` the
after-task questionnaires for it (all on one page), ``q:<id>`` one end-of-study
questionnaire. Every form carries the step it was shown for; a submit for any
other step is stale and is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import (
    AlreadyFinishedError,
    ConsentRequiredError,
    InvalidAnswerError,
    LinkExpiredError,
    NotFoundError,
    SessionLinkRequiredError,
    StudyStateError,
    TokenError,
)
from uxlab.invites import find_invite
from uxlab.live import CHANGES, Move, bump
from uxlab.models import (
    Event,
    Invite,
    InviteKind,
    JudgedBy,
    ModeratedSession,
    Outcome,
    Participant,
    Response,
    SessionMove,
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
    invalid_answer_message,
    missing_answers_message,
    validate_answer,
)
from uxlab.studies import balanced_latin_square
from uxlab.tokens import hash_token, new_code, new_token

__all__ = [
    "AlreadyFinishedError",
    "ConsentRequiredError",
    "Entry",
    "LinkExpiredError",
    "QuestionnairePage",
    "StepPage",
    "advance_step",
    "decline",
    "enter_with_invite",
    "enter_with_resume_token",
    "finish_task",
    "give_consent",
    "load_participant",
    "record_first_click",
    "save_answer",
    "enter_preview",
    "save_answers",
    "start_task",
    "step_page",
    "step_questionnaires",
    "study_steps",
]

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
    """Every step of this participant's way through the study, in order."""
    steps = ["consent"]
    has_after = bool(study.settings.get("after_each_task"))
    for i in range(len(participant.task_order)):
        steps.append(f"task:{i}")
        if has_after:
            steps.append(f"seq:{i}")
    steps += [f"q:{q.id}" for q in _closing(study)]
    steps.append("done")
    return steps


def advance_step(study: Study, participant: Participant) -> None:
    """Move the participant to the step after the current one."""
    steps = study_steps(study, participant)
    index = steps.index(participant.step) + 1 if participant.step in steps else 0
    participant.step = steps[min(index, len(steps) - 1)]
    participant.progress = round(100 * steps.index(participant.step) / (len(steps) - 1))
    if participant.step == "done" and participant.finished_at is None:
        participant.finished_at = utcnow()


def _index(step: str) -> int:
    return int(step.split(":", 1)[1])


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


# -------------------------------------------------------------------- entry


def _new_participant(
    session: Session,
    study: Study,
    token: str,
    *,
    invite: Invite | None,
    user_agent: str,
) -> Participant:
    assert study.id is not None
    tasks = list(_tasks(session, study).values())
    count = session.exec(
        select(func.count(col(Participant.id))).where(Participant.study_id == study.id)
    ).one()
    if study.settings.get("task_order") == "counterbalanced" and tasks:
        rows = balanced_latin_square(len(tasks))
        order = [tasks[j].id for j in rows[count % len(rows)]]
    else:
        order = [t.id for t in tasks]
    participant = Participant(
        study_id=study.id,
        invite_id=invite.id
        if invite is not None and invite.kind == InviteKind.single
        else None,
        token_hash=hash_token(token),
        code=new_code(),
        task_order=[t for t in order if t is not None],
        variant=_pick_variant(session, study),
        user_agent=user_agent[:400],
    )
    session.add(participant)
    return participant


def _pick_variant(session: Session, study: Study) -> str | None:
    """The variant with the fewest participants so far; ties broken at random."""
    keys = [str(v["key"]) for v in study.settings.get("variants") or []]
    if not keys:
        return None
    counts = dict.fromkeys(keys, 0)
    rows = session.exec(
        select(Participant.variant, func.count(col(Participant.id)))
        .where(Participant.study_id == study.id)
        .group_by(col(Participant.variant))
    ).all()
    for key, n in rows:
        if key in counts:
            counts[key] = n
    fewest = min(counts.values())
    return random.choice([k for k, n in counts.items() if n == fewest])


def enter_with_invite(
    session: Session,
    invite_token: str,
    *,
    secret: str,
    known_tokens: Mapping[str, str] | None = None,
    user_agent: str = "",
) -> Entry:
    """Exchange an invite link's token for the participant's own token.

    An open link resumes the participant this browser already has
    (``known_tokens``: the cookie's study slug -> token) or starts a new one. A
    single-use invite starts its participant on first use and resumes that same
    participant afterwards, from any browser, until they finish. Nothing is
    stored for a closed or draft study or a bad link.
    """
    _begin(session)
    invite = find_invite(session, invite_token)
    if invite is None or invite.revoked_at is not None:
        raise TokenError("This link does not work. Check that you copied all of it.")
    study = _study_for_participants(session.get(Study, invite.study_id))
    if study.mode == StudyMode.moderated and (
        invite.kind != InviteKind.single
        or session.exec(
            select(ModeratedSession.id).where(ModeratedSession.invite_id == invite.id)
        ).first()
        is None
    ):
        session.rollback()
        raise SessionLinkRequiredError(
            "This study runs in sessions with a moderator: use the link your "
            "moderator sent you for your session."
        )
    arrived: int | None = None
    confirm_code: str | None = None
    if invite.kind == InviteKind.single:
        token = _derive(secret, f"participant:{invite.id}:{invite.nonce}")
        participant = _by_token(session, token)
        if (
            participant is not None
            and study.mode != StudyMode.moderated  # a session link, for its session
            and (known_tokens or {}).get(study.slug) != token
        ):
            confirm_code = participant.code  # another browser: forwarded?
        if participant is None:
            if invite.expires_at is not None and invite.expires_at < utcnow():
                raise LinkExpiredError("This invitation has expired.")
            _new_participant(
                session, study, token, invite=invite, user_agent=user_agent
            )
            invite.used_at = invite.used_at or utcnow()
            session.add(invite)
            arrived = invite.id
    else:
        known_token = (known_tokens or {}).get(study.slug)
        participant = _by_token(session, known_token) if known_token else None
        if participant is None or participant.study_id != study.id:
            token = new_token()
            participant = None
            _new_participant(
                session, study, token, invite=invite, user_agent=user_agent
            )
        else:
            assert known_token is not None
            token = known_token
    if participant is not None and participant.finished_at is not None:
        session.rollback()
        raise AlreadyFinishedError(
            "You have already taken part in this study. Thank you!",
            study_title=study.title,
        )
    _commit_change(session, study, arrived)
    return Entry(study.slug, token, confirm_code)


def enter_preview(session: Session, study: Study) -> Entry:
    """A new preview participant of ``study``, for a researcher to try it.

    Previews work in drafts too; they are marked and never counted in results,
    exports or progress.
    """
    _begin(session)
    token = new_token()
    participant = _new_participant(
        session, study, token, invite=None, user_agent="preview"
    )
    participant.preview = True
    session.commit()
    return Entry(study.slug, token)


def enter_with_resume_token(session: Session, token: str) -> Entry:
    """Resume from a personal link (``/r/<token>``)."""
    participant = _by_token(session, token)
    if participant is None:
        raise TokenError("This link does not work. Check that you copied all of it.")
    study = _study_for_participants(session.get(Study, participant.study_id))
    if participant.finished_at is not None:
        raise AlreadyFinishedError(
            "You have already taken part in this study. Thank you!",
            study_title=study.title,
        )
    return Entry(study.slug, token)


# -------------------------------------------------------------------- pages


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


def _page(session: Session, study: Study, participant: Participant) -> StepPage:
    steps = study_steps(study, participant)
    step = participant.step if participant.step in steps else "consent"
    kind = step.split(":", 1)[0]
    page = StepPage(
        study=study,
        participant=participant,
        step=step,
        kind={"seq": "questionnaire", "q": "questionnaire"}.get(kind, kind),
        number=steps.index(step) + 1,
        total=len(steps),
    )
    if kind in ("task", "seq"):
        tasks = _tasks(session, study)
        page.task = tasks[participant.task_order[_index(step)]]
        page.attempt = _attempt(session, participant, page.task)
    if kind == "seq":
        page.questionnaires = [
            QuestionnairePage(q, _answers(session, participant, q.id, page.scope))
            for q in _after_task(study)
        ]
    elif kind == "q":
        wanted = step.split(":", 1)[1]
        page.questionnaires = [
            QuestionnairePage(q, _answers(session, participant, q.id, "study"))
            for q in _closing(study)
            if q.id == wanted
        ]
    return page


def step_page(session: Session, slug: str, token: str | None) -> StepPage:
    """What the participant holding ``token`` should see now."""
    study, participant = load_participant(session, slug, token)
    return _page(session, study, participant)


# ---------------------------------------------------------------- consent


def give_consent(session: Session, slug: str, token: str | None, *, step: str) -> None:
    """Record consent to the study's current consent text and go to the first step."""
    study, participant = _writing(session, slug, token)
    if step == "consent" and participant.step == "consent":
        now = utcnow()
        participant.consented_at = now
        participant.consent_version = study.consent_version
        participant.started_at = participant.started_at or now
        advance_step(study, participant)
        session.add(participant)
        _commit_change(session, study, participant.invite_id)
        return
    session.commit()


def decline(session: Session, slug: str, token: str | None, *, step: str) -> bool:
    """Delete a participant who declines consent, keeping only a count.

    Returns False (and changes nothing) when the participant has already consented.
    """
    study, participant = _writing(session, slug, token)
    if step != "consent" or participant.step != "consent":
        session.commit()
        return False
    study.declined_count += 1
    if participant.invite_id is not None:
        # The invite is free again: its owner may change their mind.
        invite = session.get(Invite, participant.invite_id)
        if invite is not None:
            invite.used_at = None
            session.add(invite)
    session.add(study)
    session.delete(participant)
    _commit_change(session, study, participant.invite_id)
    return True


def withdraw(session: Session, slug: str, token: str | None) -> bool:
    """Delete a consented participant's data at their request, keeping a count.

    Their answers, task attempts and recorded events go with them; the study
    keeps only ``withdrawn_count``. Returns False (changing nothing) before
    consent, when declining is the way out.
    """
    study, participant = _writing(session, slug, token)
    if participant.consented_at is None:
        session.commit()
        return False
    for model in (Event, Response, TaskAttempt, SessionMove):
        for row in session.exec(
            select(model).where(model.participant_id == participant.id)
        ):
            session.delete(row)
    session.flush()
    study.withdrawn_count = (study.withdrawn_count or 0) + 1
    session.add(study)
    session.delete(participant)
    _commit_change(session, study, participant.invite_id)
    return True


# ------------------------------------------------------------------ tasks


def _current_task(
    session: Session, study: Study, participant: Participant, step: str, task_id: int
) -> Task | None:
    """The task of ``step`` if that is the participant's current step, else None."""
    _require_consent(participant)
    if task_id not in participant.task_order:
        raise NotFoundError(f"There is no task {task_id} in this study.")
    if step != participant.step or not step.startswith("task:"):
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


# ---------------------------------------------------------------- answers


def _step_questionnaires(
    session: Session, study: Study, participant: Participant
) -> tuple[list[Questionnaire], str, int | None]:
    """The questionnaires of the current step, their scope and task id."""
    step = participant.step
    if step.startswith("seq:"):
        task_id = participant.task_order[_index(step)]
        return _after_task(study), f"task:{task_id}", task_id
    if step.startswith("q:"):
        wanted = step.split(":", 1)[1]
        return [q for q in _closing(study) if q.id == wanted], "study", None
    return [], "study", None


def step_questionnaires(
    session: Session, study: Study, participant: Participant
) -> tuple[list[Questionnaire], str, int | None]:
    """The questionnaires the participant's current step asks, their scope
    ("study" or "task:<id>") and task id; none on other steps.
    """
    return _step_questionnaires(session, study, participant)


def _upsert(
    session: Session,
    participant: Participant,
    questionnaire: str,
    scope: str,
    task_id: int | None,
    item: str,
    value: tuple[float | None, str | None],
) -> None:
    row = session.exec(
        select(Response).where(
            Response.participant_id == participant.id,
            Response.questionnaire == questionnaire,
            Response.scope == scope,
            Response.item == item,
        )
    ).first()
    if row is None:
        assert participant.id is not None
        row = Response(
            participant_id=participant.id,
            questionnaire=questionnaire,
            scope=scope,
            task_id=task_id,
            item=item,
        )
    row.value_num, row.value_text = value
    row.answered_at = utcnow()
    session.add(row)


def _count_progress(
    session: Session,
    study: Study,
    participant: Participant,
    questionnaires: list[Questionnaire],
    scope: str,
) -> None:
    """Set ``progress`` from the steps passed plus this page's share answered.

    A questionnaire page of ten items with six answered counts as 0.6 of a
    step, so a participant who leaves mid-page shows how far they got.
    """
    steps = study_steps(study, participant)
    if participant.step not in steps or len(steps) < 2:
        return
    session.flush()
    items = given = 0
    for q in questionnaires:
        ids = {i.id for i in q.items}
        items += len(ids)
        given += len(ids & set(_answers(session, participant, q.id, scope)))
    share = given / items if items else 0.0
    index = steps.index(participant.step)
    participant.progress = round(100 * (index + share) / (len(steps) - 1))
    session.add(participant)


def _find(questionnaires: list[Questionnaire], qid: str) -> Questionnaire:
    for q in questionnaires:
        if q.id == qid:
            return q
    raise InvalidAnswerError(
        f"questionnaire ({qid!r}) is not on this page; expected one of "
        f"{[q.id for q in questionnaires]}"
    )


def save_answer(
    session: Session,
    slug: str,
    token: str | None,
    *,
    step: str,
    questionnaire: str,
    item: str,
    value: Any,
    max_text: int = 10_000,
) -> bool:
    """Store one answer the moment it is given (the autosave); return False if stale.

    Raises InvalidAnswerError for an unknown item or a value of the wrong type
    or out of range: nothing is stored then.
    """
    study, participant = _writing(session, slug, token)
    _require_consent(participant)
    if step != participant.step:
        session.commit()
        return False
    questionnaires, scope, task_id = _step_questionnaires(session, study, participant)
    q = _find(questionnaires, questionnaire)
    checked = validate_answer(q, item, value, max_text=max_text)
    _upsert(session, participant, q.id, scope, task_id, item, checked)
    _count_progress(session, study, participant, questionnaires, scope)
    session.commit()
    return True


def save_answers(
    session: Session,
    slug: str,
    token: str | None,
    *,
    step: str,
    answers: Mapping[str, Any],
    max_text: int = 10_000,
) -> list[str]:
    """Store a submitted questionnaire page and, when it is complete, go on.

    ``answers`` maps ``"<questionnaire>.<item>"`` to values. Every valid answer is
    stored even when others are not; the problems are returned (one line each,
    naming the item) and the participant stays on the page. Blank fields leave
    stored answers as they are. A stale submit returns no problems and stores
    nothing.
    """
    study, participant = _writing(session, slug, token)
    _require_consent(participant)
    if step != participant.step:
        session.commit()
        return []
    questionnaires, scope, task_id = _step_questionnaires(session, study, participant)
    problems = []
    for name, raw in answers.items():
        qid, _, item = name.partition(".")
        if isinstance(raw, str) and not raw.strip():
            continue
        try:
            q = _find(questionnaires, qid)
            q.item(item)
        except InvalidAnswerError:
            stray = "An answer did not belong to a question on this page."
            if stray not in problems:
                problems.append(stray)
            continue
        try:
            checked = validate_answer(q, item, raw, max_text=max_text)
        except InvalidAnswerError:
            problems.append(invalid_answer_message(q, item, max_text=max_text))
            continue
        _upsert(session, participant, q.id, scope, task_id, item, checked)
    session.flush()
    for q in questionnaires:
        if not q.required:
            continue
        given = _answers(session, participant, q.id, scope)
        missing = [i.id for i in q.items if i.id not in given]
        if missing:
            problems.append(
                missing_answers_message(q, missing, name_it=len(questionnaires) > 1)
            )
    if problems:
        _count_progress(session, study, participant, questionnaires, scope)
        session.commit()
        return problems
    advance_step(study, participant)
    session.add(participant)
    moves = _moved(participant, "answered", step, task_id)
    _commit_change(session, study, participant.invite_id, moves)
    return problems
