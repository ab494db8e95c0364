"""A tree test's results page: success, directness and first clicks with
intervals per task, where people ended up, and the path view; for a study
with variants, all of that per variant's tree and each task's success
compared between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markupsafe import Markup
from matplotlib.figure import Figure

from uxlab import charts, numbers
from uxlab.report import Formats, svg_markup

from .analysis import TaskRating, TreeTaskSummary, TreeTestSummary, analyse_tree_test
from .compare import INTERVAL, SuccessComparison

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study
    from uxlab.stats.results import ProportionResult

__all__ = ["MEASURES", "TreeTestPage", "build_tree_results", "measure_chart"]

#: The charts of a tree test: each measure's name, title and axis label.
MEASURES: dict[str, tuple[str, str]] = {
    "success": ("Success", "Chose a correct node (% of participants)"),
    "directness": ("Directness", "Never went back up or across (% of participants)"),
    "first_click": ("First click", "First click on a path to a correct node (%)"),
}

METHOD = (
    "adjusted-Wald interval (Agresti & Coull 1998; Sauro & Lewis 2005), "
    "as for task success"
)


def _measure(task: TreeTaskSummary, name: str) -> ProportionResult | None:
    if task.result is None:
        return None
    result: ProportionResult = getattr(task.result, name)
    return result


def measure_chart(summary: TreeTestSummary, name: str) -> Figure | None:
    """One measure of every task as a bar with its interval; None before
    anyone answered."""
    if not summary.answered:
        return None
    title, axis = MEASURES[name]
    bars = []
    tasks = _chart_tasks(summary)
    for _, task in tasks:
        share = _measure(task, name)
        bars.append(
            None
            if share is None
            else charts.Share(
                share.observed,
                share.ci.low,
                share.ci.high,
                share.successes,
                share.trials,
            )
        )
    n = max((t.n for _, t in tasks), default=0)
    fig, _ = charts.share_bars(
        [label for label, _ in tasks],
        bars,
        chart=name,
        title=title,
        subtitle=f"up to n = {n} participants per task · "
        f"{charts._level(summary.confidence_level)} CIs (adjusted Wald)",
        xlabel=axis,
    )
    return fig


def _chart_tasks(summary: TreeTestSummary) -> list[tuple[str, TreeTaskSummary]]:
    """The bars of a chart, top to bottom: each task, or with variants each
    task in every variant's tree, one after the other."""
    if not summary.variants:
        return [(t.title, t) for t in summary.tasks]
    first = summary.variants[0]
    return [
        (f"{task.title} · {tree.variant_name}", tree.tasks[i])
        for i, task in enumerate(first.tasks)
        for tree in summary.variants
    ]


@dataclass(frozen=True, slots=True)
class MeasureRow:
    name: str
    count: int
    share: str
    interval: str


@dataclass(frozen=True, slots=True)
class DestinationRow:
    path: str
    count: int
    share: str
    correct: bool


@dataclass(frozen=True, slots=True)
class PathRow:
    """One node of the path view: how many passed through it, turned back
    there, and chose it."""

    node: str
    label: str
    depth: int
    visits: int
    turned_back: int
    chosen: int
    correct: bool


@dataclass(frozen=True, slots=True)
class TaskView:
    key: str
    title: str
    prompt: str
    n: int
    small_sample: bool
    correct_paths: list[str]
    measures: list[MeasureRow]
    destinations: list[DestinationRow]
    skips: int
    paths: list[PathRow]
    time: str
    #: The per-task questionnaires (SEQ) asked after this task.
    ratings: list[TaskRating] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TreeView:
    """One tree's tasks: the study's one tree, or a variant's."""

    #: The variant key and name (None and "" for a study with one tree).
    key: str | None
    name: str
    participants: int
    tasks: list[TaskView]
    mean_success: str
    mean_directness: str


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    key: str
    title: str
    success_a: str
    success_b: str
    #: The verdict in words ("" until both trees have answers).
    sentence: str


@dataclass(frozen=True, slots=True)
class ComparisonTable:
    """Every task's success in variant B against variant A."""

    name_a: str
    name_b: str
    variant_b: str
    rows: list[ComparisonRow]


@dataclass(frozen=True, slots=True)
class TreeTestReport:
    """What the results page of a tree test shows."""

    study_title: str
    study_slug: str
    confidence_level: float
    include_excluded: bool
    summary: TreeTestSummary
    tasks: list[TaskView]
    method: str
    mean_success: str
    mean_directness: str
    small_sample: bool
    questionnaires: list[str] = field(default_factory=list)
    #: Each tree's tasks (one tree, or one per variant).
    trees: list[TreeView] = field(default_factory=list)
    #: Success compared between the variants' trees (empty without).
    comparisons: list[ComparisonTable] = field(default_factory=list)
    interval: str = INTERVAL


@dataclass
class TreeTestPage:
    report: TreeTestReport
    formats: Formats
    svgs: dict[str, Markup] = field(default_factory=dict)


_ROWS = (
    ("success", "Success"),
    ("direct_success", "Direct success"),
    ("indirect_success", "Indirect success"),
    ("failure", "Failure"),
    ("skip", "Gave up"),
    ("directness", "Directness"),
    ("first_click", "First click correct"),
)


def _task_view(summary: TreeTestSummary, task: TreeTaskSummary, f: Formats) -> TaskView:
    result = task.result
    measures: list[MeasureRow] = []
    destinations: list[DestinationRow] = []
    paths: list[PathRow] = []
    skips = 0
    time = ""
    if result is not None:
        for name, label in _ROWS:
            share: ProportionResult = getattr(result, name)
            measures.append(
                MeasureRow(
                    label,
                    share.successes,
                    f.pct(share.observed),
                    numbers.pct_range(share.ci.low, share.ci.high),
                )
            )
        correct = set(task.correct)
        for node, count in result.destinations.items():
            destinations.append(
                DestinationRow(
                    summary.labels.get(str(node), str(node)),
                    count,
                    f.pct(count / result.n),
                    node in correct,
                )
            )
        skips = result.skip.successes
        if result.time is not None:
            time = f"{f.secs(result.time.center)} ({result.time.recommended})"
        for entry in summary.nodes:
            node_id = entry["id"]
            visits = task.visits.get(node_id, 0)
            if not visits and node_id not in correct:
                continue
            paths.append(
                PathRow(
                    node_id,
                    str(entry["label"]),
                    int(entry["depth"]),
                    visits,
                    task.turned_back.get(node_id, 0),
                    int(result.destinations.get(node_id, 0)),
                    node_id in correct,
                )
            )
    return TaskView(
        key=task.key,
        title=task.title,
        prompt=task.prompt,
        n=task.n,
        small_sample=task.small_sample,
        correct_paths=task.correct_paths,
        measures=measures,
        destinations=destinations,
        skips=skips,
        paths=paths,
        time=time,
        ratings=[r for r in task.ratings if r.result is not None],
    )


def _share(share: ProportionResult | None, f: Formats) -> str:
    if share is None:
        return "no answers yet"
    return f"{f.pct(share.observed)} ({numbers.pct_range(share.ci.low, share.ci.high)})"


def _comparison_tables(
    comparisons: list[SuccessComparison], f: Formats
) -> list[ComparisonTable]:
    tables: dict[str, ComparisonTable] = {}
    for c in comparisons:
        table = tables.setdefault(
            c.variant_b, ComparisonTable(c.name_a, c.name_b, c.variant_b, [])
        )
        table.rows.append(
            ComparisonRow(
                c.key,
                c.title,
                _share(c.success_a, f),
                _share(c.success_b, f),
                c.sentence,
            )
        )
    return list(tables.values())


def _tree_view(tree: TreeTestSummary, f: Formats) -> TreeView:
    return TreeView(
        key=tree.variant,
        name=tree.variant_name,
        participants=tree.participants,
        tasks=[_task_view(tree, t, f) for t in tree.tasks],
        mean_success=f.pct(tree.mean_success),
        mean_directness=f.pct(tree.mean_directness),
    )


def build_tree_results(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> TreeTestPage:
    """The tree-test results page of ``study``, its charts as inline SVG."""
    summary = analyse_tree_test(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    f = Formats(confidence_level)
    svgs: dict[str, Markup] = {}
    for name in MEASURES:
        fig = measure_chart(summary, name)
        if fig is not None:
            svgs[name] = svg_markup(
                charts.render(fig, "svg"), label=str(fig.get_suptitle())
            )
    from uxlab.questionnaires import build_questionnaire

    product = study.settings.get("product", "this product")
    titles = [
        build_questionnaire(q, product=product).title
        for q in study.settings.get("questionnaires", [])
    ]
    trees = [_tree_view(tree, f) for tree in summary.trees]
    views = [t for tree in trees for t in tree.tasks]
    report = TreeTestReport(
        study_title=study.title,
        study_slug=study.slug,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        summary=summary,
        tasks=views,
        method=METHOD,
        mean_success=f.pct(summary.mean_success),
        mean_directness=f.pct(summary.mean_directness),
        small_sample=any(t.small_sample for t in views if t.n),
        questionnaires=titles,
        trees=trees,
        comparisons=_comparison_tables(summary.comparisons, f),
    )
    return TreeTestPage(report=report, formats=f, svgs=svgs)
