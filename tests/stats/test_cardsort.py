"""Card sorts: similarity, clustering, edit distance and placements."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from uxlab import stats

CARDS = ["A", "B", "C", "D"]
# Three participants; the third left D unsorted.
SORTS = [
    [["A", "B"], ["C", "D"]],
    [["A", "B", "C"], ["D"]],
    [["A"], ["B", "C"]],
]
# Worked by hand: pairs together / participants who sorted both.
#   AB 2/3, AC 1/3, AD 0/2, BC 2/3, BD 0/2, CD 1/2.
HAND_SIMILARITY = np.array(
    [
        [1, 2 / 3, 1 / 3, 0],
        [2 / 3, 1, 2 / 3, 0],
        [1 / 3, 2 / 3, 1, 1 / 2],
        [0, 0, 1 / 2, 1],
    ]
)


def test_similarity_of_a_hand_worked_example() -> None:
    s = stats.similarity_matrix(SORTS, CARDS)
    np.testing.assert_allclose(s, HAND_SIMILARITY, atol=1e-15)


def test_similarity_follows_the_order_of_cards() -> None:
    s = stats.similarity_matrix(SORTS, ["D", "C", "B", "A"])
    np.testing.assert_allclose(s, HAND_SIMILARITY[::-1, ::-1], atol=1e-15)


def test_pairs_nobody_sorted_together_are_nan() -> None:
    s = stats.similarity_matrix([[["A", "B"]], [["C"]]], ["A", "B", "C"])
    assert s[0, 1] == 1.0
    assert np.isnan(s[0, 2]) and np.isnan(s[2, 1])
    assert np.all(np.diag(s) == 1.0)
    with pytest.raises(ValueError, match="no participant sorted both"):
        stats.card_clusters(s)


def test_empty_groups_and_participants_who_sorted_nothing() -> None:
    s = stats.similarity_matrix([[["A", "B"], []], []], ["A", "B"])
    np.testing.assert_array_equal(s, [[1.0, 1.0], [1.0, 1.0]])


@pytest.mark.parametrize(
    ("sorts", "cards", "message"),
    [
        ([[["A", "B"], ["B", "C"]]], CARDS, r"sorts\[0\] places 'B' twice"),
        ([[["A", "A"]]], CARDS, "places 'A' twice"),
        ([[["A", "Z"]]], CARDS, r"sorts\[0\]\[0\] holds 'Z', which is not one"),
        ([[["A"]]], ["A", "A"], "lists 'A' twice"),
        ([[["A"]]], [], "cards is empty"),
        ([["AB"]], CARDS, "must be a group"),
        ("AB", CARDS, "list of sorts"),
    ],
)
def test_similarity_refuses_bad_sorts(sorts: Any, cards: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.similarity_matrix(sorts, cards)


# Distances 1 - S: AB .1, CD .3, BC .7, AC .8, BD .8, AD .9.
MERGE_SIMILARITY = np.array(
    [
        [1.0, 0.9, 0.2, 0.1],
        [0.9, 1.0, 0.3, 0.2],
        [0.2, 0.3, 1.0, 0.7],
        [0.1, 0.2, 0.7, 1.0],
    ]
)


@pytest.mark.parametrize(
    ("method", "last_height"),
    [
        # Worked by hand: A+B at 0.1, C+D at 0.3, then the two pairs at the
        # mean (UPGMA: (.8 + .9 + .7 + .8) / 4 = 0.8), the maximum (complete:
        # 0.9) or the minimum (single: 0.7) of their four distances.
        ("average", 0.8),
        ("complete", 0.9),
        ("single", 0.7),
    ],
)
def test_dendrogram_merge_order(method: str, last_height: float) -> None:
    z = stats.card_clusters(MERGE_SIMILARITY, method=method)
    expected = [[0, 1, 0.1, 2], [2, 3, 0.3, 2], [4, 5, last_height, 4]]
    np.testing.assert_allclose(z, expected, atol=1e-12)
    # The same tree as scipy's own linkage of the square distance matrix.
    reference = hierarchy.linkage(squareform(1 - MERGE_SIMILARITY), method=method)
    np.testing.assert_allclose(z, reference, atol=1e-12)
    assert hierarchy.leaves_list(z).tolist() == [0, 1, 2, 3]


def test_clusters_of_a_sorted_study_match_scipy() -> None:
    rng = np.random.default_rng(7)
    cards = list(range(12))
    sorts = [
        [[c for c in cards if label[c] == g] for g in range(4)]
        for label in rng.integers(0, 4, (40, 12))
    ]
    s = stats.similarity_matrix(sorts, cards)
    z = stats.card_clusters(s)
    # scipy.cluster.hierarchy.linkage(method="average") on 1 - S, condensed.
    reference = hierarchy.linkage(squareform(1 - s, checks=False), "average")
    np.testing.assert_allclose(z, reference, atol=1e-12)
    assert hierarchy.is_valid_linkage(z)


@pytest.mark.parametrize(
    ("matrix", "kwargs", "message"),
    [
        (np.ones((2, 3)), {}, "square"),
        (np.ones((1, 1)), {}, "fewer than two"),
        ([[1, 0.5], [0.4, 1]], {}, "symmetric"),
        ([[1, 1.5], [1.5, 1]], {}, r"\[0, 1\]"),
        ([[1, 0.5], [0.5, 1]], {"method": "ward"}, "method"),
        ("matrix", {}, "square matrix"),
    ],
)
def test_card_clusters_refuses_bad_input(
    matrix: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        stats.card_clusters(matrix, **kwargs)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        # Deibel, Anderson & Anderson (2005), Expert Systems 22(3): the
        # published example.
        ([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4], [5, 6, 7], [8, 9]], 3),
        # By hand: the same partition in another order, one card moved, all
        # cards split apart (n - 1 moves from one group of n).
        ([[1, 2], [3]], [[3], [2, 1]], 0),
        ([[1, 2], [3]], [[1], [2, 3]], 1),
        ([[1, 2, 3, 4]], [[1], [2], [3], [4]], 3),
        ([[1, 2], [3], []], [[1, 2, 3]], 1),
        ([], [], 0),
    ],
)
def test_sort_distance(a: Any, b: Any, distance: int) -> None:
    assert stats.sort_distance(a, b) == distance
    assert stats.sort_distance(b, a) == distance


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([[1, 2], [2]], [[1, 2]], "places 2 twice"),
        ([[1, 2]], [[1, 3]], "same cards"),
        ([[1, 2]], "12", "list of groups"),
    ],
)
def test_sort_distance_refuses_bad_sorts(a: Any, b: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.sort_distance(a, b)


def test_placement_matrix() -> None:
    categories = ["Pets", "Vehicles"]
    sorts = [
        {"Pets": ["cat", "dog"], "Vehicles": ["car"]},
        {"Pets": ["cat"], "Vehicles": ["car", "dog"]},
        {"Pets": ["cat", "dog"], "Vehicles": ["car"]},
        {"Pets": ["cat"], "Things I own": ["car", "dog"]},  # hybrid: own group
        {"Vehicles": ["cat", "car"]},  # dog left unsorted
    ]
    r = stats.placement_matrix(sorts, ["cat", "dog", "car", "bike"], categories)
    assert r.cards == ("cat", "dog", "car", "bike")
    assert r.categories == ("Pets", "Vehicles")
    # Counted by hand.
    np.testing.assert_array_equal(r.counts, [[4, 1], [2, 1], [0, 4], [0, 0]])
    np.testing.assert_array_equal(r.other, [0, 1, 1, 0])
    np.testing.assert_array_equal(r.placed, [5, 4, 5, 0])
    np.testing.assert_allclose(r.shares[:3], [[0.8, 0.2], [0.5, 0.25], [0, 0.8]])
    assert np.isnan(r.shares[3]).all()
    assert r.top_category == ("Pets", "Pets", "Vehicles", None)
    np.testing.assert_allclose(r.agreement[:3], [0.8, 0.5, 0.8])
    # 4/5: Sauro & Lewis (2005) adjusted Wald 0.3596-0.9796 (exact 0.97968).
    assert r.low[0] == pytest.approx(0.3596, abs=1e-4)
    assert r.high[0] == pytest.approx(0.9797, abs=1e-4)
    # 2/4: computed, statsmodels proportion_confint(2, 4, method="agresti_coull")
    # = 0.1500-0.8500.
    assert (r.low[1], r.high[1]) == pytest.approx((0.15, 0.85), abs=1e-4)
    assert np.isnan(r.low[3]) and np.isnan(r.agreement[3])
    assert r.method == "adjusted-wald"


def test_placement_of_a_card_only_ever_put_in_new_groups() -> None:
    r = stats.placement_matrix([{"Mine": ["cat"]}], ["cat"], ["Pets"])
    assert r.top_category == (None,)
    assert r.agreement[0] == 0.0 and r.placed[0] == 1


@pytest.mark.parametrize(
    ("sorts", "categories", "message"),
    [
        ([[["cat"]]], ["Pets"], "mapping of category"),
        ([{"Pets": ["cat"], "Cars": ["cat"]}], ["Pets", "Cars"], "places 'cat' twice"),
        ([{"Pets": ["cow"]}], ["Pets"], "'cow', which is not one of the cards"),
        ([{"Pets": ["cat"]}], [], "categories is empty"),
        ([{"Pets": ["cat"]}], ["Pets", "Pets"], "lists 'Pets' twice"),
    ],
)
def test_placement_matrix_refuses_bad_sorts(
    sorts: Any, categories: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        stats.placement_matrix(sorts, ["cat"], categories)


# ---------------------------------------------------------------- properties

labels_st = st.lists(st.integers(-1, 4), min_size=2, max_size=9)


def _as_sort(labels: list[int]) -> list[list[int]]:
    """Card c goes to group labels[c]; -1 leaves it unsorted."""
    return [[c for c, g in enumerate(labels) if g == group] for group in range(5)]


def _naive_similarity(sorts: list[list[list[int]]], k: int) -> np.ndarray:
    s = np.eye(k)
    for i, j in itertools.combinations(range(k), 2):
        together = both = 0
        for sort in sorts:
            where = {c: g for g, group in enumerate(sort) for c in group}
            if i in where and j in where:
                both += 1
                together += where[i] == where[j]
        s[i, j] = s[j, i] = together / both if both else np.nan
    return s


@settings(max_examples=60, deadline=None)
@given(st.lists(labels_st, min_size=1, max_size=20))
def test_similarity_is_symmetric_shares_equal_to_a_pairwise_count(
    participants: list[list[int]],
) -> None:
    k = max(len(p) for p in participants)
    sorts = [_as_sort(p) for p in participants]
    s = stats.similarity_matrix(sorts, list(range(k)))
    np.testing.assert_array_equal(np.isnan(s), np.isnan(s.T))
    np.testing.assert_allclose(s, s.T, atol=0, equal_nan=True)
    present = s[~np.isnan(s)]
    assert ((present >= 0) & (present <= 1)).all()
    assert (np.diag(s) == 1).all()
    np.testing.assert_allclose(s, _naive_similarity(sorts, k), equal_nan=True)


partition_st = st.lists(st.integers(0, 4), min_size=6, max_size=6)


def _partition(labels: list[int]) -> list[list[int]]:
    return [[c for c, g in enumerate(labels) if g == group] for group in range(5)]


def _canonical(labels: list[int]) -> frozenset[frozenset[int]]:
    return frozenset(frozenset(g) for g in _partition(labels) if g)


@settings(max_examples=80, deadline=None)
@given(partition_st, partition_st, partition_st)
def test_sort_distance_is_a_metric(x: list[int], y: list[int], z: list[int]) -> None:
    a, b, c = _partition(x), _partition(y), _partition(z)
    d_ab = stats.sort_distance(a, b)
    assert d_ab >= 0
    assert (d_ab == 0) == (_canonical(x) == _canonical(y))
    assert stats.sort_distance(a, a) == 0
    assert d_ab == stats.sort_distance(b, a)
    assert stats.sort_distance(a, c) <= d_ab + stats.sort_distance(b, c)
