"""Preference tests: shares with intervals, tests against equal preference."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uxlab import stats


def test_two_options_use_the_exact_binomial_test() -> None:
    r = stats.preference([15, 5])
    assert r.test == "binomial" and r.df is None and r.n == 20
    # R 4.4 binom.test(15, 20): two-sided p-value = 0.04139.
    assert r.p_value == pytest.approx(0.04139, abs=5e-6)
    assert r.statistic == 0.75
    # 15/20 and 5/20: statsmodels proportion_confint(method="agresti_coull")
    # = 0.5275-0.8919 and 0.1081-0.4725.
    np.testing.assert_allclose(r.shares.low, [0.5275, 0.1081], atol=1e-4)
    np.testing.assert_allclose(r.shares.high, [0.8919, 0.4725], atol=1e-4)
    assert r.shares.method == "adjusted-wald"
    # A's interval lies above one half: A is preferred; B is not.
    assert r.above_equal_share.tolist() == [True, False]


def test_three_options_use_chi_square_goodness_of_fit() -> None:
    r = stats.preference([10, 20, 30])
    # By hand: expected 20 each, chi2 = (100 + 0 + 100) / 20 = 10 with 2 df;
    # the chi-square(2) survival function is exp(-x/2), so p = exp(-5).
    assert r.test == "chi-square"
    assert r.statistic == pytest.approx(10.0, abs=1e-12)
    assert r.df == 2
    assert r.p_value == pytest.approx(math.exp(-5), rel=1e-9)
    assert not r.small_expected
    np.testing.assert_allclose(r.shares.observed, [1 / 6, 1 / 3, 1 / 2])


def test_even_choices_find_nothing() -> None:
    r = stats.preference([7, 7])
    assert r.p_value == 1.0
    assert not r.above_equal_share.any()
    r = stats.preference([4, 4, 4])
    assert r.statistic == 0.0 and r.p_value == pytest.approx(1.0)


def test_few_choices_per_option_are_flagged() -> None:
    # Cochran (1954): below 5 expected choices the chi-square is approximate.
    assert stats.preference([2, 1, 1]).small_expected
    assert not stats.preference([5, 5, 5]).small_expected


def test_confidence_level_reaches_the_shares() -> None:
    r = stats.preference([8, 2], confidence_level=0.9)
    assert r.confidence_level == 0.9
    single = stats.completion_rate(8, 10, confidence_level=0.9)
    assert (r.shares.low[0], r.shares.high[0]) == pytest.approx(tuple(single.ci))


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([5], "at least two counts"),
        ([[1, 2], [3, 4]], "at least two counts"),
        ([3, -1], "integers >= 0"),
        ([3, 1.5], "integers >= 0"),
        ([0, 0, 0], "all zero"),
        ("12", "not a string"),
    ],
)
def test_bad_counts_are_refused(counts: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.preference(counts)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=2, max_size=6).filter(any))
def test_shares_add_up_and_p_is_a_probability(counts: list[int]) -> None:
    r = stats.preference(counts)
    assert r.shares.observed.sum() == pytest.approx(1.0)
    assert 0.0 <= r.p_value <= 1.0
    assert (
        (r.shares.low <= r.shares.observed) & (r.shares.observed <= r.shares.high)
    ).all()
    # At most one option can lie wholly above 1/k with two options.
    if len(counts) == 2:
        assert r.above_equal_share.sum() <= 1
