"""Completion rates: intervals, best point estimates, vectorised form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from uxlab import stats

Z95 = float(special.ndtri(0.975))


# (successes, trials, confidence, method, low, high, tolerance, source)
PUBLISHED_INTERVALS = [
    # stats-cases cr_aw_4of5: Sauro & Lewis (2005) HFES, Tullis's worked example
    # (printed values truncated to 4 dp).
    (4, 5, 0.95, "adjusted-wald", 0.3596, 0.9796, 5e-4),
    # stats-cases cr_aw_8of9_clip: QUX 1st ed. ch. 4 opening, 54.3%-99.9%
    # (upper clipped to 1).
    (8, 9, 0.95, "adjusted-wald", 0.543286, 1.0, 1e-6),
    # stats-cases cr_aw_5of5: statsmodels proportion_confint("agresti_coull").
    (5, 5, 0.95, "adjusted-wald", 0.510945, 1.0, 1e-6),
    # stats-cases cr_aw_7of10_90: statsmodels agresti_coull, alpha=0.10.
    (7, 10, 0.90, "adjusted-wald", 0.438416, 0.876407, 1e-6),
    # Sauro & Lewis (2012) UX Magazine 850: 7/10 "about 39%-90%".
    (7, 10, 0.95, "adjusted-wald", 0.39, 0.90, 0.01),
    # Sauro & Lewis (2012) UX Magazine 850: 3/10 "about 10%-61%".
    (3, 10, 0.95, "adjusted-wald", 0.10, 0.61, 0.01),
    # stats-methods.md section 1: 1/1 adjusted Wald 0.1675-1.
    (1, 1, 0.95, "adjusted-wald", 0.1675, 1.0, 1e-4),
    # stats-cases cr_exact_81of263: Newcombe (1998a) Stat Med 17:857, method 5.
    (81, 263, 0.95, "exact", 0.2527, 0.3676, 5e-5),
    # stats-cases cr_exact_1of29: Newcombe (1998a), method 5.
    (1, 29, 0.95, "exact", 0.0009, 0.1776, 5e-5),
    # stats-cases cr_wilson_0of20: Newcombe (1998a), method 3 (Wilson, no CC).
    (0, 20, 0.95, "wilson", 0.0, 0.1611, 5e-5),
    # stats-cases cr_edge_n1_0of1: closed form 1-(alpha/2)^(1/n); statsmodels "beta".
    (0, 1, 0.95, "exact", 0.0, 0.975, 1e-6),
    # stats-cases cr_edge_n1_0of1: statsmodels "wilson".
    (0, 1, 0.95, "wilson", 0.0, 0.793451, 1e-6),
    # stats-methods.md section 1: exact 5/25 -> 0.068-0.407 (Conover tables).
    (5, 25, 0.95, "exact", 0.068, 0.407, 5e-4),
    # stats-methods.md section 1: 1/1 exact 0.025-1.
    (1, 1, 0.95, "exact", 0.025, 1.0, 1e-6),
]


@pytest.mark.parametrize(
    ("x", "n", "level", "method", "low", "high", "tol"), PUBLISHED_INTERVALS
)
def test_published_intervals(
    x: int, n: int, level: float, method: str, low: float, high: float, tol: float
) -> None:
    r = stats.completion_rate(x, n, confidence_level=level, method=method)
    assert r.ci.low == pytest.approx(low, abs=tol)
    assert r.ci.high == pytest.approx(high, abs=tol)


def test_adjusted_wald_centre_and_adjusted_n_4_of_5() -> None:
    # stats-cases cr_aw_4of5: p_adj 0.6696 and n_adj 8.8416 (Sauro & Lewis 2005).
    ci = stats.completion_rate(4, 5).ci
    p_adj = (ci.low + ci.high) / 2
    half = (ci.high - ci.low) / 2
    assert p_adj == pytest.approx(0.6696, abs=5e-4)
    assert Z95**2 * p_adj * (1 - p_adj) / half**2 == pytest.approx(8.8416, abs=5e-3)


def test_adjusted_wald_raw_limits_are_clipped() -> None:
    # stats-cases cr_aw_8of9_clip (raw upper 1.001823) and cr_aw_5of5 (p_adj
    # 0.782759, raw upper 1.054572): the raw limit exceeds 1 and is clipped.
    for x, n, p_adj_expected, raw_upper in (
        (8, 9, None, 1.001823),
        (5, 5, 0.782759, 1.054572),
    ):
        r = stats.completion_rate(x, n)
        p_adj = (x + Z95**2 / 2) / (n + Z95**2)
        if p_adj_expected is not None:
            assert p_adj == pytest.approx(p_adj_expected, abs=1e-6)
        assert 2 * p_adj - r.ci.low == pytest.approx(raw_upper, abs=1e-6)
        assert r.ci.high == 1.0


def test_adjusted_wald_z_changes_with_confidence_level() -> None:
    # stats-cases cr_aw_7of10_90: z = 1.644854, p_adj = 0.657412 at 90%.
    ci = stats.completion_rate(7, 10, confidence_level=0.9).ci
    assert (ci.low + ci.high) / 2 == pytest.approx(0.657412, abs=1e-6)


def test_five_of_five_has_three_different_lower_bounds() -> None:
    # stats-methods.md section 1 pitfall: exact 0.478, adjusted Wald 0.511,
    # Wilson 0.566 (MeasuringU's "as low as 48%" is the exact bound).
    lows = {
        m: stats.completion_rate(5, 5, method=m).ci.low
        for m in ("exact", "adjusted-wald", "wilson")
    }
    assert lows["exact"] == pytest.approx(0.478, abs=5e-4)
    assert lows["adjusted-wald"] == pytest.approx(0.511, abs=5e-4)
    assert lows["wilson"] == pytest.approx(0.566, abs=5e-4)


STATSMODELS_METHOD = {
    "adjusted-wald": "agresti_coull",
    "wilson": "wilson",
    "exact": "beta",
}


@pytest.mark.parametrize("method", sorted(STATSMODELS_METHOD))
@pytest.mark.parametrize("level", [0.80, 0.90, 0.95, 0.99])
@pytest.mark.parametrize(
    ("x", "n"),
    [(0, 1), (1, 1), (0, 5), (1, 5), (4, 5), (5, 5), (15, 148), (81, 263), (9, 30)],
)
def test_matches_statsmodels(x: int, n: int, level: float, method: str) -> None:
    # Cross-check: computed with statsmodels proportion_confint(method=...).
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    low, high = proportion.proportion_confint(
        x, n, alpha=1 - level, method=STATSMODELS_METHOD[method]
    )
    r = stats.completion_rate(x, n, confidence_level=level, method=method)
    assert r.ci.low == pytest.approx(max(low, 0.0), abs=1e-9)
    assert r.ci.high == pytest.approx(min(high, 1.0), abs=1e-9)


@pytest.mark.parametrize(
    ("x", "n", "estimate", "rule"),
    [
        # stats-cases cr_best_point_estimate: Lewis & Sauro (2006) JUS 1(3),
        # "When 100% really isn't 100%"; values computed from the rule.
        (1, 5, 0.330345, "wilson"),
        (7, 10, 0.7, "mle"),
        (5, 5, 0.857143, "laplace"),
        (19, 20, 0.909091, "laplace"),
        (0, 10, 0.138766, "wilson"),
        # stats-methods.md section 1: the boundaries are strict ("less than
        # .5", "greater than .9", Lewis & Sauro 2006), so exactly 0.9 and
        # exactly 0.5 are x/n.
        (9, 10, 0.9, "mle"),
        (27, 30, 0.9, "mle"),
        (5, 10, 0.5, "mle"),
        (1, 2, 0.5, "mle"),
        (91, 100, 92 / 102, "laplace"),
        (49, 100, 0.490370, "wilson"),
    ],
)
def test_best_point_estimate(x: int, n: int, estimate: float, rule: str) -> None:
    r = stats.completion_rate(x, n)
    assert r.estimate == pytest.approx(estimate, abs=1e-6)
    assert r.estimate_method == rule
    assert r.observed == x / n
    v = stats.completion_rates([x], [n])
    assert v.estimate[0] == pytest.approx(estimate, abs=1e-6)
    assert v.estimate_method[0] == rule


def test_best_estimate_does_not_depend_on_the_interval() -> None:
    # The Lewis & Sauro (2006) Wilson point uses the 95% z whatever the level.
    a = stats.completion_rate(1, 5, confidence_level=0.8, method="exact")
    b = stats.completion_rate(1, 5)
    assert a.estimate == b.estimate


def test_zero_successes() -> None:
    for method in ("adjusted-wald", "wilson", "exact"):
        r = stats.completion_rate(0, 10, method=method)
        assert r.ci.low == 0.0
        assert 0.0 < r.ci.high < 1.0
    # Wald collapses to a zero-width interval: why it is not the default.
    assert stats.completion_rate(0, 10, method="wald").ci == (0.0, 0.0)


def test_all_successes() -> None:
    for method in ("adjusted-wald", "wilson", "exact"):
        r = stats.completion_rate(10, 10, method=method)
        assert r.ci.high == 1.0
        assert 0.0 < r.ci.low < 1.0
    assert stats.completion_rate(10, 10, method="wald").ci == (1.0, 1.0)


def test_wald_formula() -> None:
    # Sauro & Lewis (2005): p +/- z sqrt(p(1-p)/n), here 50/100.
    ci = stats.completion_rate(50, 100, method="wald").ci
    half = Z95 * math.sqrt(0.25 / 100)
    assert ci == pytest.approx((0.5 - half, 0.5 + half), abs=1e-12)


def test_integral_floats_are_accepted() -> None:
    r = stats.completion_rate(np.float64(4.0), np.int64(5))  # type: ignore[arg-type]
    assert (r.successes, r.trials) == (4, 5)
    assert isinstance(r.successes, int)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"successes": 6, "trials": 5}, "successes"),
        ({"successes": -1, "trials": 5}, "successes"),
        ({"successes": 0, "trials": 0}, "trials"),
        ({"successes": 2.5, "trials": 5}, "successes"),
        ({"successes": True, "trials": 5}, "successes"),
        ({"successes": "4", "trials": 5}, "successes"),
        ({"successes": 4, "trials": math.nan}, "trials"),
        ({"successes": 4, "trials": 5, "method": "agresti"}, "method"),
        ({"successes": 4, "trials": 5, "method": "clopper-pearson"}, "method"),
        ({"successes": 4, "trials": 5, "confidence_level": 95}, "confidence_level"),
        ({"successes": 4, "trials": 5, "confidence_level": 1.0}, "confidence_level"),
        ({"successes": 4, "trials": 5, "confidence_level": 0.0}, "confidence_level"),
        (
            {"successes": 4, "trials": 5, "confidence_level": math.nan},
            "confidence_level",
        ),
    ],
)
def test_rejected_inputs(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.completion_rate(**kwargs)  # type: ignore[arg-type]


def test_unknown_method_error_lists_the_allowed_methods() -> None:
    with pytest.raises(ValueError, match=r"'adjusted-wald', 'exact', 'wald', 'wilson'"):
        stats.completion_rate(4, 5, method="agresti")


class TestCompletionRates:
    def test_equals_scalar_results(self) -> None:
        xs, ns = [0, 1, 4, 5, 8, 81, 0], [1, 5, 5, 5, 9, 263, 20]
        for method in ("adjusted-wald", "wilson", "exact", "wald"):
            v = stats.completion_rates(xs, ns, confidence_level=0.9, method=method)
            for i, (x, n) in enumerate(zip(xs, ns, strict=True)):
                s = stats.completion_rate(x, n, confidence_level=0.9, method=method)
                assert v.low[i] == pytest.approx(s.ci.low, abs=1e-10)
                assert v.high[i] == pytest.approx(s.ci.high, abs=1e-10)
                assert v.estimate[i] == s.estimate
                assert v.estimate_method[i] == s.estimate_method
                assert v.observed[i] == s.observed

    def test_broadcasts_a_common_trials(self) -> None:
        # 10,000 participants: every task has the same number of trials.
        r = stats.completion_rates([4, 5], 5)
        assert r.trials.tolist() == [5, 5]
        assert r.high.tolist() == [pytest.approx(0.9796794, abs=1e-6), 1.0]

    def test_echoes_inputs(self) -> None:
        r = stats.completion_rates([1], [2], confidence_level=0.8, method="exact")
        assert (r.confidence_level, r.method) == (0.8, "exact")
        assert r.successes.dtype == np.int64

    @pytest.mark.parametrize(
        ("successes", "trials", "message"),
        [
            ([6], [5], "exceeds trials"),
            ([-1], [5], "successes"),
            ([1.5], [5], "successes"),
            ([1], [0], "trials"),
            ([1, 2], [3, 4, 5], "same shape"),
            ([np.nan], [5], "successes"),
            ("abc", [5], "successes"),
        ],
    )
    def test_rejected_inputs(
        self, successes: object, trials: object, message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.completion_rates(successes, trials)

    def test_rejects_unknown_method(self) -> None:
        with pytest.raises(ValueError, match="method"):
            stats.completion_rates([1], [2], method="score")
