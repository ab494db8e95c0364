"""A study's file: downloaded as YAML, and edited as a whole while a draft.

A draft's tasks, questionnaires and success criteria live in its study file.
:func:`replace_draft` validates new text with :func:`uxlab.studies.parse_study`
(whose problems name their line) and, when it is valid, rewrites the draft from
it in one transaction: the study's fields, settings and tasks.
"""

from __future__ import annotations

import yaml
from sqlmodel import Session, col, delete, select

from uxlab.db import begin_write
from uxlab.errors import StudyStateError
from uxlab.models import (
    Event,
    ModeratedSession,
    Participant,
    Response,
    Study,
    StudyStatus,
    Task,
    TaskAttempt,
)
from uxlab.studies import parse_study, spec_tasks

__all__ = ["replace_draft", "study_yaml"]


def study_yaml(study: Study) -> str:
    """The study's file as YAML: its own text, or a JSON file rewritten as YAML.

    >>> print(study_yaml(Study(slug="s", title="T", source_yaml='{"title": "T"}')))
    title: T
    <BLANKLINE>
    """
    text = study.source_yaml or ""
    if text.lstrip().startswith("{"):
        data = yaml.safe_load(text)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)
    return text


def replace_draft(session: Session, study: Study, text: str) -> Study:
    """Rewrite a draft study from new study-file text.

    Raises :class:`~uxlab.errors.StudyFileError` listing every problem (with
    its line) and changes nothing when the text is not a valid study; raises
    :class:`~uxlab.errors.StudyStateError` for a study that is not a draft or
    already has participants or sessions. Previews of the draft are deleted.
    """
    if study.status != StudyStatus.draft:
        raise StudyStateError(
            "Only a draft's study file can be edited; this study is "
            f"{study.status}. Download its file to start a new study from it."
        )
    spec = parse_study(text, "study file")
    begin_write(session)
    assert study.id is not None
    taken = session.exec(
        select(Participant.id)
        .where(Participant.study_id == study.id, col(Participant.preview).is_(False))
        .limit(1)
    ).first()
    sessions = session.exec(
        select(ModeratedSession.id).where(ModeratedSession.study_id == study.id)
    ).first()
    if taken is not None or sessions is not None:
        session.rollback()
        raise StudyStateError(
            "This draft already has participants or sessions; its tasks can no "
            "longer be replaced."
        )
    _delete_previews(session, study)
    study.title = spec.title
    study.description = spec.description
    study.mode = spec.mode
    study.consent = spec.consent
    study.settings = spec.settings()
    study.source_yaml = text
    session.exec(delete(Task).where(col(Task.study_id) == study.id))
    session.add(study)
    session.add_all(spec_tasks(study.id, spec))
    session.commit()
    session.refresh(study)
    return study


def _delete_previews(session: Session, study: Study) -> None:
    """Delete a draft's preview participants: they tried the tasks being replaced."""
    previews = [
        pid
        for pid in session.exec(
            select(Participant.id).where(
                Participant.study_id == study.id, col(Participant.preview)
            )
        ).all()
        if pid is not None
    ]
    if not previews:
        return
    attempts = select(TaskAttempt.id).where(
        col(TaskAttempt.participant_id).in_(previews)
    )
    session.exec(delete(Event).where(col(Event.attempt_id).in_(attempts)))
    session.exec(delete(Event).where(col(Event.participant_id).in_(previews)))
    session.exec(delete(Response).where(col(Response.participant_id).in_(previews)))
    session.exec(
        delete(TaskAttempt).where(col(TaskAttempt.participant_id).in_(previews))
    )
    session.exec(delete(Participant).where(col(Participant.id).in_(previews)))
