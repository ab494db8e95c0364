"""The page for a participant's current step, and consent, declining and withdrawing."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, select

from uxlab.errors import InvalidAnswerError
from uxlab.kinds import Step, kind_of
from uxlab.models import (
    Event,
    Invite,
    Participant,
    Response,
    SessionMove,
    Study,
    TaskAttempt,
    utcnow,
)
from uxlab.participation.base import (
    QuestionnairePage,
    StepPage,
    _after_task,
    _answers,
    _attempt,
    _closing,
    _commit_change,
    _require_consent,
    _tasks,
    _writing,
    advance_step,
    load_participant,
    study_steps,
)


def _page(session: Session, study: Study, participant: Participant) -> StepPage:
    steps = study_steps(study, participant)
    step = participant.step if participant.step in steps else "consent"
    place = Step.parse(step)
    page = StepPage(
        study=study,
        participant=participant,
        step=step,
        kind=place.page,
        number=steps.index(step) + 1,
        total=len(steps),
    )
    kind_of(study).fill_page(session, page, place)
    return page


def fill_task_page(session: Session, page: StepPage, place: Step) -> None:
    """Add a task step's task and attempt, and a questionnaire step's
    questionnaires with the answers already given, to ``page``."""
    study, participant = page.study, page.participant
    if place.index is not None:
        tasks = _tasks(session, study)
        page.task = tasks[participant.task_order[place.index]]
        page.attempt = _attempt(session, participant, page.task)
    if place.name == "seq":
        page.questionnaires = [
            QuestionnairePage(q, _answers(session, participant, q.id, page.scope))
            for q in _after_task(study)
        ]
    elif place.name == "q":
        page.questionnaires = [
            QuestionnairePage(q, _answers(session, participant, q.id, "study"))
            for q in _closing(study)
            if q.id == place.arg
        ]


def step_page(session: Session, slug: str, token: str | None) -> StepPage:
    """What the participant holding ``token`` should see now."""
    study, participant = load_participant(session, slug, token)
    return _page(session, study, participant)


def submit_step(
    session: Session,
    slug: str,
    token: str | None,
    *,
    step: str,
    form: Mapping[str, str],
) -> bool:
    """Store the answer a study kind's own step takes and go to the next step.

    The kind's ``submit(session, study, participant, step, form)`` checks and
    stores the answer (raising InvalidAnswerError, and so storing nothing, if
    it is not one the step takes). A submit for a step already passed (a
    double click, a resend) changes nothing and returns False.
    """
    study, participant = _writing(session, slug, token)
    _require_consent(participant)
    if step != participant.step:
        session.commit()
        return False
    submit = getattr(kind_of(study), "submit", None)
    place = Step.parse(step)
    if submit is None or not submit(session, study, participant, place, form):
        raise InvalidAnswerError(f"the step {step!r} takes no answer of this kind")
    advance_step(study, participant)
    session.add(participant)
    _commit_change(session, study, participant.invite_id)
    return True


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
