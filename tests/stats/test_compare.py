"""Comparisons of two designs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from uxlab import stats


class TestCompareCompletion:
    def test_n_minus_1_test_40_of_60_vs_15_of_35(self) -> None:
        # stats-cases cmp_n1_40of60_15of35: N-1 two-proportion test (Campbell
        # 2007 Stat Med 26:3661; Sauro & Lewis QUX ch. 5) and the Sauro & Lewis
        # adjusted-Wald difference interval (z^2/4 successes, z^2/2 trials).
        r = stats.compare_completion(40, 60, 15, 35)
        assert r.statistic == pytest.approx(2.255345, abs=1e-6)
        assert r.p_value == pytest.approx(0.024112, abs=1e-6)
        assert r.difference == pytest.approx(0.238095, abs=1e-6)
        assert r.ci.low == pytest.approx(0.03065, abs=1e-6)
        assert r.ci.high == pytest.approx(0.427769, abs=1e-6)
        assert r.method == "n-1 two-proportion"

    def test_statsmodels_agresti_caffo_differs_slightly(self) -> None:
        # stats-cases cmp_n1_40of60_15of35: statsmodels "agresti-caffo" adds
        # exactly 1 and 2 -> (0.030465, 0.427251), about 0.0005 away here.
        proportion = pytest.importorskip("statsmodels.stats.proportion")
        low, high = proportion.confint_proportions_2indep(
            40, 60, 15, 35, method="agresti-caffo"
        )
        assert (low, high) == pytest.approx((0.030465, 0.427251), abs=1e-6)
        r = stats.compare_completion(40, 60, 15, 35)
        assert r.ci == pytest.approx((low, high), abs=2e-3)

    def test_adjusted_wald_difference_56_of_70_vs_48_of_80(self) -> None:
        # stats-cases cmp_diff_newcombe_56of70_48of80, adjusted-Wald column
        # (computed; the Newcombe hybrid-score column is not offered).
        r = stats.compare_completion(56, 70, 48, 80)
        assert r.ci.low == pytest.approx(0.0526, abs=5e-5)
        assert r.ci.high == pytest.approx(0.336, abs=5e-5)

    @pytest.mark.parametrize(
        ("x1", "n1", "x2", "n2"), [(40, 60, 15, 35), (9, 10, 3, 10), (5, 56, 0, 29)]
    )
    def test_z_squared_is_pearson_chi2_times_n_minus_1_over_n(
        self, x1: int, n1: int, x2: int, n2: int
    ) -> None:
        # stats-methods.md section 6: z^2 = chi2 (no Yates) x (N-1)/N, checked
        # with scipy.stats.chi2_contingency(correction=False).
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        chi2 = sps.chi2_contingency(table, correction=False).statistic
        big_n = n1 + n2
        r = stats.compare_completion(x1, n1, x2, n2)
        assert r.statistic is not None
        assert r.statistic**2 == pytest.approx(chi2 * (big_n - 1) / big_n, rel=1e-10)

    @pytest.mark.parametrize(("x1", "x2"), [(0, 0), (5, 8)])
    def test_both_zero_or_both_complete_is_undefined(self, x1: int, x2: int) -> None:
        # stats-methods.md section 6: P = 0 or 1 makes z 0/0 -> undefined.
        r = stats.compare_completion(x1, 5, x2, 8 if x2 else 5)
        assert r.statistic is None and r.p_value is None
        assert r.difference == 0.0
        assert -1.0 <= r.ci.low <= 0.0 <= r.ci.high <= 1.0

    def test_fisher_and_campbells_rule(self) -> None:
        # Campbell (2007): N-1 when every expected count >= 1, else Fisher-Irwin
        # (scipy.stats.fisher_exact, two-sided).
        small = stats.compare_completion(10, 10, 8, 10, method="auto")
        assert small.method == "fisher-irwin exact"
        ref = sps.fisher_exact(np.array([[10, 0], [8, 2]])).pvalue
        assert small.p_value == pytest.approx(ref)
        assert small.statistic is None
        large = stats.compare_completion(40, 60, 15, 35, method="auto")
        assert large == stats.compare_completion(40, 60, 15, 35)
        forced = stats.compare_completion(40, 60, 15, 35, method="fisher")
        assert forced.method == "fisher-irwin exact"
        both_zero = stats.compare_completion(0, 5, 0, 5, method="auto")
        assert both_zero.p_value == 1.0

    def test_interval_is_clipped(self) -> None:
        r = stats.compare_completion(10, 10, 0, 10)
        assert r.ci.high <= 1.0 and r.ci.low > 0
        assert r.difference == 1.0

    @pytest.mark.parametrize(
        ("args", "kwargs", "message"),
        [
            ((6, 5, 1, 5), {}, "x1"),
            ((1, 5, 6, 5), {}, "x2"),
            ((1, 0, 1, 5), {}, "n1"),
            ((1, 5, -1, 5), {}, "x2"),
            ((1.5, 5, 1, 5), {}, "x1"),
            ((1, 5, 1, 5), {"method": "chi2"}, "method"),
            ((1, 5, 1, 5), {"confidence_level": 0}, "confidence_level"),
        ],
    )
    def test_rejected(
        self, args: tuple[int, ...], kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.compare_completion(*args, **kwargs)  # type: ignore[arg-type]


class TestCompareMeans:
    def test_paired_t(self) -> None:
        # stats-cases cmp_paired_t: scipy 1.17.1 stats.ttest_rel(a, b);
        # CI = mean_d +/- t(.975, n-1) sd_d / sqrt(n).
        a = [6, 6, 7, 5, 5, 7, 6, 6]
        b = [5, 4, 6, 3, 5, 6, 4, 5]
        r = stats.compare_means(a, b, paired=True)
        assert r.difference == pytest.approx(1.25, abs=1e-5)
        assert r.statistic == pytest.approx(5.0, abs=1e-5)
        assert r.p_value == pytest.approx(0.001565, abs=1e-5)
        assert r.ci.low == pytest.approx(0.658844, abs=1e-5)
        assert r.ci.high == pytest.approx(1.841156, abs=1e-5)
        assert np.std(np.subtract(a, b), ddof=1) == pytest.approx(0.707107, abs=1e-5)
        assert r.method == "paired t"

    def test_welch_matches_scipy(self) -> None:
        # Cross-check: scipy.stats.ttest_ind(equal_var=False) and its interval.
        a = [72.5, 85.0, 67.5, 90.0, 77.5]
        b = [55.0, 62.5, 70.0, 47.5, 60.0, 65.0, 52.5]
        ref = sps.ttest_ind(a, b, equal_var=False)
        r = stats.compare_means(a, b, confidence_level=0.9)
        assert r.difference == pytest.approx(np.mean(a) - np.mean(b))
        assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
        assert r.ci == pytest.approx(tuple(ref.confidence_interval(0.9)), rel=1e-12)
        assert r.method == "welch t"

    def test_identical_differences_report_no_variability(self) -> None:
        # stats-methods.md section 2: sd of differences 0 -> t undefined, not p = 0.
        r = stats.compare_means([5, 6, 7], [4, 5, 6], paired=True)
        assert r.difference == 1.0 and r.ci == (1.0, 1.0)
        assert r.statistic is None and r.p_value is None
        w = stats.compare_means([3, 3], [3, 3, 3])
        assert w.statistic is None and w.ci == (0.0, 0.0)

    def test_one_constant_group_still_works(self) -> None:
        # Welch with one zero variance: t = diff / sqrt(s_b^2/n_b), df = n_b - 1
        # (scipy warns about precision loss on the constant group, so by hand).
        r = stats.compare_means([5, 5, 5], [1, 2, 3, 4])
        se = math.sqrt(np.var([1, 2, 3, 4], ddof=1) / 4)
        assert r.statistic == pytest.approx(2.5 / se)
        assert r.p_value == pytest.approx(2 * sps.t.sf(2.5 / se, 3))

    @pytest.mark.parametrize(
        ("a", "b", "kwargs", "message"),
        [
            ([1], [1, 2], {}, "at least 2"),
            ([1, 2], [math.nan, 2], {}, "non-finite"),
            ([1, 2, 3], [1, 2], {"paired": True}, "same length"),
            ([1, 2], [1, 2], {"paired": "yes"}, "paired"),
        ],
    )
    def test_rejected(
        self, a: list[float], b: list[float], kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.compare_means(a, b, **kwargs)  # type: ignore[arg-type]


class TestCompareTimes:
    A = [40, 52, 35, 60, 48, 39]
    B = [61, 70, 55, 90, 66]

    def test_ratio_of_geometric_means_welch_on_logs(self) -> None:
        # stats-methods.md section 2 / QUX ch. 5: Welch t on ln(times);
        # exp(difference) is a ratio of geometric means.  Cross-check with
        # scipy.stats.ttest_ind(equal_var=False) on the logs.
        ref = sps.ttest_ind(np.log(self.A), np.log(self.B), equal_var=False)
        r = stats.compare_times(self.A, self.B)
        gm_a = stats.time_on_task(self.A).geometric_mean
        gm_b = stats.time_on_task(self.B).geometric_mean
        assert r.difference == pytest.approx(gm_a / gm_b, rel=1e-12)
        assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
        low, high = ref.confidence_interval(0.95)
        assert r.ci == pytest.approx((math.exp(low), math.exp(high)), rel=1e-12)
        assert r.method == "welch t on log times"

    def test_paired_on_logs(self) -> None:
        # Same users on both designs: paired t on ln times (scipy.stats.ttest_rel).
        a, b = self.A[:5], self.B
        ref = sps.ttest_rel(np.log(a), np.log(b))
        r = stats.compare_times(a, b, paired=True)
        assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
        assert r.ci.low < r.difference < r.ci.high
        assert r.method == "paired t on log times"

    def test_identical_times(self) -> None:
        r = stats.compare_times([30, 30], [60, 60])
        assert r.difference == pytest.approx(0.5)
        assert r.ci == pytest.approx((0.5, 0.5))
        assert r.statistic is None and r.p_value is None

    @pytest.mark.parametrize(
        ("a", "b", "message"),
        [
            ([0, 10], [5, 6], "positive"),
            ([10, 20], [-5, 6], "positive"),
            ([10], [5, 6], "at least 2"),
        ],
    )
    def test_rejected(self, a: list[float], b: list[float], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            stats.compare_times(a, b)


class TestCompareNps:
    def test_worked_example_50_30_20_vs_40_30_30(self) -> None:
        # Adjusted Wald for a difference of NPS (Rocks 2016, The American
        # Statistician 70(4); MeasuringU "How to compare two Net Promoter
        # Scores"), worked by hand: n' = 103 in both; first p'P = 50.75/103,
        # p'D = 20.75/103, c1 = 0.291262, v1 = 0.609341; second p'P = 40.75/103,
        # p'D = 30.75/103, c2 = 0.097087, v2 = 0.684749; SE = sqrt((v1 + v2)/103)
        # = 0.112089; 0.194175 -/+ 1.959964 * SE = -0.025515 .. 0.413865.
        r = stats.compare_nps((50, 30, 20), (40, 30, 30))
        assert r.difference == pytest.approx(20.0)
        assert r.ci.low == pytest.approx(-2.5515, abs=1e-3)
        assert r.ci.high == pytest.approx(41.3865, abs=1e-3)
        assert r.statistic == pytest.approx(0.194175 / 0.112089, abs=1e-4)
        assert r.p_value == pytest.approx(
            2 * sps.norm.sf(0.194175 / 0.112089), abs=1e-5
        )
        assert r.method == "adjusted-wald nps difference"

    def test_against_a_huge_second_sample_it_is_the_one_sample_interval(self) -> None:
        # With the second NPS known almost exactly, the half-width is the first
        # sample's own adjusted-Wald half-width (Rocks 2016; stats-methods.md
        # §5 anchor 50/30/20 -> 14.05..44.20, so +/- 15.07 around 29.13).
        big = (10**8, 10**8, 10**8)  # NPS 0, variance 2/3 over 3e8
        r = stats.compare_nps((50, 30, 20), big)
        one = stats.nps_from_counts(50, 30, 20)
        assert (r.ci.high - r.ci.low) / 2 == pytest.approx(
            (one.ci.high - one.ci.low) / 2, abs=0.01
        )

    def test_a_sample_against_itself_is_no_difference(self) -> None:
        r = stats.compare_nps((12, 5, 3), (12, 5, 3))
        assert r.difference == 0.0 and r.p_value == pytest.approx(1.0)
        assert r.ci.low == pytest.approx(-r.ci.high)

    def test_a_sample_without_answers_is_refused(self) -> None:
        with pytest.raises(ValueError, match="no answers"):
            stats.compare_nps((0, 0, 0), (1, 2, 3))
