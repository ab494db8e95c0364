"""Questionnaire answers: one at a time as they are typed, or a whole page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from uxlab.errors import (
    InvalidAnswerError,
)
from uxlab.kinds import Step
from uxlab.models import (
    Participant,
    Response,
    Study,
    utcnow,
)
from uxlab.participation.base import (
    _after_task,
    _answers,
    _closing,
    _commit_change,
    _moved,
    _require_consent,
    _writing,
    advance_step,
    study_steps,
)
from uxlab.questionnaires import (
    Questionnaire,
    invalid_answer_message,
    missing_answers_message,
    validate_answer,
)


def _step_questionnaires(
    session: Session, study: Study, participant: Participant
) -> tuple[list[Questionnaire], str, int | None]:
    """The questionnaires of the current step, their scope and task id."""
    step = Step.maybe(participant.step)
    if step is not None and step.name == "seq" and step.index is not None:
        task_id = participant.task_order[step.index]
        return _after_task(study), f"task:{task_id}", task_id
    if step is not None and step.name == "q":
        wanted = step.arg
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
