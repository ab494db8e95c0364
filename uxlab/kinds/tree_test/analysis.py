"""A tree test's analysis: per task, :func:`uxlab.stats.tree_test_task` on
every participant's path, the path counts behind the path view, and the
overall mean success and directness."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlmodel import col, select

from uxlab.models import Participant, Response, Task, TreeAnswer

from .spec import SEPARATOR

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study
    from uxlab.stats.results import RatingResult, TreeTaskResult

__all__ = [
    "SMALL_SAMPLE",
    "AnswerRow",
    "TaskRating",
    "TreeTaskSummary",
    "TreeTestSummary",
    "analyse_tree_test",
    "answers_with_outcomes",
    "node_paths",
]

#: Below this many answers to a task the results say the sample is small.
SMALL_SAMPLE = 20


def node_paths(nodes: list[dict[str, Any]]) -> dict[str, str]:
    """Each node id to its label path from the top (``A > B > C``)."""
    out: dict[str, str] = {}
    for node in nodes:  # preorder: a parent comes before its children
        parent = node["parent"]
        label = str(node["label"])
        out[node["id"]] = label if parent is None else out[parent] + SEPARATOR + label
    return out


@dataclass(slots=True)
class AnswerRow:
    """One participant's answer to one task, with what the analysis made of it."""

    participant_code: str
    task_key: str
    position: int
    chosen_id: str | None
    clicks: int
    path_ids: list[str]
    seconds: float | None
    outcome: str = ""
    direct: bool = True
    first_click_correct: bool = False
    chosen_label: str = ""
    first_click_label: str = ""
    path_labels: str = ""


@dataclass(frozen=True, slots=True)
class TaskRating:
    """One per-task questionnaire (``after_each_task``, e.g. SEQ) of one
    task: its mean with the t interval of :func:`uxlab.stats.rating_summary`,
    None before anyone answered it."""

    questionnaire: str
    title: str
    kind: str
    result: RatingResult | None


@dataclass(slots=True)
class TreeTaskSummary:
    """One task's result: the statistics and the path counts."""

    key: str
    title: str
    prompt: str
    correct: list[str]
    correct_paths: list[str]
    n: int
    result: TreeTaskResult | None
    #: Participants whose path passed through each node.
    visits: dict[str, int] = field(default_factory=dict)
    #: Participants who turned back at each node (their next click went up or
    #: to another branch).
    turned_back: dict[str, int] = field(default_factory=dict)
    #: The per-task questionnaires' answers to this task.
    ratings: list[TaskRating] = field(default_factory=list)

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE


@dataclass(slots=True)
class TreeTestSummary:
    """A tree test's result: every task, and the means over tasks."""

    tasks: list[TreeTaskSummary]
    nodes: list[dict[str, Any]]
    labels: dict[str, str]
    #: Participants with at least one answer.
    participants: int
    #: The mean over tasks (with answers) of each task's success rate.
    mean_success: float | None
    #: The mean over tasks of each task's directness.
    mean_directness: float | None
    confidence_level: float = 0.95
    include_excluded: bool = False

    @property
    def answered(self) -> bool:
        return any(t.result is not None for t in self.tasks)


def _load(session: Session, study: Study, *, include_excluded: bool) -> list[AnswerRow]:
    query = (
        select(  # type: ignore[call-overload]
            Participant.code,
            TreeAnswer.task_key,
            TreeAnswer.position,
            TreeAnswer.chosen,
            TreeAnswer.path,
            TreeAnswer.seconds,
        )
        .join(Participant, col(Participant.id) == col(TreeAnswer.participant_id))
        .where(Participant.study_id == study.id, col(Participant.preview).is_(False))
        .order_by(col(Participant.id), col(TreeAnswer.position))
    )
    if not include_excluded:
        query = query.where(col(Participant.excluded).is_(False))
    rows = []
    for code, key, position, chosen, path, seconds in session.exec(query).all():
        ids = [str(click[0]) for click in path or []]
        rows.append(AnswerRow(code, key, position, chosen, len(ids), ids, seconds))
    return rows


def _task_ratings(
    session: Session,
    study: Study,
    *,
    confidence_level: float,
    include_excluded: bool,
) -> dict[str, list[TaskRating]]:
    """Each task's per-task questionnaires (the rating ones; open questions
    are in the export), summarised as a usability study's are: the mean with
    its t interval, SEQ tested against its average of 5.5 (Sauro 2012)."""
    from uxlab import stats
    from uxlab.analysis import SEQ_BENCHMARK
    from uxlab.participation.base import _after_task

    rated = [q for q in _after_task(study) if not q.open_text]
    if not rated:
        return {}
    keys = {
        f"task:{task_id}": key
        for task_id, key in session.exec(
            select(Task.id, Task.key).where(Task.study_id == study.id)
        ).all()
    }
    query = (
        select(Response.questionnaire, Response.scope, Response.value_num)
        .join(Participant, col(Participant.id) == col(Response.participant_id))
        .where(
            Participant.study_id == study.id,
            col(Participant.preview).is_(False),
            col(Response.scope).in_(list(keys)),
            col(Response.value_num).is_not(None),
            col(Response.partial).is_(False),
        )
    )
    if not include_excluded:
        query = query.where(col(Participant.excluded).is_(False))
    values: dict[tuple[str, str], list[float]] = {}
    for questionnaire, scope, value in session.exec(query).all():
        if value is not None:  # filtered above; says so to the type checker
            values.setdefault((keys[scope], questionnaire), []).append(value)
    out: dict[str, list[TaskRating]] = {}
    for key in keys.values():
        for q in rated:
            mine = values.get((key, q.id), [])
            result = (
                stats.rating_summary(
                    mine,
                    scale=(q.scale_min, q.scale_max),
                    confidence_level=confidence_level,
                    benchmark=SEQ_BENCHMARK if q.kind == "seq" else None,
                )
                if mine
                else None
            )
            out.setdefault(key, []).append(TaskRating(q.id, q.title, q.kind, result))
    return out


def _parents(nodes: list[dict[str, Any]]) -> dict[Hashable, Hashable | None]:
    return {n["id"]: n["parent"] for n in nodes}


def _below(parents: dict[Hashable, Hashable | None], a: str, b: str) -> bool:
    """Whether node ``b`` lies strictly below node ``a``."""
    up = parents.get(b)
    while up is not None:
        if up == a:
            return True
        up = parents.get(up)
    return False


def _analyse(
    study: Study,
    answers: list[AnswerRow],
    *,
    confidence_level: float,
    include_excluded: bool,
) -> TreeTestSummary:
    from uxlab import stats

    nodes = list(study.settings.get("tree", []))
    labels = node_paths(nodes)
    parents = _parents(nodes)
    by_task: dict[str, list[AnswerRow]] = {}
    for answer in answers:
        by_task.setdefault(answer.task_key, []).append(answer)
        answer.chosen_label = labels.get(answer.chosen_id or "", "")
        answer.path_labels = " | ".join(labels.get(i, i) for i in answer.path_ids)
        answer.first_click_label = (
            labels.get(answer.path_ids[0], "") if answer.path_ids else ""
        )
    tasks: list[TreeTaskSummary] = []
    for task in study.settings.get("tree_tasks", []):
        mine = by_task.get(task["key"], [])
        correct = [str(c) for c in task["correct"]]
        summary = TreeTaskSummary(
            key=task["key"],
            title=task["title"],
            prompt=task["prompt"],
            correct=correct,
            correct_paths=[labels.get(c, c) for c in correct],
            n=len(mine),
            result=None,
        )
        if mine:
            paths: list[list[Hashable | None]] = [
                [*a.path_ids, a.chosen_id] for a in mine
            ]
            seconds = [np.nan if a.seconds is None else a.seconds for a in mine]
            result = stats.tree_test_task(
                paths,
                correct,
                parents=parents,
                seconds=seconds,
                confidence_level=confidence_level,
            )
            summary.result = result
            for i, a in enumerate(mine):
                a.outcome = str(result.outcome[i])
                a.direct = bool(result.direct[i])
                a.first_click_correct = bool(result.first_click_correct[i])
                seen = set(a.path_ids)
                if a.chosen_id:
                    seen.add(a.chosen_id)
                for node in seen:
                    summary.visits[node] = summary.visits.get(node, 0) + 1
                turned: set[str] = set()
                for here, there in zip(a.path_ids, a.path_ids[1:], strict=False):
                    if not _below(parents, here, there):
                        turned.add(here)
                for node in turned:
                    summary.turned_back[node] = summary.turned_back.get(node, 0) + 1
        tasks.append(summary)
    done = [t.result for t in tasks if t.result is not None]
    return TreeTestSummary(
        tasks=tasks,
        nodes=nodes,
        labels=labels,
        participants=len({a.participant_code for a in answers}),
        mean_success=float(np.mean([r.success.observed for r in done]))
        if done
        else None,
        mean_directness=float(np.mean([r.directness.observed for r in done]))
        if done
        else None,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )


def analyse_tree_test(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> TreeTestSummary:
    """Every task's success, directness and first clicks with adjusted-Wald
    intervals (:func:`uxlab.stats.tree_test_task`), its path counts and
    per-task questionnaires (SEQ), and the means over tasks. A researcher's
    preview never counts; excluded participants only when asked."""
    answers = _load(session, study, include_excluded=include_excluded)
    summary = _analyse(
        study,
        answers,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    ratings = _task_ratings(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    for task in summary.tasks:
        task.ratings = ratings.get(task.key, [])
    return summary


def answers_with_outcomes(session: Session, study: Study) -> list[AnswerRow]:
    """Every answer of every participant (excluded ones too, never a
    preview) with its outcome, directness and first click, for the export."""
    answers = _load(session, study, include_excluded=True)
    _analyse(study, answers, confidence_level=0.95, include_excluded=True)
    return answers
