"""Task times: geometric mean, log-scale interval, split by outcome, vectorised."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from uxlab import stats

MEASURINGU_TIMES = [55, 65, 75, 62, 45, 135]


def test_measuringu_task_time_example() -> None:
    # stats-methods.md section 2: MeasuringU task-time calculator, GM 68 s,
    # 95% CI (46, 101); exact 68.2411, (46.0051, 101.2245).
    r = stats.time_on_task(MEASURINGU_TIMES)
    assert r.geometric_mean == pytest.approx(68.2411, abs=1e-4)
    assert r.ci is not None
    assert r.ci.low == pytest.approx(46.0051, abs=1e-4)
    assert r.ci.high == pytest.approx(101.2245, abs=1e-4)
    assert r.median == 63.5  # even n: mean of the two middle values
    assert r.mean == pytest.approx(np.mean(MEASURINGU_TIMES))
    assert r.sd == pytest.approx(np.std(MEASURINGU_TIMES, ddof=1))
    assert r.n == 6


def test_interval_is_the_back_transformed_log_t_interval() -> None:
    # Cross-check: scipy.stats.t.interval on the log times, exponentiated.
    logs = np.log(MEASURINGU_TIMES)
    low, high = sps.t.interval(0.9, len(logs) - 1, loc=logs.mean(), scale=sps.sem(logs))
    r = stats.time_on_task(MEASURINGU_TIMES, confidence_level=0.9)
    assert r.ci == pytest.approx((math.exp(low), math.exp(high)), rel=1e-12)


def test_single_time() -> None:
    # stats-cases tt_n1: GM = median = 42, CI undefined (df = 0) -> None.
    r = stats.time_on_task([42])
    assert r.geometric_mean == pytest.approx(42.0, abs=1e-9)
    assert r.median == pytest.approx(42.0, abs=1e-9)
    assert r.ci is None
    assert r.sd is None
    assert r.center == 42.0


def test_identical_times_give_a_zero_width_interval() -> None:
    # stats-methods.md section 2: sd(ln) = 0 -> zero-width CI, no NaN.
    r = stats.time_on_task([30.5] * 7)
    assert r.ci == (30.5, 30.5)
    assert r.sd == 0.0
    assert r.geometric_mean == r.median == r.mean == 30.5


@pytest.mark.parametrize(
    ("n", "recommended"),
    [
        # stats-cases tt_center_recommendation: Sauro & Lewis (2010) CHI; Sauro
        # (2011) "10 things to know about task times": GM below 25, median from 25.
        (5, "geometric_mean"),
        (24, "geometric_mean"),
        (25, "median"),
        (100, "median"),
    ],
)
def test_recommended_center(n: int, recommended: str) -> None:
    times = np.linspace(20, 120, n) ** 1.3
    r = stats.time_on_task(times)
    assert r.recommended == recommended
    assert r.center == getattr(r, recommended)


def test_ties_are_fine() -> None:
    r = stats.time_on_task([10, 10, 20, 20])
    assert r.median == 15.0
    assert r.ci is not None and r.ci.low < r.geometric_mean < r.ci.high


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        ([], "at least 1"),
        ([10, 0], "positive"),
        ([10, -3], "positive"),
        ([10, math.nan], "non-finite"),
        ([10, math.inf], "non-finite"),
        ([[10, 20], [30, 40]], "one-dimensional"),
        ("12", "string"),
        (["a", "b"], "numbers"),
    ],
)
def test_rejected_times(seconds: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.time_on_task(seconds)


def test_rejected_confidence_level() -> None:
    with pytest.raises(ValueError, match="confidence_level"):
        stats.time_on_task([1, 2], confidence_level=1.5)


class TestTaskTimes:
    def test_splits_by_outcome(self) -> None:
        # Sauro (2011): completion time = successes only, time to failure =
        # failures only, time on task = everyone.
        seconds = [30, 40, 200, 35, 180]
        success = [True, True, False, True, False]
        r = stats.task_times(seconds, success)
        assert r.completion == stats.time_on_task([30, 40, 35])
        assert r.failure == stats.time_on_task([200, 180])
        assert r.all == stats.time_on_task(seconds)

    def test_empty_groups_are_none(self) -> None:
        r = stats.task_times([30, 40], [1, 1])
        assert r.failure is None
        assert r.completion is not None and r.completion.n == 2
        empty = stats.task_times([], [])
        assert empty == stats.TaskTimes(None, None, None)

    @pytest.mark.parametrize(
        ("seconds", "success", "message"),
        [
            ([30, 40], [True], "one flag per time"),
            ([30, 40], [1, 2], "True/False"),
            ([30, -1], [1, 0], "positive"),
            ([30, 40], [[1, 0]], "one flag per time"),
        ],
    )
    def test_rejected_inputs(
        self, seconds: object, success: object, message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.task_times(seconds, success)


class TestTimesSummary:
    def test_columns_equal_scalar_summaries(self) -> None:
        rng = np.random.default_rng(3)
        times = rng.lognormal(4, 0.6, size=(40, 6))
        times[rng.random(times.shape) < 0.3] = np.nan
        times[:, 4] = np.nan
        times[1:, 5] = np.nan  # one time only
        times[:, 3] = np.where(np.isnan(times[:, 3]), np.nan, 12.0)  # identical
        v = stats.times_summary(times, confidence_level=0.9)
        for j in range(times.shape[1]):
            col = times[:, j][~np.isnan(times[:, j])]
            assert v.n[j] == col.size
            if col.size == 0:
                assert np.isnan(v.geometric_mean[j]) and np.isnan(v.center[j])
                continue
            s = stats.time_on_task(col, confidence_level=0.9)
            assert v.geometric_mean[j] == pytest.approx(s.geometric_mean, rel=1e-12)
            assert v.median[j] == s.median
            assert v.mean[j] == pytest.approx(s.mean, rel=1e-12)
            assert v.recommended[j] == s.recommended
            assert v.center[j] == pytest.approx(s.center, rel=1e-12)
            if s.ci is None:
                assert np.isnan(v.low[j]) and np.isnan(v.high[j]) and np.isnan(v.sd[j])
            else:
                assert (v.low[j], v.high[j]) == pytest.approx(s.ci, rel=1e-12)
                assert v.sd[j] == pytest.approx(s.sd, rel=1e-12, abs=1e-12)

    def test_recommendation_uses_each_columns_n(self) -> None:
        times = np.full((30, 2), 10.0)
        times[24:, 1] = np.nan
        v = stats.times_summary(times)
        assert v.recommended.tolist() == ["median", "geometric_mean"]

    @pytest.mark.parametrize(
        ("seconds", "message"),
        [
            ([1.0, 2.0], "two-dimensional"),
            ([[1.0, 0.0]], "positive"),
            ([[1.0, -2.0]], "positive"),
            ([[1.0, np.inf]], "positive"),
        ],
    )
    def test_rejected_inputs(self, seconds: object, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            stats.times_summary(seconds)

    def test_empty_study(self) -> None:
        v = stats.times_summary(np.empty((0, 3)))
        assert v.n.tolist() == [0, 0, 0]
        assert np.isnan(v.median).all()


@pytest.mark.parametrize(
    ("n", "ranks"),
    [
        # Conover (1999), Practical Nonparametric Statistics, Table A3 / sec.
        # 3.2: 95 % ranks of the median's interval for n = 6, 10, 25, 30.
        (6, (1, 6)),
        (10, (2, 9)),
        (25, (8, 18)),
        (30, (10, 21)),
    ],
)
def test_median_ci_order_statistics(n: int, ranks: tuple[int, int]) -> None:
    x = np.arange(1, n + 1, dtype=float) * 10
    ci = stats.median_ci(x[::-1])
    assert ci == (10.0 * ranks[0], 10.0 * ranks[1])


def test_median_ci_needs_enough_values() -> None:
    # (min, max) covers the median with 1 - 2 / 2**5 = 93.75 % < 95 %.
    assert stats.median_ci([1, 2, 3, 4, 5]) is None
    assert stats.median_ci([1, 2, 3, 4, 5], confidence_level=0.9) == (1.0, 5.0)
