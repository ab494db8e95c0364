"""The public surface of uxlab.stats: exported names, purity, result objects."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

from uxlab import stats

STATS_DIR = Path(stats.__file__).parent

# The names the issue (#3) promises, plus the documented vectorised helpers.
PUBLIC_FUNCTIONS = {
    "completion_rate",
    "completion_rates",
    "time_on_task",
    "task_times",
    "times_summary",
    "median_ci",
    "sus_score",
    "sus_subscales",
    "sus_summary",
    "sus_scores_with_missing",
    "sus_grade",
    "sus_percentile",
    "sus_adjective",
    "sus_acceptability",
    "rating_summary",
    "top_box",
    "csat",
    "umux_lite",
    "nps",
    "nps_from_counts",
    "compare_completion",
    "compare_times",
    "compare_means",
    "compare_nps",
    "sample_size_for_proportion",
    "sample_size_for_mean",
    "problem_discovery",
    "sample_size_for_discovery",
    "lostness",
    "lostness_category",
    "tree_test_task",
    "similarity_matrix",
    "card_clusters",
    "sort_distance",
    "placement_matrix",
    "preference",
}
PUBLIC_TYPES = {
    "ConfidenceInterval",
    "ProportionResult",
    "CompletionRates",
    "TimeResult",
    "TimesSummary",
    "TaskTimes",
    "SUSSubscales",
    "SUSResult",
    "RatingResult",
    "UMUXLiteResult",
    "NPSResult",
    "ComparisonResult",
    "TreeTaskResult",
    "PlacementResult",
    "PreferenceResult",
}


def test_all_lists_exactly_the_public_api() -> None:
    assert set(stats.__all__) == PUBLIC_FUNCTIONS | PUBLIC_TYPES
    assert len(stats.__all__) == len(set(stats.__all__))
    assert stats.__all__ == sorted(stats.__all__)


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in stats.__all__:
        obj = getattr(stats, name)
        assert obj.__doc__, name
        if name in PUBLIC_FUNCTIONS:
            doc = inspect.getdoc(obj) or ""
            for section in ("Parameters", "Returns", "Notes", "Examples"):
                assert section in doc, (name, section)


def test_no_stray_public_names() -> None:
    public = {
        n
        for n, v in vars(stats).items()
        if not n.startswith("_") and not inspect.ismodule(v)
    }
    assert public <= set(stats.__all__) | {"annotations"}


def test_options_after_star_are_keyword_only() -> None:
    for name in PUBLIC_FUNCTIONS:
        params = inspect.signature(getattr(stats, name)).parameters.values()
        for p in params:
            if p.default is not inspect.Parameter.empty:
                assert p.kind is inspect.Parameter.KEYWORD_ONLY, (name, p.name)
    with pytest.raises(TypeError):
        stats.completion_rate(4, 5, 0.95)  # type: ignore[call-arg]


def test_confidence_level_defaults_to_95_percent() -> None:
    for name in PUBLIC_FUNCTIONS:
        params = inspect.signature(getattr(stats, name)).parameters
        if "confidence_level" in params:
            assert params["confidence_level"].default == 0.95, name


ALLOWED_IMPORTS = {
    "__future__",
    "collections",
    "dataclasses",
    "math",
    "numbers",
    "numpy",
    "scipy",
    "typing",
}


@pytest.mark.parametrize("path", sorted(STATS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_stats_is_pure_numpy_and_scipy(path: Path) -> None:
    # uxlab.stats must not import flask, sqlmodel or other uxlab modules.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside uxlab.stats
                continue
            roots = {(node.module or "").split(".")[0]}
        else:
            continue
        assert roots <= ALLOWED_IMPORTS, (path.name, roots)


def test_results_are_frozen_slotted_dataclasses() -> None:
    for name in PUBLIC_TYPES - {"ConfidenceInterval"}:
        cls = getattr(stats, name)
        assert dataclasses.is_dataclass(cls), name
        assert vars(cls)["__dataclass_params__"].frozen, name
        assert "__slots__" in vars(cls), name
    r = stats.completion_rate(4, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 1.0  # type: ignore[misc]


def test_confidence_interval_is_a_named_tuple() -> None:
    ci = stats.ConfidenceInterval(0.1, 0.9)
    low, high = ci
    assert (low, high) == (ci.low, ci.high) == (0.1, 0.9)
    assert stats.ConfidenceInterval._fields == ("low", "high")


def test_results_echo_their_inputs() -> None:
    r = stats.completion_rate(7, 10, confidence_level=0.9, method="wilson")
    assert (r.successes, r.trials, r.confidence_level, r.method) == (
        7,
        10,
        0.9,
        "wilson",
    )
    assert stats.nps_from_counts(5, 3, 2, method="wald").method == "wald"
