"""Tree tests (``kind: tree_test``): can people find things in a menu's text?

A participant gives consent, then for each task (in an order of their own
when the study randomises) navigates a text-only tree and chooses the node
where they would expect to find the answer, or gives up; then answers the
study's closing questionnaires. A study with design variants has one tree per
variant, and each participant sees their variant's (:func:`tree_of`). Every
click on a node is kept, with its time,
in the browser until the answer is posted with it through the generic step
route (:func:`uxlab.participation.submit_step`, which calls
:meth:`TreeTestKind.submit`); the answer is one
:class:`~uxlab.models.TreeAnswer` row per participant and task.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from uxlab.errors import InvalidAnswerError
from uxlab.kinds import CONSENT, DONE, CodebookEntry, Step, register, table_codebook
from uxlab.models import TreeAnswer

from .analysis import TreeTaskSummary, TreeTestSummary, analyse_tree_test
from .spec import NodeSpec, TreeTaskSpec, TreeTestSpec

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Participant, Study
    from uxlab.participation.base import StepPage

__all__ = [
    "CODEBOOK",
    "MAX_CLICKS",
    "TREE_STEP",
    "TREE_TEST",
    "NodeSpec",
    "TreeTaskSpec",
    "TreeTaskSummary",
    "TreeTestKind",
    "TreeTestSpec",
    "TreeTestSummary",
    "analyse_tree_test",
    "correct_of",
    "export_rows",
    "record_answer",
    "task_order",
    "tree_of",
    "tree_variant",
]

#: The name of the step on which one task's tree is shown (``tree:<position>``).
TREE_STEP = "tree"
#: Most clicks one answer may carry.
MAX_CLICKS = 2_000
#: Longest time one task may take, in ms (a day).
MAX_MS = 24 * 3600 * 1000


def tree_tasks(study: Study) -> list[dict[str, Any]]:
    """The study's tasks as stored: key, title, prompt and correct node ids."""
    return list(study.settings.get("tree_tasks", []))


def tree_variant(study: Study, variant: str | None) -> str | None:
    """The variant whose tree a participant of ``variant`` sees: their own,
    the first when theirs has none, None for a study with one tree."""
    trees = study.settings.get("trees") or {}
    if not trees:
        return None
    return variant if variant in trees else next(iter(trees))


def tree_of(study: Study, variant: str | None) -> list[dict[str, Any]]:
    """The tree (flat, in preorder) that a participant of ``variant`` sees."""
    key = tree_variant(study, variant)
    if key is None:
        return list(study.settings.get("tree", []))
    return list(study.settings["trees"][key])


def correct_of(task: Mapping[str, Any], variant: str | None) -> list[str]:
    """The ids of ``task``'s correct nodes in the tree of ``variant`` (a key
    from :func:`tree_variant`)."""
    by_variant = task.get("correct_by_variant")
    if by_variant and variant is not None:
        return [str(c) for c in by_variant.get(variant, [])]
    return [str(c) for c in task["correct"]]


def _file_order(study: Study, participant: Participant) -> list[int]:
    """The positions (0-based, in the study file) of the tasks in the order
    this participant sees them.

    With ``task_order: counterbalanced``, the row of the balanced Latin square
    the participant was given on entry (:attr:`Participant.task_order`, task
    row ids, which follow the file's order); else drawn from the participant's
    stored code when the study randomises, so the same participant always
    gets the same order (a reload shows the same task); else the file's order.
    """
    count = len(tree_tasks(study))
    ids = list(participant.task_order or [])
    if study.settings.get("task_order") == "counterbalanced" and len(ids) == count:
        ranks = {task_id: rank for rank, task_id in enumerate(sorted(ids))}
        return [ranks[task_id] for task_id in ids]
    order = list(range(count))
    if study.settings.get("randomise", True):
        seed = hashlib.sha256(
            f"{study.slug}:{participant.code}:tasks".encode()
        ).digest()
        random.Random(int.from_bytes(seed[:8], "big")).shuffle(order)
    return order


def task_order(study: Study, participant: Participant) -> list[dict[str, Any]]:
    """The tasks in the order this participant sees them (see
    :func:`_file_order`)."""
    tasks = tree_tasks(study)
    return [tasks[i] for i in _file_order(study, participant)]


def _seq_steps(study: Study, participant: Participant) -> list[Step]:
    """The per-task questionnaire step after each tree step, in the
    participant's order: ``seq:<i>`` where ``i`` is the task's place in
    :attr:`Participant.task_order`, as usability studies store it, so the
    answers are kept and analysed per task as theirs are."""
    ids = list(participant.task_order or [])
    by_file = sorted(ids)
    if len(ids) != len(tree_tasks(study)):
        return []
    return [Step.seq(ids.index(by_file[i])) for i in _file_order(study, participant)]


def _task_at(
    study: Study, participant: Participant, step: Step
) -> tuple[int, dict[str, Any]]:
    order = task_order(study, participant)
    if (
        step.arg is None
        or not step.arg.isdigit()
        or not 1 <= int(step.arg) <= len(order)
    ):
        raise InvalidAnswerError(f"{step} is not a task of this study")
    position = int(step.arg)
    return position, order[position - 1]


def _int(value: Any, what: str, *, low: int = 0, high: int = MAX_MS) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidAnswerError(f"{what} must be a whole number of milliseconds")
    try:
        number = int(value)
    except ValueError:
        raise InvalidAnswerError(
            f"{what} ({value!r}) must be a whole number of milliseconds"
        ) from None
    if not low <= number <= high:
        raise InvalidAnswerError(f"{what} ({number}) must be between {low} and {high}")
    return number


def parse_path(
    text: Any, node_ids: set[str], *, tree: str = "this study's tree"
) -> list[list[Any]]:
    """The posted click path, checked: a JSON list of ``[node id, ms]`` pairs,
    every node in the tree, the times whole, not negative and in order.

    Raises InvalidAnswerError (422) saying what is wrong.
    """
    if text is None or text == "":
        return []
    if not isinstance(text, str):
        raise InvalidAnswerError("the path must be JSON text")
    try:
        raw = json.loads(text)
    except ValueError:
        raise InvalidAnswerError("the path is not valid JSON") from None
    if not isinstance(raw, list):
        raise InvalidAnswerError("the path must be a list of [node, ms] pairs")
    if len(raw) > MAX_CLICKS:
        raise InvalidAnswerError(
            f"the path has {len(raw)} clicks; at most {MAX_CLICKS} are kept"
        )
    path: list[list[Any]] = []
    last = 0
    for i, click in enumerate(raw):
        if not (isinstance(click, list) and len(click) == 2):
            raise InvalidAnswerError(
                f"click {i + 1} of the path is not a [node, ms] pair"
            )
        node, ms = click
        if not isinstance(node, str) or node not in node_ids:
            raise InvalidAnswerError(
                f"click {i + 1} of the path names node {node!r}, which is not in {tree}"
            )
        if isinstance(ms, bool) or not isinstance(ms, int):
            raise InvalidAnswerError(f"click {i + 1}'s time must be whole milliseconds")
        if not last <= ms <= MAX_MS:
            raise InvalidAnswerError(
                f"click {i + 1}'s time ({ms} ms) is before the click before it or "
                "out of range"
            )
        last = ms
        path.append([node, ms])
    return path


def record_answer(
    session: Session,
    study: Study,
    participant: Participant,
    step: Step,
    *,
    node: Any,
    path: Any,
    elapsed_ms: Any,
) -> TreeAnswer:
    """Store the participant's answer to the task of ``step``: the chosen
    ``node`` id (None for "I'd give up"), the click ``path`` (JSON text) and
    the time from the task being shown to the answer.

    Raises InvalidAnswerError (422) for a node or click that is not in the
    tree, a malformed path or time; nothing is stored then. Sent again, the
    answer replaces the first rather than adding a second. The caller commits.
    """
    position, task = _task_at(study, participant, step)
    node_ids = {str(n["id"]) for n in tree_of(study, participant.variant)}
    # With variants, a node of another variant's tree is not the participant's.
    tree = (
        "this study's tree"
        if tree_variant(study, participant.variant) is None
        else "the tree you were shown"
    )
    if node is not None and (not isinstance(node, str) or node not in node_ids):
        raise InvalidAnswerError(
            f"node {node!r} is not in {tree}; choose a node or give up"
        )
    clicks = parse_path(path, node_ids, tree=tree)
    ms = _int(elapsed_ms, "the time taken") if elapsed_ms not in (None, "") else 0
    if clicks and ms < clicks[-1][1]:
        ms = clicks[-1][1]
    assert participant.id is not None
    row = session.exec(
        select(TreeAnswer).where(
            TreeAnswer.participant_id == participant.id,
            TreeAnswer.task_key == task["key"],
        )
    ).first() or TreeAnswer(
        participant_id=participant.id, task_key=str(task["key"]), position=position
    )
    row.position = position
    row.chosen = node
    row.path = clicks
    row.seconds = ms / 1000 if ms > 0 else None
    session.add(row)
    return row


#: The columns of ``tree_test.csv``.
EXPORT_COLUMNS = (
    "participant",
    "variant",
    "task",
    "position",
    "outcome",
    "direct",
    "first_click",
    "first_click_correct",
    "chosen",
    "chosen_path",
    "clicks",
    "path",
    "seconds",
)

#: What each column of ``tree_test.csv`` means, for the codebook.
CODEBOOK: dict[str, dict[str, tuple[str, str]]] = {
    "tree_test.csv": {
        "participant": ("Random participant code (no personal data)", "text"),
        "variant": (
            "Design variant: whose tree the participant was shown",
            "variant key, or blank for a study with one tree",
        ),
        "task": ("The task's id in the study file", "text"),
        "position": ("Where the task stood in the participant's order", "1, 2, …"),
        "outcome": (
            "success: chose a correct node; failure: chose another; skip: gave up",
            "success, failure, skip",
        ),
        "direct": (
            "Never went back up the tree or across to another branch "
            "(Optimal Workshop's directness), whatever the outcome",
            "True, False",
        ),
        "first_click": ("The first node clicked, as its label path", "text or blank"),
        "first_click_correct": (
            "The first click was on the way to a correct node",
            "True, False",
        ),
        "chosen": (
            "The chosen node's id (with variants, it starts with the variant key)",
            "n1, n2, … (a-n1, …) or blank for a skip",
        ),
        "chosen_path": ("The chosen node's label path (A > B > C)", "text or blank"),
        "clicks": ("Number of node clicks (opening, closing, choosing)", "0, 1, …"),
        "path": ("Every node clicked, in order, as label paths joined by |", "text"),
        "seconds": (
            "From the task being shown to the answer, as the browser measured it",
            "seconds or blank",
        ),
    }
}


def export_rows(
    session: Session, study: Study
) -> dict[str, tuple[tuple[str, ...], list[dict[str, Any]]]]:
    """The tidy tables: ``tree_test.csv``, one row per participant and task
    answered (the variant, outcome, directness, first click, the chosen node
    and the whole path as labels in the participant's tree), and the
    participants and responses every study exports."""
    from uxlab.export import usability_tables

    from .analysis import answers_with_outcomes

    tables = dict(usability_tables(session, study))
    tables.pop("attempts.csv", None)  # a tree test's answers are in tree_test.csv
    rows = [
        {
            "participant": a.participant_code,
            "variant": a.variant,
            "task": a.task_key,
            "position": a.position,
            "outcome": a.outcome,
            "direct": a.direct,
            "first_click": a.first_click_label,
            "first_click_correct": a.first_click_correct,
            "chosen": a.chosen_id or "",
            "chosen_path": a.chosen_label,
            "clicks": a.clicks,
            "path": a.path_labels,
            "seconds": "" if a.seconds is None else round(a.seconds, 3),
        }
        for a in answers_with_outcomes(session, study)
    ]
    return {"tree_test.csv": (EXPORT_COLUMNS, rows), **tables}  # type: ignore[dict-item]


class TreeTestKind:
    """Consent, one tree per task (each followed by the per-task
    questionnaires, when the study has them), closing questionnaires."""

    name = "tree_test"
    label = "Tree test"
    results_template = "results/tree_test.html"
    #: Its section of the study report (HTML and PDF).
    report_template = "results/_tree_test_body.html"
    spec: type[TreeTestSpec] = TreeTestSpec

    def steps(self, study: Study, participant: Participant) -> list[Step]:
        from uxlab.participation.base import _closing

        steps = [CONSENT]
        seq = (
            _seq_steps(study, participant)
            if study.settings.get("after_each_task")
            else []
        )
        for i in range(1, len(tree_tasks(study)) + 1):
            steps.append(Step(TREE_STEP, str(i)))
            if seq:
                steps.append(seq[i - 1])
        steps += [Step.questionnaire(q.id) for q in _closing(study)]
        steps.append(DONE)
        return steps

    def fill_page(self, session: Session, page: StepPage, step: Step) -> None:
        """A tree step's task, the tree and whether it starts collapsed; the
        questionnaire steps as in every study."""
        from uxlab.participation.pages import fill_task_page

        if step.name != TREE_STEP:
            fill_task_page(session, page, step)
            return
        study = page.study
        position, task = _task_at(study, page.participant, step)
        nodes = tree_of(study, page.participant.variant)
        parents = {n["parent"] for n in nodes}
        page.extra = {
            "task": task,
            "position": position,
            "count": len(tree_tasks(study)),
            "nodes": nodes,
            "has_children": parents,
            "collapsed": bool(study.settings.get("collapsed", True)),
        }

    def submit(
        self,
        session: Session,
        study: Study,
        participant: Participant,
        step: Step,
        form: Mapping[str, str],
    ) -> bool:
        """Store the answer posted on a tree step."""
        if step.name != TREE_STEP:
            return False
        action = form.get("action") or ("choose" if form.get("node") else None)
        if action == "skip":
            node = None
        elif action == "choose":
            node = form.get("node")
            if not node:
                raise InvalidAnswerError("choose a node, or give up")
        else:
            raise InvalidAnswerError(
                "choose a node (\"I'd find it here\") or give up (action 'skip')"
            )
        record_answer(
            session,
            study,
            participant,
            step,
            node=node,
            path=form.get("path"),
            elapsed_ms=form.get("elapsed_ms"),
        )
        return True

    def step_label(self, study: Study, step: Step) -> str | None:
        """ "Tree task 2 of 5" for a tree step (its task depends on the
        participant's order, which the console shows beside it)."""
        if step.name != TREE_STEP:
            return None
        return f"Tree task {step.arg} of {len(tree_tasks(study))}"

    page_templates: Mapping[str, str] = {
        TREE_STEP: "participant/tree_test.html",
        "consent": "participant/consent.html",
        "questionnaire": "participant/questionnaire.html",
        "done": "participant/done.html",
    }
    analysis: Callable[..., Any] = staticmethod(analyse_tree_test)

    def chart_bytes(self, summary: TreeTestSummary, name: str, fmt: str) -> bytes:
        """The ``success``, ``directness`` or ``first_click`` chart as SVG or PNG."""
        from uxlab import charts
        from uxlab.errors import NotFoundError

        from .results import MEASURES, measure_chart

        if fmt not in charts.CHART_FORMATS:
            raise NotFoundError(f"no chart format {fmt!r}; use svg or png")
        if name not in MEASURES:
            raise NotFoundError(
                f"no chart {name!r}; a tree test has {', '.join(MEASURES)}"
            )
        fig = measure_chart(summary, name)
        if fig is None:
            raise NotFoundError("no participant has answered yet")
        return charts.render(fig, fmt)

    @property
    def results(self) -> Callable[..., Any]:
        from .results import build_tree_results

        return build_tree_results

    export_rows: Callable[..., Any] = staticmethod(export_rows)

    def codebook_entries(self, study: Study) -> list[CodebookEntry]:
        """What each column of ``tree_test.csv`` means."""
        return table_codebook(CODEBOOK)

    @property
    def demo(self) -> Callable[..., Any]:
        from .demo import simulate_tree_test

        return simulate_tree_test


TREE_TEST = register(TreeTestKind())
