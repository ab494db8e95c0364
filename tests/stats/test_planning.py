"""Sample sizes, problem discovery and lostness."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from uxlab import stats


def _adjusted_wald_margin(n: int, p: float, level: float) -> float:
    """Expected adjusted-Wald half-width at n with x = p n (stats-methods.md 7)."""
    z = float(special.ndtri(0.5 + level / 2))
    n_adj = n + z**2
    p_adj = (p * n + z**2 / 2) / n_adj
    return z * math.sqrt(p_adj * (1 - p_adj) / n_adj)


@pytest.mark.parametrize(
    ("proportion", "margin", "level", "adjusted", "wald"),
    [
        # stats-methods.md section 7 (corrected rule: the smallest n whose
        # expected adjusted-Wald margin is <= d) and stats-cases
        # ss_proportion_moe; Wald n = z^2 p(1-p)/d^2 rounded up.
        (0.5, 0.10, 0.95, 93, 97),
        (0.5, 0.20, 0.95, 21, 25),
        (0.8, 0.15, 0.90, 20, 20),  # the shortcut gave 17
        (0.9, 0.10, 0.95, 41, 35),  # the shortcut gave 31 (delivers +/-11.7)
        (0.95, 0.05, 0.95, 94, 73),
        (0.8, 0.15, 0.95, 28, 28),
        (0.02, 0.10, 0.95, 26, 8),  # the shortcut gave 4
    ],
)
def test_sample_size_for_proportion(
    proportion: float, margin: float, level: float, adjusted: int, wald: int
) -> None:
    kwargs: dict[str, Any] = {"proportion": proportion, "confidence_level": level}
    assert stats.sample_size_for_proportion(margin, **kwargs) == adjusted
    assert stats.sample_size_for_proportion(margin, method="wald", **kwargs) == wald


@pytest.mark.parametrize(
    ("margin", "level", "raw_adjusted", "raw_wald"),
    [
        # stats-cases ss_proportion_moe: at p = 0.5 the corrected rule equals
        # ceil(z^2 p(1-p)/d^2 - z^2) (Sauro & Lewis QUX ch. 6).
        (0.10, 0.95, 92.195, 96.0365),
        (0.20, 0.95, 20.1677, 24.0091),
    ],
)
def test_adjusted_wald_shortcut_holds_at_one_half(
    margin: float, level: float, raw_adjusted: float, raw_wald: float
) -> None:
    z = float(special.ndtri(0.5 + level / 2))
    raw = z**2 * 0.25 / margin**2
    assert raw == pytest.approx(raw_wald, abs=1e-4)
    assert raw - z**2 == pytest.approx(raw_adjusted, abs=1e-4)
    n = stats.sample_size_for_proportion(margin, confidence_level=level)
    assert n == math.ceil(raw_adjusted)


def test_the_old_shortcut_misses_the_margin_at_90_percent() -> None:
    # stats-methods.md section 7: 31 participants at 90 % deliver +/-11.7.
    assert _adjusted_wald_margin(31, 0.9, 0.95) == pytest.approx(0.117, abs=5e-4)
    assert _adjusted_wald_margin(41, 0.9, 0.95) <= 0.10


@settings(max_examples=80, deadline=None)
@given(
    st.floats(0.01, 0.5),
    st.floats(0.0, 1.0),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_planned_n_delivers_the_margin_and_one_fewer_does_not(
    margin: float, proportion: float, level: float
) -> None:
    n = stats.sample_size_for_proportion(
        margin, proportion=proportion, confidence_level=level
    )
    assert _adjusted_wald_margin(n, proportion, level) <= margin * (1 + 1e-12)
    if n > 1:
        assert _adjusted_wald_margin(n - 1, proportion, level) > margin


def test_sample_size_for_proportion_never_below_one() -> None:
    assert stats.sample_size_for_proportion(0.5, proportion=0.01) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": 0}, "margin"),
        ({"margin": 1.2}, "margin"),
        ({"margin": 0.1, "proportion": 1.5}, "proportion"),
        ({"margin": 0.1, "method": "exact"}, "method"),
        ({"margin": 0.1, "confidence_level": 95}, "confidence_level"),
    ],
)
def test_sample_size_for_proportion_rejects(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        stats.sample_size_for_proportion(**kwargs)  # type: ignore[arg-type]


def test_sample_size_for_mean() -> None:
    # stats-methods.md section 7: sd 17.7, +/-5 -> 51 with t (z only gives 49).
    assert stats.sample_size_for_mean(5, sd=17.7) == 51
    z_only = math.ceil((float(special.ndtri(0.975)) * 17.7 / 5) ** 2)
    assert z_only == 49


def test_sample_size_for_mean_is_the_smallest_n_that_works() -> None:
    from scipy import stats as sps

    for sd, margin, level in ((17.7, 5, 0.95), (1.2, 0.5, 0.9), (10, 30, 0.99)):
        n = stats.sample_size_for_mean(margin, sd=sd, confidence_level=level)
        q = 0.5 + level / 2
        assert sps.t.ppf(q, n - 1) * sd / math.sqrt(n) <= margin + 1e-9
        if n > 2:
            assert sps.t.ppf(q, n - 2) * sd / math.sqrt(n - 1) > margin


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"margin": -1, "sd": 2}, "margin"), ({"margin": 1, "sd": 0}, "sd")],
)
def test_sample_size_for_mean_rejects(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.sample_size_for_mean(**kwargs)


def test_problem_discovery() -> None:
    # stats-methods.md section 7: p = .31, n = 5 -> 0.8436 (QUX ch. 7,
    # "five users find ~85%"; Virzi 1992, Nielsen & Landauer 1993).
    assert stats.problem_discovery(0.31, 5) == pytest.approx(0.8436, abs=1e-4)
    assert stats.problem_discovery(0.0, 10) == 0.0
    assert stats.problem_discovery(0.3, 0) == 0.0
    assert stats.problem_discovery(1.0, 1) == 1.0


@pytest.mark.parametrize(
    ("p", "goal", "n"),
    [
        # stats-cases ss_problem_discovery_n: Sauro (2008) log(.10)/log(.90)
        # = 21.85 -> 22.
        (0.10, 0.90, 22),
        # stats-methods.md section 7: exactly 2 (epsilon before the ceiling).
        (0.5, 0.75, 2),
        (0.31, 0.85, 6),
        (1.0, 0.99, 1),
    ],
)
def test_sample_size_for_discovery(p: float, goal: float, n: int) -> None:
    assert stats.sample_size_for_discovery(p, goal) == n


def test_discovery_raw_value() -> None:
    # stats-cases ss_problem_discovery_n: n_raw 21.8543.
    assert math.log(1 - 0.9) / math.log(1 - 0.1) == pytest.approx(21.8543, abs=1e-4)
    assert stats.problem_discovery(0.1, 22) >= 0.9 > stats.problem_discovery(0.1, 21)


@pytest.mark.parametrize(
    ("p", "goal", "message"),
    [(0.0, 0.9, "p"), (0.1, 1.0, "goal"), (0.1, 0.0, "goal"), (1.5, 0.5, "p")],
)
def test_sample_size_for_discovery_rejects(p: float, goal: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.sample_size_for_discovery(p, goal)


@pytest.mark.parametrize(("p", "n"), [(-0.1, 5), (0.3, -1), (0.3, 2.5)])
def test_problem_discovery_rejects(p: float, n: int) -> None:
    with pytest.raises(ValueError):
        stats.problem_discovery(p, n)


@pytest.mark.parametrize(
    ("unique", "total", "minimum", "value", "category"),
    [
        # stats-cases lostness_values: Smith (1996) Interacting with Computers
        # 8(4):365-381; L < 0.4 not lost, L > 0.5 lost (Otter & Johnson 2000;
        # Sauro 2018).  Values computed.
        (3, 3, 3, 0.0, "not lost"),
        (5, 7, 3, 0.491561, "indeterminate"),
        (4, 6, 3, 0.416667, "indeterminate"),
        (10, 100, 1, 1.272792, "lost"),  # exceeds 1
        (6, 6, 3, 0.5, "indeterminate"),
        (2, 4, 3, 0.707107, "lost"),  # N < R on an abandoned task: not clamped
    ],
)
def test_lostness(
    unique: int, total: int, minimum: int, value: float, category: str
) -> None:
    got = stats.lostness(unique, total, minimum)
    assert got == pytest.approx(value, abs=1e-6)
    assert stats.lostness_category(got) == category


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 3, 3), "unique_pages"),
        ((5, 4, 3), "total_pages"),
        ((3, 3, 0), "minimum_pages"),
        ((3.5, 4, 3), "unique_pages"),
    ],
)
def test_lostness_rejects(args: tuple[int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.lostness(*args)


def test_lostness_category_rejects_negative() -> None:
    with pytest.raises(ValueError, match="value"):
        stats.lostness_category(-0.1)
