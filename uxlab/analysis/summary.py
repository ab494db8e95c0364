"""A study's results: completion, times, ratings, questionnaires, overview."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlmodel import Session, select

from uxlab import stats
from uxlab.analysis.data import (
    _SUS_ITEMS,
    FloatArray,
    StudyData,
    _item_matrix,
    _keep,
    _sus_questionnaire,
    _sus_scores,
    load_study_data,
    partial_people,
    questionnaire_title,
    sus_missing_policy,
)
from uxlab.analysis.options import AnalysisOptionError, parse_confidence_level
from uxlab.analysis.quality import QUALITY_RULES, ParticipantQuality, _quality
from uxlab.errors import NotFoundError
from uxlab.models import Participant, Study
from uxlab.questionnaires import Questionnaire
from uxlab.stats import (
    NPSResult,
    ProportionResult,
    RatingResult,
    SUSResult,
    TaskTimes,
)
from uxlab.workspaces import record

#: Average completion rate of Sauro's (2011) 1,200 tasks.
COMPLETION_BENCHMARK: Final = 0.78
#: Average SEQ (Sauro 2012, "10 things to know about the SEQ").
SEQ_BENCHMARK: Final = 5.5


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
    #: Said "I'm done" on a task with a recorded criterion they never met.
    said_done_not_reached: int = 0
    #: Said "I'm done" with no recorder data to check the goal against.
    unverified: int = 0

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
    #: SUS: the study's blank-item policy, respondents dropped for blanks, and
    #: respondents scored despite a blank (imputed or prorated).
    sus_missing: str = "drop"
    sus_dropped: int = 0
    sus_imputed: int = 0
    #: Respondents who left it partial (moved on by a moderator before they
    #: submitted it): never scored (SUS, UMUX-Lite), their items counted.
    partial: int = 0


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
    said_done = data.a_said_done[mine]
    not_reached = (
        int((said_done & (outcome == "failure")).sum()) if task.auto_judged else 0
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
        said_done_not_reached=not_reached,
        unverified=int((outcome == "unverified").sum()),
    )


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
        "partial": partial_people(data, keep_r, q.id),
    }
    whole = keep_r & ~data.r_partial
    if q.open_text:
        sel = keep_r & (data.r_questionnaire == q.id) & (data.r_task == -1)
        texts = tuple(
            t for t, s in zip(data.r_text, sel, strict=True) if s and t and t.strip()
        )
        return QuestionnaireResult(n=len(texts), comments=texts, **base)
    if q.kind == "sus":
        policy = sus_missing_policy(data)
        _, answers, scores = _sus_scores(data, keep_r, q.id, policy)
        _, everything = _item_matrix(data, whole, q.id, _SUS_ITEMS)
        answered = (
            int((~np.isnan(everything).all(axis=1)).sum()) if everything.size else 0
        )
        summary = (
            stats.sus_summary(scores, confidence_level=confidence_level)
            if scores.size
            else None
        )
        return QuestionnaireResult(
            n=int(scores.size),
            sus=summary,
            sus_scores=tuple(float(s) for s in scores),
            sus_missing=policy,
            sus_dropped=answered - int(scores.size),
            sus_imputed=int(np.isnan(answers).any(axis=1).sum()) if answers.size else 0,
            **base,
        )
    if q.kind == "umux_lite":
        _, matrix = _item_matrix(data, whole, q.id, ("q1", "q2"))
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
        "unverified": any(t.auto_judged for t in data.tasks),
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
