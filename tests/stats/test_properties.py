"""Property tests: intervals are well-formed and vectorised equals scalar."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uxlab import stats

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)
METHODS = st.sampled_from(["adjusted-wald", "wilson", "exact", "wald"])
LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@st.composite
def counts(draw: st.DrawFn, max_n: int = 500) -> tuple[int, int]:
    n = draw(st.integers(1, max_n))
    return draw(st.integers(0, n)), n


times_st = st.lists(
    st.floats(0.5, 3600, allow_nan=False, allow_infinity=False), min_size=1, max_size=40
)


@PROPERTY_SETTINGS
@given(counts(), METHODS, LEVELS)
def test_proportion_interval_is_inside_0_1_and_contains_the_observed_rate(
    xn: tuple[int, int], method: str, level: float
) -> None:
    x, n = xn
    r = stats.completion_rate(x, n, method=method, confidence_level=level)
    assert 0.0 <= r.ci.low <= r.ci.high <= 1.0
    assert r.ci.low - 1e-12 <= r.observed <= r.ci.high + 1e-12
    assert 0.0 <= r.estimate <= 1.0


@PROPERTY_SETTINGS
@given(counts(), st.sampled_from(["adjusted-wald", "wilson", "exact"]))
def test_small_sample_intervals_contain_the_best_estimate(
    xn: tuple[int, int], method: str
) -> None:
    x, n = xn
    r = stats.completion_rate(x, n, method=method)
    assert r.ci.low - 1e-12 <= r.estimate <= r.ci.high + 1e-12


@PROPERTY_SETTINGS
@given(counts(max_n=100), METHODS, st.integers(2, 10))
def test_proportion_interval_narrows_as_n_grows(
    xn: tuple[int, int], method: str, factor: int
) -> None:
    x, n = xn
    small = stats.completion_rate(x, n, method=method).ci
    large = stats.completion_rate(x * factor, n * factor, method=method).ci
    if method == "wald" and x in (0, n):
        assert large.high - large.low == small.high - small.low == 0.0
    else:
        assert large.high - large.low < small.high - small.low


@PROPERTY_SETTINGS
@given(st.lists(counts(), min_size=1, max_size=12), METHODS, LEVELS)
def test_completion_rates_equal_scalar_results(
    pairs: list[tuple[int, int]], method: str, level: float
) -> None:
    xs, ns = zip(*pairs, strict=True)
    v = stats.completion_rates(xs, ns, method=method, confidence_level=level)
    for i, (x, n) in enumerate(pairs):
        s = stats.completion_rate(x, n, method=method, confidence_level=level)
        assert v.low[i] == pytest.approx(s.ci.low, abs=1e-9)
        assert v.high[i] == pytest.approx(s.ci.high, abs=1e-9)
        assert v.estimate[i] == pytest.approx(s.estimate, abs=1e-15)
        assert v.estimate_method[i] == s.estimate_method


@PROPERTY_SETTINGS
@given(times_st, LEVELS)
def test_time_interval_contains_the_geometric_mean(
    seconds: list[float], level: float
) -> None:
    r = stats.time_on_task(seconds, confidence_level=level)
    assert min(seconds) * (1 - 1e-12) <= r.geometric_mean <= max(seconds) * (1 + 1e-12)
    if len(seconds) == 1:
        assert r.ci is None
    else:
        assert r.ci is not None
        assert 0 < r.ci.low <= r.geometric_mean * (1 + 1e-12)
        assert r.geometric_mean <= r.ci.high * (1 + 1e-12)


@PROPERTY_SETTINGS
@given(times_st.filter(lambda t: len(t) >= 2 and len(set(t)) > 1))
def test_time_interval_narrows_as_n_grows(seconds: list[float]) -> None:
    small = stats.time_on_task(seconds).ci
    large = stats.time_on_task(seconds * 4).ci
    assert small is not None and large is not None
    assert np.log(large.high / large.low) < np.log(small.high / small.low)


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.lists(
            st.one_of(st.none(), st.floats(0.5, 3600, allow_nan=False)),
            min_size=4,
            max_size=4,
        ),
        min_size=0,
        max_size=30,
    ),
    LEVELS,
)
def test_times_summary_equals_scalar_results(
    rows: list[list[float | None]], level: float
) -> None:
    matrix = np.array(rows, dtype=float).reshape(len(rows), 4)
    v = stats.times_summary(matrix, confidence_level=level)
    for j in range(4):
        col = matrix[:, j][~np.isnan(matrix[:, j])]
        if col.size == 0:
            assert v.n[j] == 0
            continue
        s = stats.time_on_task(col, confidence_level=level)
        assert v.geometric_mean[j] == pytest.approx(s.geometric_mean, rel=1e-9)
        assert v.median[j] == pytest.approx(s.median, rel=1e-12)
        assert v.center[j] == pytest.approx(s.center, rel=1e-9)
        if s.ci is not None:
            assert v.low[j] == pytest.approx(s.ci.low, rel=1e-9)
            assert v.high[j] == pytest.approx(s.ci.high, rel=1e-9)


answers_st = st.lists(st.integers(1, 5), min_size=10, max_size=10)


@PROPERTY_SETTINGS
@given(st.lists(answers_st, min_size=1, max_size=20))
def test_sus_vectorised_equals_scalar(rows: list[list[int]]) -> None:
    many = stats.sus_score(rows)
    assert isinstance(many, np.ndarray)
    assert many.tolist() == [stats.sus_score(r) for r in rows]
    assert ((many >= 0) & (many <= 100)).all()
    assert stats.sus_grade(many).tolist() == [stats.sus_grade(float(s)) for s in many]
    assert stats.sus_adjective(many).tolist() == [
        stats.sus_adjective(float(s)) for s in many
    ]
    assert stats.sus_acceptability(many).tolist() == [
        stats.sus_acceptability(float(s)) for s in many
    ]
    assert stats.sus_percentile(many).tolist() == [
        stats.sus_percentile(float(s)) for s in many
    ]


@PROPERTY_SETTINGS
@given(answers_st, st.integers(0, 9))
def test_missing_item_policies_stay_in_range(answers: list[int], item: int) -> None:
    blanked: list[int | None] = list(answers)
    blanked[item] = None
    for policy in ("impute-center", "prorate"):
        score = stats.sus_score(blanked, missing=policy)
        assert isinstance(score, float)
        assert 0.0 <= score <= 100.0


@PROPERTY_SETTINGS
@given(
    st.lists(st.sampled_from([x / 2 for x in range(201)]), min_size=2, max_size=40),
    LEVELS,
)
def test_sus_interval_is_inside_0_100_and_contains_the_mean(
    scores: list[float], level: float
) -> None:
    r = stats.sus_summary(scores, confidence_level=level)
    assert r.ci is not None
    assert 0.0 <= r.ci.low <= r.mean + 1e-9 and r.mean - 1e-9 <= r.ci.high <= 100.0


@PROPERTY_SETTINGS
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), LEVELS)
def test_nps_interval_is_inside_the_scale(
    pro: int, pas: int, det: int, level: float
) -> None:
    if pro + pas + det == 0:
        return
    for method in ("wald", "adjusted-wald"):
        r = stats.nps_from_counts(pro, pas, det, method=method, confidence_level=level)
        assert -100.0 <= r.ci.low <= r.ci.high <= 100.0
        assert -100.0 <= r.score <= 100.0
        if method == "wald":
            assert r.ci.low - 1e-9 <= r.score <= r.ci.high + 1e-9


@PROPERTY_SETTINGS
@given(counts(max_n=200), counts(max_n=200), LEVELS)
def test_difference_interval_is_inside_minus_1_1(
    a: tuple[int, int], b: tuple[int, int], level: float
) -> None:
    r = stats.compare_completion(*a, *b, confidence_level=level)
    assert -1.0 <= r.ci.low <= r.ci.high <= 1.0
    if r.p_value is not None:
        assert 0.0 <= r.p_value <= 1.0
