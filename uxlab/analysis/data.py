"""Loading a study: its rows as parallel numpy arrays, and helpers over them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from uxlab import stats
from uxlab.models import Event, Participant, Response, Study, Task, TaskAttempt
from uxlab.questionnaires import Questionnaire, build_questionnaire

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SUS_ITEMS: Final = tuple(f"q{i}" for i in range(1, 11))


@dataclass(frozen=True, slots=True)
class TaskInfo:
    id: int
    key: str
    title: str
    prompt: str
    position: int
    has_site: bool
    #: Success is judged by a recorded criterion (url_matches, element) and
    #: the participant's "I'm done" is not trusted on its own.
    auto_judged: bool = False


@dataclass(frozen=True, slots=True)
class ParticipantInfo:
    id: int
    code: str
    variant: str | None
    excluded: bool
    exclusion_reason: str
    session_s: float | None
    started: bool
    finished: bool


@dataclass(frozen=True, slots=True)
class StudyData:
    """One study's rows as parallel numpy arrays (indices, not ids).

    Attempts: ``a_participant`` and ``a_task`` index :attr:`participants` and
    :attr:`tasks`; ``a_duration`` is seconds (``nan`` without both times);
    ``a_outcome`` and ``a_judged`` are strings ("" when not set);
    ``a_said_done`` is the participant's own "I'm done";
    ``a_events`` counts recorder events other than first clicks.  Responses:
    ``r_task`` is -1 for study-level answers; ``r_value`` is ``nan`` for text;
    ``r_partial`` marks answers of a questionnaire left partial (a moderator
    moved the participant on before they submitted it): never scored.
    """

    study: Study
    tasks: tuple[TaskInfo, ...]
    participants: tuple[ParticipantInfo, ...]
    after_each_task: tuple[Questionnaire, ...]
    questionnaires: tuple[Questionnaire, ...]
    variants: tuple[tuple[str, str], ...]
    a_participant: IntArray
    a_task: IntArray
    a_position: IntArray
    a_duration: FloatArray
    a_started: npt.NDArray[np.bool_]
    a_outcome: npt.NDArray[np.str_]
    a_judged: npt.NDArray[np.str_]
    a_said_done: npt.NDArray[np.bool_]
    a_events: IntArray
    r_participant: IntArray
    r_questionnaire: npt.NDArray[np.str_]
    r_task: IntArray
    r_item: npt.NDArray[np.str_]
    r_value: FloatArray
    r_text: tuple[str | None, ...]
    records_events: bool
    r_partial: npt.NDArray[np.bool_]


def _seconds(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return math.nan
    return (end - start).total_seconds()


def questionnaire_title(q: Questionnaire) -> str:
    """A heading for a questionnaire: its title, else its first item's text."""
    return q.title or (q.items[0].text if q.items else "") or q.id


def _questionnaires(study: Study, key: str) -> tuple[Questionnaire, ...]:
    product = str(study.settings.get("product", "this product"))
    return tuple(
        build_questionnaire(q, product=product) for q in study.settings.get(key, [])
    )


def load_study_data(session: Session, study: Study) -> StudyData:
    """Read a study's tasks, participants, attempts and answers (five queries)."""
    tasks = tuple(
        TaskInfo(
            t.id,  # type: ignore[arg-type]
            t.key,
            t.title,
            t.prompt,
            t.position,
            bool(t.start_url),
            t.success_kind in ("url_matches", "element")
            and not t.settings.get("trust_self_report"),
        )
        for t in session.exec(
            select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
        ).all()
    )
    task_index = {t.id: i for i, t in enumerate(tasks)}
    # Plain Core selects on the session's connection: no ORM objects to build.
    conn = session.connection()
    p_rows = conn.execute(
        sa.select(
            col(Participant.id),
            col(Participant.code),
            col(Participant.variant),
            col(Participant.excluded),
            col(Participant.exclusion_reason),
            col(Participant.started_at),
            col(Participant.finished_at),
        )
        .where(col(Participant.study_id) == study.id)
        .where(col(Participant.preview).is_(False))
        .order_by(col(Participant.id))
    ).all()
    participants = tuple(
        ParticipantInfo(
            id=pid,  # type: ignore[arg-type]
            code=code,
            variant=variant,
            excluded=bool(excluded),
            exclusion_reason=reason or "",
            session_s=_seconds(started, finished) if started and finished else None,
            started=started is not None,
            finished=finished is not None,
        )
        for pid, code, variant, excluded, reason, started, finished in p_rows
    )
    p_index = {p.id: i for i, p in enumerate(participants)}
    in_study = select(Participant.id).where(
        Participant.study_id == study.id, col(Participant.preview).is_(False)
    )

    event_counts = dict(
        session.exec(
            select(Event.attempt_id, func.count())
            .where(col(Event.participant_id).in_(in_study))
            .where(col(Event.attempt_id).is_not(None))
            .where(Event.type != "first_click")
            .group_by(col(Event.attempt_id))
        ).all()
    )
    a_rows = conn.execute(
        sa.select(
            col(TaskAttempt.id),
            col(TaskAttempt.participant_id),
            col(TaskAttempt.task_id),
            col(TaskAttempt.position),
            col(TaskAttempt.started_at),
            col(TaskAttempt.ended_at),
            col(TaskAttempt.outcome),
            col(TaskAttempt.judged_by),
            col(TaskAttempt.self_reported),
        ).where(col(TaskAttempt.participant_id).in_(in_study))
    ).all()
    a_rows = [r for r in a_rows if r[2] in task_index]
    r_rows = conn.execute(
        sa.select(
            col(Response.participant_id),
            col(Response.questionnaire),
            col(Response.task_id),
            col(Response.item),
            col(Response.value_num),
            col(Response.value_text),
            col(Response.partial),
        ).where(col(Response.participant_id).in_(in_study))
    ).all()
    variants = tuple(
        (str(v["key"]), str(v.get("name") or v["key"]))
        for v in study.settings.get("variants", [])
    )
    return StudyData(
        study=study,
        tasks=tasks,
        participants=participants,
        after_each_task=_questionnaires(study, "after_each_task"),
        questionnaires=_questionnaires(study, "questionnaires"),
        variants=variants,
        a_participant=np.array([p_index[r[1]] for r in a_rows], dtype=np.int64),
        a_task=np.array([task_index[r[2]] for r in a_rows], dtype=np.int64),
        a_position=np.array([r[3] for r in a_rows], dtype=np.int64),
        a_duration=np.array([_seconds(r[4], r[5]) for r in a_rows], dtype=float),
        a_started=np.array([r[4] is not None for r in a_rows], dtype=bool),
        a_outcome=np.array([str(r[6] or "") for r in a_rows], dtype=np.str_),
        a_judged=np.array([str(r[7] or "") for r in a_rows], dtype=np.str_),
        a_said_done=np.array([bool(r[8]) for r in a_rows], dtype=np.bool_),
        a_events=np.array([event_counts.get(r[0], 0) for r in a_rows], dtype=np.int64),
        r_participant=np.array([p_index[r[0]] for r in r_rows], dtype=np.int64),
        r_questionnaire=np.array([r[1] for r in r_rows], dtype=np.str_),
        r_task=np.array(
            [task_index.get(r[2], -1) if r[2] else -1 for r in r_rows], dtype=np.int64
        ),
        r_item=np.array([r[3] for r in r_rows], dtype=np.str_),
        r_value=np.array(
            [math.nan if r[4] is None else r[4] for r in r_rows], dtype=float
        ),
        r_text=tuple(r[5] for r in r_rows),
        r_partial=np.array([bool(r[6]) for r in r_rows], dtype=np.bool_),
        records_events=bool(event_counts),
    )


def _item_matrix(
    data: StudyData, keep_r: npt.NDArray[np.bool_], qid: str, items: Sequence[str]
) -> tuple[IntArray, FloatArray]:
    """Answers to ``items`` as a (participants, items) matrix, nan where missing."""
    sel = keep_r & (data.r_questionnaire == qid) & (data.r_task == -1)
    people = np.unique(data.r_participant[sel])
    matrix = np.full((people.size, len(items)), np.nan)
    rows = np.searchsorted(people, data.r_participant[sel])
    item_pos = {item: k for k, item in enumerate(items)}
    cols = np.array([item_pos.get(str(i), -1) for i in data.r_item[sel]], dtype=int)
    ok = cols >= 0
    matrix[rows[ok], cols[ok]] = data.r_value[sel][ok]
    return people, matrix


def _sus_scores(
    data: StudyData,
    keep_r: npt.NDArray[np.bool_],
    qid: str,
    missing: str = "drop",
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Respondents scored under the ``missing`` policy, their answers and scores.

    With "drop" only respondents with all ten answers are scored; see
    :func:`uxlab.stats.sus_scores_with_missing` for the others. A SUS left
    partial is never scored, whatever the policy (see :func:`partial_people`).
    """
    keep_r = keep_r & ~data.r_partial
    people, matrix = _item_matrix(data, keep_r, qid, _SUS_ITEMS)
    answered = ~np.isnan(matrix).all(axis=1)
    people, matrix = people[answered], matrix[answered]
    if not len(matrix):
        return people, matrix, np.empty(0)
    scores, kept = stats.sus_scores_with_missing(matrix, missing=missing)
    return people[kept], matrix[kept], scores


def partial_people(data: StudyData, keep_r: npt.NDArray[np.bool_], qid: str) -> int:
    """How many respondents left the study-level questionnaire ``qid`` partial."""
    sel = keep_r & data.r_partial & (data.r_questionnaire == qid) & (data.r_task == -1)
    return int(np.unique(data.r_participant[sel]).size)


def sus_missing_policy(data: StudyData) -> str:
    """The study file's ``sus_missing`` (default "drop")."""
    return str(data.study.settings.get("sus_missing") or "drop")


def _keep(
    data: StudyData, include_excluded: bool, variant: str | None = None
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    keep_p = np.array(
        [
            (include_excluded or not p.excluded)
            and (variant is None or p.variant == variant)
            for p in data.participants
        ],
        dtype=bool,
    )
    keep_a = keep_p[data.a_participant] if keep_p.size else np.zeros(0, dtype=bool)
    keep_r = keep_p[data.r_participant] if keep_p.size else np.zeros(0, dtype=bool)
    return keep_p, keep_a, keep_r


def _sus_questionnaire(data: StudyData) -> Questionnaire | None:
    """The study's SUS questionnaire, if it has one."""
    return next((q for q in data.questionnaires if q.kind == "sus"), None)
