"""A tree test's analysis: per task, :func:`uxlab.stats.tree_test_task` on
every participant's path, the path counts behind the path view, and the
overall mean success and directness. A study with one tree per design variant
gets all of that per variant, and each task's success compared between them
(:mod:`.compare`)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
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

    from .compare import SuccessComparison

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
    #: The variant whose tree the participant saw ("" for a study with one).
    variant: str = ""
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
    """A tree test's result: every task, and the means over tasks.

    For a study with variants, the study's summary has no tasks of its own:
    ``variants`` holds one summary like this per variant (its tree, its
    participants), and ``comparisons`` each task's success compared between
    them.
    """

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
    #: The variant key and name of this tree (None for a study with one).
    variant: str | None = None
    variant_name: str = ""
    variants: list[TreeTestSummary] = field(default_factory=list)
    comparisons: list[SuccessComparison] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return any(t.result is not None for t in self.tasks) or any(
            v.answered for v in self.variants
        )

    @property
    def trees(self) -> list[TreeTestSummary]:
        """Each tree's summary: the variants', or this one alone."""
        return self.variants or [self]


def _load(session: Session, study: Study, *, include_excluded: bool) -> list[AnswerRow]:
    query = (
        select(  # type: ignore[call-overload]
            Participant.code,
            Participant.variant,
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
    from . import tree_variant

    for code, variant, key, position, chosen, path, seconds in session.exec(
        query
    ).all():
        ids = [str(click[0]) for click in path or []]
        rows.append(
            AnswerRow(
                code,
                key,
                position,
                chosen,
                len(ids),
                ids,
                seconds,
                variant=tree_variant(study, variant) or "",
            )
        )
    return rows


def _task_ratings(
    session: Session,
    study: Study,
    *,
    confidence_level: float,
    include_excluded: bool,
    variant: str | None = None,
) -> dict[str, list[TaskRating]]:
    """Each task's per-task questionnaires (the rating ones; open questions
    are in the export), summarised as a usability study's are: the mean with
    its t interval, SEQ tested against its average of 5.5 (Sauro 2012).
    With ``variant``, only that variant's participants' answers."""
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
    if variant is not None:
        query = query.where(Participant.variant == variant)
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
    variant: str | None,
    confidence_level: float,
    include_excluded: bool,
) -> TreeTestSummary:
    """The summary of one tree: ``variant``'s (None for a study with one
    tree), from the answers of its participants."""
    from uxlab import stats

    from . import correct_of, tree_of

    nodes = tree_of(study, variant)
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
        correct = correct_of(task, variant)
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
        variant=variant,
    )


def _variants(study: Study) -> list[tuple[str, str]]:
    """Each variant with a tree of its own: key and name (the key when the
    file gives no name), in the file's order; none for a study with one tree."""
    trees = study.settings.get("trees") or {}
    names = {
        str(v["key"]): str(v.get("name") or v["key"])
        for v in study.settings.get("variants") or []
    }
    return [(key, names.get(key, key)) for key in trees]


def _by_variant(
    study: Study, answers: Sequence[AnswerRow]
) -> list[tuple[str | None, str, list[AnswerRow]]]:
    """The answers grouped by the tree they were given in: every variant's,
    or all of them under None for a study with one tree."""
    variants = _variants(study)
    if not variants:
        return [(None, "", list(answers))]
    return [
        (key, name, [a for a in answers if a.variant == key]) for key, name in variants
    ]


def analyse_tree_test(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> TreeTestSummary:
    """Every task's success, directness and first clicks with adjusted-Wald
    intervals (:func:`uxlab.stats.tree_test_task`), its path counts and
    per-task questionnaires (SEQ), and the means over tasks; with variants,
    all of that per variant and each task's success compared between them.
    A researcher's preview never counts; excluded participants only when
    asked."""
    from .compare import compare_success

    answers = _load(session, study, include_excluded=include_excluded)
    parts = []
    for key, name, mine in _by_variant(study, answers):
        part = _analyse(
            study,
            mine,
            variant=key,
            confidence_level=confidence_level,
            include_excluded=include_excluded,
        )
        part.variant_name = name
        ratings = _task_ratings(
            session,
            study,
            confidence_level=confidence_level,
            include_excluded=include_excluded,
            variant=key,
        )
        for task in part.tasks:
            task.ratings = ratings.get(task.key, [])
        parts.append(part)
    if parts[0].variant is None:
        return parts[0]
    return TreeTestSummary(
        tasks=[],
        nodes=[],
        labels={},
        participants=len({a.participant_code for a in answers}),
        mean_success=None,
        mean_directness=None,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        variants=parts,
        comparisons=compare_success(parts, confidence_level=confidence_level),
    )


def answers_with_outcomes(session: Session, study: Study) -> list[AnswerRow]:
    """Every answer of every participant (excluded ones too, never a
    preview) with its outcome, directness and first click, for the export."""
    answers = _load(session, study, include_excluded=True)
    for key, _, mine in _by_variant(study, answers):
        _analyse(study, mine, variant=key, confidence_level=0.95, include_excluded=True)
    return answers
