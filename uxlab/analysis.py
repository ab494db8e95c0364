"""Study results: query a study, hand numpy arrays to :mod:`uxlab.stats`, report.

The service layer behind the results page, the report, the comparison and the
planner.  :func:`load_study_data` reads a study in a handful of column
queries; :func:`summarise` turns those arrays into a frozen
:class:`StudyReport` using only :mod:`uxlab.stats` for the numbers;
:func:`analyse_study` does both.  Nothing here formats text for a page except
the plain-language comparison sentences, which are part of what a comparison
*is*.

Conventions (stated again in every report's methods section):

* Completion: an attempt counts when it has an outcome; only ``success``
  counts as completed (``partial``, ``failure``, ``abandoned``, ``timed_out``
  and ``skipped`` do not).
* Times: server-measured ``ended_at - started_at`` of attempts with an outcome
  other than ``skipped`` and a positive duration.
* Data-quality flags (:data:`QUALITY_RULES`) are computed over every
  participant, excluded or not, so excluding someone never changes who else is
  flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from uxlab import stats
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import Event, Participant, Response, Study, Task, TaskAttempt
from uxlab.questionnaires import Questionnaire, build_questionnaire
from uxlab.stats import (
    ComparisonResult,
    NPSResult,
    ProportionResult,
    RatingResult,
    SUSResult,
    TaskTimes,
)
from uxlab.workspaces import record

__all__ = [
    "CONFIDENCE_LEVELS",
    "QUALITY_RULES",
    "AnalysisOptionError",
    "Comparison",
    "FunnelStep",
    "Overview",
    "ParticipantQuality",
    "PlanResult",
    "QuestionnaireResult",
    "StudyData",
    "StudyReport",
    "TaskComparison",
    "TaskResult",
    "analyse_study",
    "comparable_studies",
    "compare_studies",
    "compare_variants",
    "completion_sentence",
    "format_p",
    "load_study_data",
    "mean_sentence",
    "parse_confidence_level",
    "parse_flag",
    "plan_sample_size",
    "questionnaire_title",
    "set_exclusion",
    "summarise",
    "time_sentence",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Confidence levels the pages offer (80, 90, 95, 99 %).
CONFIDENCE_LEVELS: Final = (0.8, 0.9, 0.95, 0.99)
#: Average completion rate of Sauro's (2011) 1,200 tasks.
COMPLETION_BENCHMARK: Final = 0.78
#: Average SEQ (Sauro 2012, "10 things to know about the SEQ").
SEQ_BENCHMARK: Final = 5.5
#: A session shorter than this share of the median finished session is a speeder.
SPEEDER_SHARE: Final = 1 / 3
#: An attempt at a task with a site shorter than this never left the task page.
MIN_VISIT_S: Final = 3.0

#: The data-quality rules, worded for the page and the report.
QUALITY_RULES: Final = {
    "speeder": (
        "Speeder: finished the study in less than a third of the median session "
        "length of all finished participants."
    ),
    "straight_lined_sus": (
        "Straight-lined SUS: gave the same answer to all ten SUS items, although "
        "half of them are worded negatively."
    ),
    "never_left_task_page": (
        "Never left the task page: ended a task that has a website without a "
        f"recorded start, in under {MIN_VISIT_S:g} seconds, or (when the study "
        "records page events) with no event recorded on the site."
    ),
}

_SUS_ITEMS: Final = tuple(f"q{i}" for i in range(1, 11))


class AnalysisOptionError(UxlabError):
    """A results option (confidence level, flag, planner input) is invalid."""

    code = "invalid_option"
    status = 400


def parse_confidence_level(raw: str | float | None) -> float:
    """The confidence level asked for (default 0.95); one of :data:`CONFIDENCE_LEVELS`.

    >>> parse_confidence_level("0.9"), parse_confidence_level(None)
    (0.9, 0.95)
    >>> parse_confidence_level("0.5")
    Traceback (most recent call last):
    ...
    uxlab.analysis.AnalysisOptionError: confidence level ('0.5') must be one of 0.8, 0.9, 0.95, 0.99
    """  # noqa: E501
    if raw is None or raw == "":
        return 0.95
    allowed = ", ".join(f"{c:g}" for c in CONFIDENCE_LEVELS)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    for level in CONFIDENCE_LEVELS:
        if math.isclose(value, level):
            return level
    raise AnalysisOptionError(f"confidence level ({raw!r}) must be one of {allowed}")


def parse_flag(name: str, raw: str | None) -> bool:
    """A yes/no query parameter: absent, "0" or "1" (also "true"/"false").

    >>> parse_flag("include_excluded", "1"), parse_flag("include_excluded", None)
    (True, False)
    """
    if raw is None or raw.lower() in ("", "0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise AnalysisOptionError(f"{name} ({raw!r}) must be 0 or 1")


# ------------------------------------------------------------------ loading


@dataclass(frozen=True, slots=True)
class TaskInfo:
    id: int
    key: str
    title: str
    prompt: str
    position: int
    has_site: bool


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
    ``a_events`` counts recorder events other than first clicks.  Responses:
    ``r_task`` is -1 for study-level answers; ``r_value`` is ``nan`` for text.
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
    a_events: IntArray
    r_participant: IntArray
    r_questionnaire: npt.NDArray[np.str_]
    r_task: IntArray
    r_item: npt.NDArray[np.str_]
    r_value: FloatArray
    r_text: tuple[str | None, ...]
    records_events: bool


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
        TaskInfo(t.id, t.key, t.title, t.prompt, t.position, bool(t.start_url))  # type: ignore[arg-type]
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
        records_events=bool(event_counts),
    )


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class FunnelStep:
    label: str
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class Overview:
    """Who took part: ``included`` participants are those the results count."""

    started: int
    finished: int
    excluded: int
    included: int
    included_finished: int
    median_session_s: float | None
    funnel: tuple[FunnelStep, ...]


@dataclass(frozen=True, slots=True)
class RatingItem:
    """A per-task rating questionnaire's summary for one task."""

    questionnaire: str
    title: str
    kind: str
    scale: tuple[int, int]
    result: RatingResult | None


@dataclass(frozen=True, slots=True)
class TaskResult:
    key: str
    title: str
    prompt: str
    position: int
    attempts: int
    completion: ProportionResult | None
    times: TaskTimes
    outcomes: tuple[tuple[str, int], ...]
    judged: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    ratings: tuple[RatingItem, ...]

    @property
    def seq(self) -> RatingItem | None:
        """The first per-task rating: the SEQ in a standard study."""
        return self.ratings[0] if self.ratings else None


@dataclass(frozen=True, slots=True)
class UMUXSummary:
    """UMUX-Lite mean and the mean of its SUS equivalents (both via sus_summary)."""

    score: SUSResult
    sus_equivalent: SUSResult


@dataclass(frozen=True, slots=True)
class QuestionnaireResult:
    """One closing questionnaire; which fields are set depends on ``kind``."""

    id: str
    kind: str
    title: str
    n: int
    scale: tuple[int, int]
    sus: SUSResult | None = None
    sus_scores: tuple[float, ...] = ()
    umux: UMUXSummary | None = None
    nps: NPSResult | None = None
    proportion: ProportionResult | None = None
    proportion_label: str = ""
    rating: RatingResult | None = None
    items: tuple[tuple[str, str, RatingResult | None], ...] = ()
    comments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QualityFlag:
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class ParticipantQuality:
    code: str
    variant: str | None
    excluded: bool
    exclusion_reason: str
    session_s: float | None
    flags: tuple[QualityFlag, ...]


@dataclass(frozen=True, slots=True)
class StudyReport:
    """Everything the results page and the report show, at one confidence level."""

    study_slug: str
    study_title: str
    study_description: str
    confidence_level: float
    include_excluded: bool
    overview: Overview
    tasks: tuple[TaskResult, ...]
    after_each_task: tuple[tuple[str, str, str], ...]
    questionnaires: tuple[QuestionnaireResult, ...]
    flagged: tuple[ParticipantQuality, ...]
    flag_counts: tuple[tuple[str, int], ...]
    speeder_threshold_s: float | None
    variants: tuple[tuple[str, str], ...] = field(default=())


def _counts(values: npt.NDArray[np.str_]) -> tuple[tuple[str, int], ...]:
    keys, counts = np.unique(values, return_counts=True)
    return tuple(
        (str(k) or "not set", int(c)) for k, c in zip(keys, counts, strict=True)
    )


def _rating(
    values: FloatArray, q: Questionnaire, confidence_level: float
) -> RatingResult | None:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    return stats.rating_summary(
        values,
        scale=(q.scale_min, q.scale_max),
        confidence_level=confidence_level,
        benchmark=SEQ_BENCHMARK if q.kind == "seq" else None,
    )


def _task_result(
    data: StudyData,
    j: int,
    keep_a: npt.NDArray[np.bool_],
    keep_r: npt.NDArray[np.bool_],
    confidence_level: float,
) -> TaskResult:
    task = data.tasks[j]
    mine = keep_a & (data.a_task == j)
    outcome = data.a_outcome[mine]
    ended = outcome != ""
    trials = int(ended.sum())
    successes = int((outcome == "success").sum())
    completion = (
        stats.completion_rate(successes, trials, confidence_level=confidence_level)
        if trials
        else None
    )
    durations = data.a_duration[mine]
    timed = ended & (outcome != "skipped") & (durations > 0)
    times = stats.task_times(
        durations[timed], outcome[timed] == "success", confidence_level=confidence_level
    )
    judged = data.a_judged[mine][ended]
    by_judge = tuple(
        (str(who), _counts(outcome[ended][judged == who]))
        for who in sorted(set(judged.tolist()))
    )
    ratings = []
    for q in data.after_each_task:
        if q.open_text:
            continue
        sel = keep_r & (data.r_task == j) & (data.r_questionnaire == q.id)
        ratings.append(
            RatingItem(
                q.id,
                q.title,
                q.kind,
                (q.scale_min, q.scale_max),
                _rating(data.r_value[sel], q, confidence_level),
            )
        )
    return TaskResult(
        key=task.key,
        title=task.title,
        prompt=task.prompt,
        position=task.position,
        attempts=int(mine.sum()),
        completion=completion,
        times=times,
        outcomes=_counts(outcome[ended]),
        judged=by_judge,
        ratings=tuple(ratings),
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
    data: StudyData, keep_r: npt.NDArray[np.bool_], qid: str
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Respondents with all ten SUS answers, their answers and their scores."""
    people, matrix = _item_matrix(data, keep_r, qid, _SUS_ITEMS)
    complete = ~np.isnan(matrix).any(axis=1)
    matrix = matrix[complete]
    scores = (
        np.asarray(stats.sus_score(matrix), dtype=float) if len(matrix) else np.empty(0)
    )
    return people[complete], matrix, scores


def _questionnaire_result(
    data: StudyData,
    q: Questionnaire,
    keep_r: npt.NDArray[np.bool_],
    confidence_level: float,
) -> QuestionnaireResult:
    scale = (q.scale_min, q.scale_max)
    # A one-question item (open text, a custom rating) often has no title of
    # its own: the question is its heading.
    title = q.title or (q.items[0].text if len(q.items) == 1 else q.id)
    base: dict[str, Any] = {
        "id": q.id,
        "kind": q.kind,
        "title": title,
        "scale": scale,
    }
    if q.open_text:
        sel = keep_r & (data.r_questionnaire == q.id) & (data.r_task == -1)
        texts = tuple(
            t for t, s in zip(data.r_text, sel, strict=True) if s and t and t.strip()
        )
        return QuestionnaireResult(n=len(texts), comments=texts, **base)
    if q.kind == "sus":
        _, _, scores = _sus_scores(data, keep_r, q.id)
        summary = (
            stats.sus_summary(scores, confidence_level=confidence_level)
            if scores.size
            else None
        )
        return QuestionnaireResult(
            n=int(scores.size),
            sus=summary,
            sus_scores=tuple(float(s) for s in scores),
            **base,
        )
    if q.kind == "umux_lite":
        _, matrix = _item_matrix(data, keep_r, q.id, ("q1", "q2"))
        matrix = matrix[~np.isnan(matrix).any(axis=1)]
        umux = None
        if len(matrix):
            u = stats.umux_lite(matrix[:, 0], matrix[:, 1], scale_points=q.scale_max)
            umux = UMUXSummary(
                stats.sus_summary(
                    np.atleast_1d(u.score), confidence_level=confidence_level
                ),
                stats.sus_summary(
                    np.atleast_1d(u.sus_equivalent), confidence_level=confidence_level
                ),
            )
        return QuestionnaireResult(n=len(matrix), umux=umux, **base)
    _, matrix = _item_matrix(data, keep_r, q.id, [i.id for i in q.items])
    first = matrix[:, 0][~np.isnan(matrix[:, 0])] if matrix.size else np.empty(0)
    if q.kind == "nps":
        result = (
            stats.nps(first, confidence_level=confidence_level) if first.size else None
        )
        return QuestionnaireResult(n=int(first.size), nps=result, **base)
    if q.kind in ("csat", "ces", "seq"):
        rating = _rating(first, q, confidence_level)
        proportion: ProportionResult | None = None
        label = ""
        if first.size and q.kind == "csat":
            proportion = stats.csat(
                first, scale_points=q.scale_max, confidence_level=confidence_level
            )
            label = f"satisfied ({q.scale_max - 1}-{q.scale_max})"
        elif first.size and q.kind == "ces":
            proportion = stats.top_box(
                first, scale=scale, boxes=3, confidence_level=confidence_level
            )
            label = f"agree ({q.scale_max - 2}-{q.scale_max})"
        return QuestionnaireResult(
            n=int(first.size),
            rating=rating,
            proportion=proportion,
            proportion_label=label,
            **base,
        )
    items = tuple(
        (item.id, item.text, _rating(matrix[:, k], q, confidence_level))
        for k, item in enumerate(q.items)
    )
    return QuestionnaireResult(n=int(matrix.shape[0]), items=items, **base)


def _quality(data: StudyData) -> tuple[list[ParticipantQuality], float | None]:
    sessions = np.array(
        [p.session_s for p in data.participants if p.session_s is not None],
        dtype=float,
    )
    threshold = (
        float(np.median(sessions)) * SPEEDER_SHARE if sessions.size >= 3 else None
    )
    flags: list[list[QualityFlag]] = [[] for _ in data.participants]
    if threshold is not None:
        for i, p in enumerate(data.participants):
            if p.session_s is not None and p.session_s < threshold:
                flags[i].append(
                    QualityFlag(
                        "speeder",
                        f"session {p.session_s:.0f} s, under the {threshold:.0f} s "
                        "threshold",
                    )
                )
    everyone = np.ones(data.r_participant.shape, dtype=bool)
    for q in data.questionnaires:
        if q.kind != "sus":
            continue
        people, matrix, _ = _sus_scores(data, everyone, q.id)
        same = (matrix == matrix[:, :1]).all(axis=1) if len(matrix) else []
        for person, row, flat in zip(people, matrix, same, strict=True):
            if flat:
                flags[int(person)].append(
                    QualityFlag(
                        "straight_lined_sus", f"all ten SUS answers were {row[0]:g}"
                    )
                )
    has_site = np.array([t.has_site for t in data.tasks], dtype=bool)
    if has_site.any() and data.a_task.size:
        ended = data.a_outcome != ""
        site = has_site[data.a_task] & ended
        duration = np.nan_to_num(data.a_duration, nan=0.0)
        stuck = site & (~data.a_started | (duration < MIN_VISIT_S))
        if data.records_events:
            stuck |= site & (data.a_events == 0)
        for i in np.unique(data.a_participant[stuck]):
            keys = sorted(
                {
                    data.tasks[j].key
                    for j in data.a_task[stuck & (data.a_participant == i)]
                }
            )
            flags[int(i)].append(
                QualityFlag("never_left_task_page", "tasks: " + ", ".join(keys))
            )
    rows = [
        ParticipantQuality(
            p.code, p.variant, p.excluded, p.exclusion_reason, p.session_s, tuple(f)
        )
        for p, f in zip(data.participants, flags, strict=True)
    ]
    return rows, threshold


def _overview(
    data: StudyData,
    keep_p: npt.NDArray[np.bool_],
    keep_a: npt.NDArray[np.bool_],
    keep_r: npt.NDArray[np.bool_],
) -> Overview:
    people = [p for p, k in zip(data.participants, keep_p, strict=True) if k]
    started = sum(p.started for p in data.participants)
    sessions = [p.session_s for p in people if p.session_s is not None]
    base = sum(p.started for p in people) or 1
    steps: list[FunnelStep] = [
        FunnelStep("Started", sum(p.started for p in people), 1.0)
    ]
    for k in range(1, len(data.tasks) + 1):
        sel = keep_a & (data.a_position == k)
        count = int(np.unique(data.a_participant[sel]).size)
        steps.append(FunnelStep(f"Task {k} started", count, count / base))
    for q in data.questionnaires:
        sel = keep_r & (data.r_questionnaire == q.id) & (data.r_task == -1)
        count = int(np.unique(data.r_participant[sel]).size)
        steps.append(
            FunnelStep(f"Answered {questionnaire_title(q)}", count, count / base)
        )
    finished = sum(p.finished for p in people)
    steps.append(FunnelStep("Finished", finished, finished / base))
    return Overview(
        started=started,
        finished=sum(p.finished for p in data.participants),
        excluded=sum(p.excluded for p in data.participants),
        # Someone who opened the link and never consented gave no data.
        included=sum(p.started for p in people),
        included_finished=finished,
        median_session_s=float(np.median(sessions)) if sessions else None,
        funnel=tuple(steps),
    )


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


def summarise(
    data: StudyData, *, confidence_level: float = 0.95, include_excluded: bool = False
) -> StudyReport:
    """Compute every figure of a study's results from its loaded data."""
    confidence_level = parse_confidence_level(confidence_level)
    keep_p, keep_a, keep_r = _keep(data, include_excluded)
    tasks = tuple(
        _task_result(data, j, keep_a, keep_r, confidence_level)
        for j in range(len(data.tasks))
    )
    questionnaires = tuple(
        _questionnaire_result(data, q, keep_r, confidence_level)
        for q in data.questionnaires
    )
    quality, threshold = _quality(data)
    # Only the rules that can apply to this study's design are listed.
    applies = {
        "speeder": True,
        "straight_lined_sus": _sus_questionnaire(data) is not None,
        "never_left_task_page": any(t.has_site for t in data.tasks),
    }
    flag_counts = tuple(
        (kind, sum(any(f.kind == kind for f in q.flags) for q in quality))
        for kind in QUALITY_RULES
        if applies.get(kind, True)
    )
    study = data.study
    return StudyReport(
        study_slug=study.slug,
        study_title=study.title,
        study_description=study.description,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        overview=_overview(data, keep_p, keep_a, keep_r),
        tasks=tasks,
        after_each_task=tuple((q.id, q.title, q.kind) for q in data.after_each_task),
        questionnaires=questionnaires,
        flagged=tuple(q for q in quality if q.flags or q.excluded),
        flag_counts=flag_counts,
        speeder_threshold_s=threshold,
        variants=data.variants,
    )


def analyse_study(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> StudyReport:
    """Load a study and summarise it: the results page's one call."""
    return summarise(
        load_study_data(session, study),
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )


def set_exclusion(
    session: Session,
    study: Study,
    code: str,
    *,
    excluded: bool,
    reason: str = "",
    by: int | None = None,
) -> Participant:
    """Exclude a participant of ``study`` from the results (or include them again).

    The change goes into the workspace's activity log as done by ``by``.
    """
    participant = session.exec(
        select(Participant)
        .where(Participant.study_id == study.id)
        .where(Participant.code == code)
    ).first()
    if participant is None:
        raise NotFoundError(f"no participant {code!r} in study {study.slug!r}")
    reason = reason.strip()[:400]
    if excluded and not reason:
        raise AnalysisOptionError("give a reason for excluding a participant")
    participant.excluded = excluded
    participant.exclusion_reason = reason if excluded else ""
    session.add(participant)
    record(
        session,
        study.workspace_id,
        by,
        "excluded" if excluded else "included",
        study.slug,
        participant=participant.code,
        reason=participant.exclusion_reason,
    )
    session.commit()
    return participant


# --------------------------------------------------------------- comparisons


def format_p(p: float | None) -> str:
    """A p-value as reports print it.

    >>> format_p(0.0241), format_p(0.0042), format_p(0.00001), format_p(None)
    ('p = 0.02', 'p = 0.004', 'p < 0.001', 'p not defined')
    """
    if p is None:
        return "p not defined"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _level(confidence_level: float) -> str:
    return f"{100 * confidence_level:g} %"


def _signed(value: float, digits: int = 0) -> str:
    text = f"{value:.{digits}f}"
    return "0" if float(text) == 0 else text.replace("-", "−")


def completion_sentence(
    result: ComparisonResult, label_a: str, label_b: str, confidence_level: float
) -> str:
    """Plain-language sentence for ``result`` = completion of B minus A.

    >>> r = stats.compare_completion(40, 60, 15, 35)
    >>> completion_sentence(r, "Design A", "Design B", 0.95)
    "Design B's completion rate is 24 points higher (95 % CI 3 to 43 points; p = 0.02)"
    """
    points = 100 * result.difference
    shown = round(points)
    if shown == 0:
        # The estimate rounds to 0; the interval says how different it may be.
        head = f"{label_b}'s completion rate is within half a point of {label_a}'s"
    else:
        word = "higher" if shown > 0 else "lower"
        head = f"{label_b}'s completion rate is {abs(shown)} points {word}"
    ci = (
        f"{_level(confidence_level)} CI {_signed(100 * result.ci.low)} to "
        f"{_signed(100 * result.ci.high)} points"
    )
    return f"{head} ({ci}; {format_p(result.p_value)})"


def time_sentence(
    result: ComparisonResult, label_a: str, label_b: str, confidence_level: float
) -> str:
    """Plain-language sentence for a ratio of geometric mean times (B over A).

    >>> r = stats.compare_times([40, 52, 35, 60, 48], [61, 70, 55, 90, 66])
    >>> time_sentence(r, "A", "B", 0.95)  # doctest: +NORMALIZE_WHITESPACE
    "B's completion time is 32 % shorter (ratio of geometric means 0.68,
    95 % CI 0.51 to 0.92; p = 0.02)"
    """
    change = round(100 * (result.difference - 1))
    if change == 0:
        head = f"{label_b}'s completion time is within 0.5 % of {label_a}'s"
    else:
        word = "longer" if change > 0 else "shorter"
        head = f"{label_b}'s completion time is {abs(change)} % {word}"
    return (
        f"{head} (ratio of geometric means {result.difference:.2f}, "
        f"{_level(confidence_level)} CI {result.ci.low:.2f} to {result.ci.high:.2f}; "
        f"{format_p(result.p_value)})"
    )


def mean_sentence(
    result: ComparisonResult,
    what: str,
    label_a: str,
    label_b: str,
    confidence_level: float,
    *,
    digits: int = 1,
) -> str:
    """Plain-language sentence for a difference of means (B minus A).

    >>> r = stats.compare_means([70, 80, 75, 85], [60, 65, 70, 62.5])
    >>> mean_sentence(r, "SUS score", "A", "B", 0.95)
    "B's SUS score is 13.1 points higher (95 % CI 3.3 to 23.0 points; p = 0.02)"
    """
    shown = round(result.difference, digits)
    if shown == 0:
        head = (
            f"{label_b}'s {what} is within {0.5 * 10**-digits:g} points of {label_a}'s"
        )
    else:
        word = "higher" if shown > 0 else "lower"
        head = f"{label_b}'s {what} is {abs(shown):.{digits}f} points {word}"
    return (
        f"{head} ({_level(confidence_level)} CI {_signed(result.ci.low, digits)} to "
        f"{_signed(result.ci.high, digits)} points; {format_p(result.p_value)})"
    )


@dataclass(frozen=True, slots=True)
class TaskComparison:
    key: str
    title: str
    completion_a: ProportionResult | None
    completion_b: ProportionResult | None
    completion: ComparisonResult | None
    time: ComparisonResult | None
    seq: ComparisonResult | None
    sentences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Design B against design A: differences are B minus A, ratios B over A."""

    label_a: str
    label_b: str
    title_a: str
    title_b: str
    n_a: int
    n_b: int
    confidence_level: float
    tasks: tuple[TaskComparison, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    sus: ComparisonResult | None
    sus_sentence: str


@dataclass(frozen=True, slots=True)
class _Group:
    data: StudyData
    keep_a: npt.NDArray[np.bool_]
    keep_r: npt.NDArray[np.bool_]
    n: int

    def task(self, key: str) -> int:
        return next(j for j, t in enumerate(self.data.tasks) if t.key == key)

    def completion(self, j: int) -> tuple[int, int]:
        outcome = self.data.a_outcome[self.keep_a & (self.data.a_task == j)]
        return int((outcome == "success").sum()), int((outcome != "").sum())

    def success_times(self, j: int) -> FloatArray:
        sel = (
            self.keep_a
            & (self.data.a_task == j)
            & (self.data.a_outcome == "success")
            & (self.data.a_duration > 0)
        )
        return np.asarray(self.data.a_duration[sel], dtype=np.float64)

    def seq(self, j: int) -> FloatArray:
        q = next((q for q in self.data.after_each_task if q.kind == "seq"), None)
        if q is None:
            return np.empty(0)
        sel = (
            self.keep_r & (self.data.r_task == j) & (self.data.r_questionnaire == q.id)
        )
        values = self.data.r_value[sel]
        return np.asarray(values[~np.isnan(values)], dtype=np.float64)

    def sus(self) -> FloatArray:
        q = _sus_questionnaire(self.data)
        if q is None:
            return np.empty(0)
        return _sus_scores(self.data, self.keep_r, q.id)[2]


def _sus_questionnaire(data: StudyData) -> Questionnaire | None:
    """The study's SUS questionnaire, if it has one."""
    return next((q for q in data.questionnaires if q.kind == "sus"), None)


def _group(data: StudyData, include_excluded: bool, variant: str | None) -> _Group:
    keep_p, keep_a, keep_r = _keep(data, include_excluded, variant)
    return _Group(data, keep_a, keep_r, int(keep_p.sum()))


def _compare(
    a: _Group,
    b: _Group,
    *,
    label_a: str,
    label_b: str,
    title_a: str,
    title_b: str,
    confidence_level: float,
) -> Comparison:
    keys_a = [t.key for t in a.data.tasks]
    keys_b = {t.key for t in b.data.tasks}
    common = [k for k in keys_a if k in keys_b]
    sus_a, sus_b = a.sus(), b.sus()
    if not common and (sus_a.size == 0 or sus_b.size == 0):
        if all(_sus_questionnaire(g.data) is not None for g in (a, b)):
            why = "no task ids in common, and the SUS has no answers in " + (
                " or ".join(
                    t for t, s in ((title_a, sus_a), (title_b, sus_b)) if s.size == 0
                )
            )
        else:
            why = "no task ids and no SUS in common"
        raise AnalysisOptionError(
            f"{title_a} and {title_b} have {why}, so there is nothing to compare yet"
        )
    cl = confidence_level
    rows = []
    for key in common:
        ja, jb = a.task(key), b.task(key)
        (xa, na), (xb, nb) = a.completion(ja), b.completion(jb)
        sentences = []
        completion = None
        if na and nb:
            completion = stats.compare_completion(xb, nb, xa, na, confidence_level=cl)
            sentences.append(completion_sentence(completion, label_a, label_b, cl))
        ta, tb = a.success_times(ja), b.success_times(jb)
        time = None
        if ta.size >= 2 and tb.size >= 2:
            time = stats.compare_times(tb, ta, confidence_level=cl)
            sentences.append(time_sentence(time, label_a, label_b, cl))
        sa, sb = a.seq(ja), b.seq(jb)
        seq = None
        if sa.size >= 2 and sb.size >= 2:
            seq = stats.compare_means(sb, sa, confidence_level=cl)
            sentences.append(mean_sentence(seq, "SEQ", label_a, label_b, cl, digits=1))
        rows.append(
            TaskComparison(
                key=key,
                title=a.data.tasks[ja].title,
                completion_a=stats.completion_rate(xa, na, confidence_level=cl)
                if na
                else None,
                completion_b=stats.completion_rate(xb, nb, confidence_level=cl)
                if nb
                else None,
                completion=completion,
                time=time,
                seq=seq,
                sentences=tuple(sentences),
            )
        )
    sus = None
    sus_sentence = ""
    if sus_a.size >= 2 and sus_b.size >= 2:
        sus = stats.compare_means(sus_b, sus_a, confidence_level=cl)
        sus_sentence = mean_sentence(sus, "SUS score", label_a, label_b, cl)
    return Comparison(
        label_a=label_a,
        label_b=label_b,
        title_a=title_a,
        title_b=title_b,
        n_a=a.n,
        n_b=b.n,
        confidence_level=cl,
        tasks=tuple(rows),
        only_a=tuple(k for k in keys_a if k not in keys_b),
        only_b=tuple(t.key for t in b.data.tasks if t.key not in set(keys_a)),
        sus=sus,
        sus_sentence=sus_sentence,
    )


def comparable_studies(
    session: Session, workspace_id: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str, list[str]]]]:
    """A workspace's studies (slug, title), and those with two or more variants."""
    studies = session.exec(
        select(Study).where(Study.workspace_id == workspace_id).order_by(col(Study.id))
    ).all()
    plain = [(s.slug, s.title) for s in studies]
    with_variants = [
        (s.slug, s.title, [str(v["key"]) for v in s.settings.get("variants", [])])
        for s in studies
        if len(s.settings.get("variants", [])) >= 2
    ]
    return plain, with_variants


def compare_studies(
    session: Session,
    study_a: Study,
    study_b: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> Comparison:
    """Compare two studies (two designs or two rounds) task by task, by task key."""
    cl = parse_confidence_level(confidence_level)
    a = _group(load_study_data(session, study_a), include_excluded, None)
    b = _group(load_study_data(session, study_b), include_excluded, None)
    return _compare(
        a,
        b,
        label_a=study_a.title,
        label_b=study_b.title,
        title_a=study_a.title,
        title_b=study_b.title,
        confidence_level=cl,
    )


def compare_variants(
    session: Session,
    study: Study,
    variant_a: str,
    variant_b: str,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> Comparison:
    """Compare two variants (designs) of one study, e.g. "A" and "B"."""
    cl = parse_confidence_level(confidence_level)
    data = load_study_data(session, study)
    names = dict(data.variants)
    for v in (variant_a, variant_b):
        if v not in names:
            raise AnalysisOptionError(
                f"variant ({v!r}) must be one of {sorted(names)} for study "
                f"{study.slug!r}"
            )
    if variant_a == variant_b:
        raise AnalysisOptionError("pick two different variants to compare")
    return _compare(
        _group(data, include_excluded, variant_a),
        _group(data, include_excluded, variant_b),
        label_a=f"Design {variant_a}",
        label_b=f"Design {variant_b}",
        title_a=f"Design {variant_a}: {names[variant_a]}",
        title_b=f"Design {variant_b}: {names[variant_b]}",
        confidence_level=cl,
    )


# ------------------------------------------------------------------ planner


@dataclass(frozen=True, slots=True)
class PlanResult:
    """Sample sizes for three goals, with the inputs that produced them."""

    confidence_level: float
    margin_points: float
    proportion: float
    n_proportion: int
    margin_mean: float
    sd: float
    n_mean: int
    problem_p: float
    goal: float
    n_discovery: int
    seen_with_n: tuple[tuple[int, float], ...]


PLAN_DEFAULTS: Final = {
    "margin": "10",
    "proportion": "50",
    "margin_mean": "5",
    "sd": "17.7",
    "problem": "10",
    "goal": "85",
}


def _number(args: Mapping[str, str], name: str, low: float, high: float) -> float:
    raw = args.get(name) or PLAN_DEFAULTS[name]
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (low < value < high):
        raise AnalysisOptionError(
            f"{name} ({raw!r}) must be a number between {low:g} and {high:g} "
            "(exclusive)"
        )
    return value


def plan_sample_size(args: Mapping[str, str]) -> PlanResult:
    """Participants needed for the planner's goals; percentages come as 0-100.

    ``margin`` (points) and ``proportion`` (%) for a completion rate;
    ``margin_mean`` and ``sd`` for a mean (e.g. SUS); ``problem`` (% of users a
    problem affects) and ``goal`` (% chance to see it at least once).
    """
    cl = parse_confidence_level(args.get("cl"))
    margin = _number(args, "margin", 0, 100)
    proportion = _number(args, "proportion", 0, 100)
    margin_mean = _number(args, "margin_mean", 0, math.inf)
    sd = _number(args, "sd", 0, math.inf)
    problem = _number(args, "problem", 0, 100)
    goal = _number(args, "goal", 0, 100)
    try:
        n_prop = stats.sample_size_for_proportion(
            margin / 100, proportion=proportion / 100, confidence_level=cl
        )
        n_mean = stats.sample_size_for_mean(margin_mean, sd=sd, confidence_level=cl)
        n_disc = stats.sample_size_for_discovery(problem / 100, goal / 100)
    except ValueError as exc:
        raise AnalysisOptionError(str(exc)) from exc
    return PlanResult(
        confidence_level=cl,
        margin_points=margin,
        proportion=proportion,
        n_proportion=n_prop,
        margin_mean=margin_mean,
        sd=sd,
        n_mean=n_mean,
        problem_p=problem / 100,
        goal=goal / 100,
        n_discovery=n_disc,
        seen_with_n=tuple(
            (n, stats.problem_discovery(problem / 100, n))
            for n in (3, 5, 8, 10, 15, 20)
        ),
    )
