"""Tree tests: outcomes, directness, first clicks and their intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uxlab import stats

#   Products ── Shoes ── Running, Hiking
#            └─ Bags
#   Support ─── Returns, Contact
#   About ───── Team
PARENTS: dict[str, str | None] = {
    "Products": None,
    "Shoes": "Products",
    "Running": "Shoes",
    "Hiking": "Shoes",
    "Bags": "Products",
    "Support": None,
    "Returns": "Support",
    "Contact": "Support",
    "About": None,
    "Team": "About",
}

# Ten attempts at "Where would you return a pair of shoes?" (correct: Returns).
PATHS: list[list[str | None]] = [
    ["Support", "Returns"],  # direct success
    ["Support", "Returns"],  # direct success
    ["Support", "Returns"],  # direct success
    ["Products", "Support", "Returns"],  # indirect: left for a sibling branch
    ["Support", "Contact", "Support", "Returns"],  # indirect: went up
    ["Products", "Shoes", "Running"],  # direct failure
    ["Support", "Contact"],  # direct failure
    ["About", "Team", "About", "Products", "Bags"],  # indirect failure
    [None],  # direct skip, nothing clicked
    ["Products", "Shoes", None],  # direct skip
]


@pytest.fixture(name="result")
def result_fixture() -> stats.TreeTaskResult:
    return stats.tree_test_task(PATHS, ["Returns"], parents=PARENTS)


def test_outcomes_are_counted_by_hand(result: stats.TreeTaskResult) -> None:
    # Counted by hand from PATHS (definitions: Optimal Workshop's support
    # documentation on directness; ia-methods.md, "Tree tests").
    counts = {
        "success": 5,
        "direct_success": 3,
        "indirect_success": 2,
        "failure": 3,
        "direct_failure": 2,
        "indirect_failure": 1,
        "skip": 2,
        "direct_skip": 2,
        "indirect_skip": 0,
        "directness": 7,
        "first_click": 5,
    }
    assert result.n == 10
    for name, x in counts.items():
        share = getattr(result, name)
        assert (share.successes, share.trials) == (x, 10), name
        assert share.method == "adjusted-wald"
    assert result.outcome.tolist() == ["success"] * 5 + ["failure"] * 3 + ["skip"] * 2
    assert result.direct.tolist() == [1, 1, 1, 0, 0, 1, 1, 0, 1, 1]
    assert result.first_click_correct.tolist() == [1, 1, 1, 0, 1, 0, 1, 0, 0, 0]


@pytest.mark.parametrize(
    ("field", "low", "high", "tol"),
    [
        # success 5/10: computed, statsmodels proportion_confint(5, 10,
        # method="agresti_coull") = 0.2366-0.7634.
        ("success", 0.2366, 0.7634, 1e-4),
        # direct success 3/10: Sauro & Lewis (2012), UX Magazine 850, "about
        # 10%-61%"; statsmodels agresti_coull 0.1033-0.6077.
        ("direct_success", 0.1033, 0.6077, 1e-4),
        # directness 7/10: Sauro & Lewis (2012) "about 39%-90%"; statsmodels
        # agresti_coull 0.3923-0.8967.
        ("directness", 0.3923, 0.8967, 1e-4),
        # success after a correct first click, 4/5: Sauro & Lewis (2005)
        # 0.3596-0.9796 (published truncated; exact upper 0.97968).
        ("success_after_correct_first_click", 0.3596, 0.9797, 1e-4),
        # success after a wrong first click, 1/5: statsmodels agresti_coull
        # 0.0203-0.6404.
        ("success_after_wrong_first_click", 0.0203, 0.6404, 1e-4),
    ],
)
def test_adjusted_wald_intervals(
    result: stats.TreeTaskResult, field: str, low: float, high: float, tol: float
) -> None:
    share = getattr(result, field)
    assert share.ci.low == pytest.approx(low, abs=tol)
    assert share.ci.high == pytest.approx(high, abs=tol)


def test_published_anchors_at_face_value(result: stats.TreeTaskResult) -> None:
    # Sauro & Lewis (2012): 3/10 "about 10%-61%", 7/10 "about 39%-90%".
    assert round(100 * result.direct_success.ci.low) == 10
    assert round(100 * result.direct_success.ci.high) == 61
    assert round(100 * result.directness.ci.low) == 39
    assert round(100 * result.directness.ci.high) == 90


def test_destinations_most_chosen_first(result: stats.TreeTaskResult) -> None:
    assert list(result.destinations.items()) == [
        ("Returns", 5),
        ("Running", 1),
        ("Contact", 1),
        ("Bags", 1),
    ]
    assert result.correct == frozenset({"Returns"})
    assert result.time is None


def test_times_skip_missing_values() -> None:
    seconds = [12.0, 20.0, 31.0, float("nan"), 45.0, 8.0, 16.0, 60.0, 5.0, 22.0]
    r = stats.tree_test_task(PATHS, ["Returns"], parents=PARENTS, seconds=seconds)
    expected = stats.time_on_task([s for s in seconds if s == s])
    assert r.time == expected
    assert r.time is not None and r.time.n == 9
    everyone_missing = [float("nan")] * 10
    assert (
        stats.tree_test_task(
            PATHS, ["Returns"], parents=PARENTS, seconds=everyone_missing
        ).time
        is None
    )


@pytest.mark.parametrize(
    ("path", "direct"),
    [
        (["Support", "Returns", "Returns"], True),  # the answer repeats its click
        (["Products", "Running"], True),  # an expanded tree: deeper, two levels
        (["Running"], True),  # a first click anywhere is not a step back
        (["Support", "Support", "Returns"], False),  # closed and reopened
        (["Products", "Shoes", "Products", "Bags"], False),  # went up
        (["Products", "Shoes", "Hiking", "Running"], False),  # to a sibling
        (["Shoes", "Support", None], False),  # another branch, then gave up
    ],
)
def test_backtracking(path: list[str | None], direct: bool) -> None:
    r = stats.tree_test_task([path], ["Returns"], parents=PARENTS)
    assert bool(r.direct[0]) is direct
    assert r.directness.successes == int(direct)


def test_several_correct_nodes_and_first_clicks() -> None:
    paths: list[list[str | None]] = [
        ["Products", "Shoes", "Hiking"],
        ["Support", "Contact"],
        ["About", "Team"],
    ]
    r = stats.tree_test_task(paths, ["Hiking", "Contact"], parents=PARENTS)
    assert r.success.successes == 2
    assert r.first_click.successes == 2
    assert r.success_after_wrong_first_click is not None
    assert r.success_after_wrong_first_click.successes == 0
    # Nobody clicked first on a wrong branch: no such group.
    everyone_right = stats.tree_test_task(
        paths[:2], ["Hiking", "Contact"], parents=PARENTS
    )
    assert everyone_right.success_after_wrong_first_click is None


def test_integer_node_ids_and_confidence_level() -> None:
    parents = {1: None, 2: 1, 3: 1, 4: None}
    r = stats.tree_test_task(
        [[1, 2], [1, 3], [4]], [2], parents=parents, confidence_level=0.9
    )
    assert r.success.successes == 1
    assert r.success.confidence_level == 0.9
    assert r.success.ci == stats.completion_rate(1, 3, confidence_level=0.9).ci


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paths": [["Nowhere"]]}, "'Nowhere', which is not a node of the tree"),
        ({"paths": [["Support", None, "Returns"]]}, "None before its end"),
        ({"paths": [[]]}, r"paths\[0\] is empty"),
        ({"paths": []}, "paths is empty"),
        ({"paths": "Returns"}, "paths"),
        ({"correct": []}, "correct is empty"),
        ({"correct": ["Refunds"]}, "'Refunds', which is not a node"),
        ({"correct": "Returns"}, "must be a list of node ids"),
        ({"parents": {"a": "b"}}, "'b', which is not a node"),
        ({"parents": {"a": "b", "b": "a", "c": None}}, "cycle"),
        ({"parents": {}}, "non-empty mapping"),
        ({"seconds": [1.0, 2.0]}, "one time per path"),
        ({"seconds": [-1.0] + [1.0] * 9}, "positive"),
        ({"confidence_level": 95}, "confidence_level"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "paths": PATHS,
        "correct": ["Returns"],
        "parents": PARENTS,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        stats.tree_test_task(**args)  # type: ignore[arg-type]


# A random tree: node i's parent is a node before it, or None.
@st.composite
def trees_and_paths(
    draw: st.DrawFn,
) -> tuple[dict[int, int | None], list[list[int | None]], list[int]]:
    size = draw(st.integers(1, 25))
    parents: dict[int, int | None] = {0: None}
    for node in range(1, size):
        parents[node] = draw(st.one_of(st.none(), st.integers(0, node - 1)))
    nodes = st.integers(0, size - 1)
    paths = draw(
        st.lists(
            st.tuples(st.lists(nodes, max_size=8), st.one_of(st.none(), nodes)),
            min_size=1,
            max_size=30,
        )
    )
    correct = draw(st.lists(nodes, min_size=1, max_size=3))
    return parents, [[*clicks, end] for clicks, end in paths], correct


@settings(max_examples=60, deadline=None)
@given(trees_and_paths())
def test_outcomes_partition_the_attempts(
    data: tuple[dict[int, int | None], list[list[int | None]], list[int]],
) -> None:
    parents, paths, correct = data
    r = stats.tree_test_task(paths, correct, parents=parents)
    assert r.success.successes + r.failure.successes + r.skip.successes == r.n
    for kind in ("success", "failure", "skip"):
        whole = getattr(r, kind).successes
        direct = getattr(r, f"direct_{kind}").successes
        indirect = getattr(r, f"indirect_{kind}").successes
        assert direct + indirect == whole
    assert r.directness.successes == int(r.direct.sum())
    assert sum(r.destinations.values()) == r.n - r.skip.successes
    assert r.first_click.successes <= r.n


def _descent(parents: dict[int, int | None], leaf: int) -> list[int]:
    chain = [leaf]
    while (up := parents[chain[-1]]) is not None:
        chain.append(up)
    return chain[::-1]


@settings(max_examples=60, deadline=None)
@given(trees_and_paths())
def test_a_path_that_only_goes_deeper_is_direct(
    data: tuple[dict[int, int | None], list[list[int | None]], list[int]],
) -> None:
    parents, _, correct = data
    paths: list[list[int | None]] = [_descent(parents, n) for n in parents]
    r = stats.tree_test_task(paths, correct, parents=parents)
    assert r.direct.all()
    # ... and climbing back up from anywhere below the top is not.
    climbs = [[*p, p[-2]] for p in paths if len(p) > 1]
    if climbs:
        back = stats.tree_test_task(climbs, correct, parents=parents)
        assert not np.any(back.direct)
