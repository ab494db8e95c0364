"""SUS, rating items, CSAT, UMUX-Lite and NPS."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from uxlab import stats

WORKED = [4, 1, 5, 2, 5, 1, 4, 2, 3, 1]


class TestSUSScore:
    def test_worked_example(self) -> None:
        # stats-methods.md section 3: silleknarf/SUS README, 4,1,5,2,5,1,4,2,3,1 -> 85.
        assert stats.sus_score(WORKED) == 85.0

    @pytest.mark.parametrize(
        ("answers", "score"),
        [
            # stats-cases sus_score_extremes: Brooke (1996); first two are the
            # examples in jjw3952/mcotear R/sus_score.R; identical answers give 50.
            ([5, 1] * 5, 100.0),
            ([1, 5] * 5, 0.0),
            ([3] * 10, 50.0),
            ([5] * 10, 50.0),
            ([1] * 10, 50.0),
        ],
    )
    def test_extremes(self, answers: list[int], score: float) -> None:
        assert stats.sus_score(answers) == score

    def test_many_respondents(self) -> None:
        scores = stats.sus_score([WORKED, [5, 1] * 5, [3] * 10])
        assert isinstance(scores, np.ndarray)
        assert scores.tolist() == [85.0, 100.0, 50.0]
        assert np.asarray(stats.sus_score(np.empty((0, 10)))).shape == (0,)

    def test_one_respondent_returns_a_float(self) -> None:
        assert type(stats.sus_score(np.array(WORKED))) is float

    def test_missing_item_policies_disagree(self) -> None:
        # stats-methods.md section 3: nine perfect answers, item 10 blank:
        # 95.0 with Brooke's (1996) centre point, 100.0 prorated (Lewis & Sauro 2017).
        answers = [5, 1, 5, 1, 5, 1, 5, 1, 5, None]
        assert stats.sus_score(answers, missing="impute-center") == 95.0
        assert stats.sus_score(answers, missing="prorate") == 100.0
        with pytest.raises(ValueError, match="item 10"):
            stats.sus_score(answers)

    def test_prorate_is_sum_times_100_over_4k(self) -> None:
        # Lewis & Sauro (2017) JUS 13(1): sum of k adjusted scores x 100/(4k).
        answers = np.array([[4, 1, np.nan, 2, 5, np.nan, 4, 2, 3, 1]], dtype=float)
        contributions = [3, 4, 3, 4, 3, 3, 2, 4]
        expected = sum(contributions) * 100 / (4 * 8)
        prorated = np.asarray(stats.sus_score(answers, missing="prorate"))
        assert prorated[0] == pytest.approx(expected)
        imputed = (sum(contributions) + 2 + 2) * 2.5
        assert (
            np.asarray(stats.sus_score(answers, missing="impute-center"))[0] == imputed
        )

    def test_complete_answers_score_the_same_under_every_policy(self) -> None:
        for policy in ("error", "impute-center", "prorate"):
            assert stats.sus_score(WORKED, missing=policy) == 85.0

    @pytest.mark.parametrize(
        ("answers", "message"),
        [
            ([4, 1, 5, 2, 5, 1, 4, 2, 3], "shape"),
            ([4, 1, 5, 2, 5, 1, 4, 2, 3, 1, 1], "shape"),
            ([[[3] * 10]], "shape"),
            ([0, 1, 5, 2, 5, 1, 4, 2, 3, 1], "1..5"),
            ([6, 1, 5, 2, 5, 1, 4, 2, 3, 1], "1..5"),
            ([4.5, 1, 5, 2, 5, 1, 4, 2, 3, 1], "1..5"),
            ([math.inf, 1, 5, 2, 5, 1, 4, 2, 3, 1], "infinite"),
            (["a"] * 10, "numbers"),
        ],
    )
    def test_rejected_answers(self, answers: object, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            stats.sus_score(answers)

    def test_blank_respondent_is_rejected_under_every_policy(self) -> None:
        for policy in ("impute-center", "prorate"):
            with pytest.raises(ValueError, match="all missing"):
                stats.sus_score([[None] * 10], missing=policy)

    def test_unknown_policy(self) -> None:
        with pytest.raises(ValueError, match=r"missing \('zero'\) must be one of"):
            stats.sus_score(WORKED, missing="zero")


def test_subscales() -> None:
    # stats-cases sus_subscales: Lewis & Sauro (2009) HCII, learnability items
    # 4 and 10 x 12.5, usability the other eight x 3.125.
    r = stats.sus_subscales(WORKED)
    assert r == stats.SUSSubscales(usability=84.375, learnability=87.5, overall=85.0)
    many = stats.sus_subscales([WORKED, [5, 1] * 5])
    assert np.asarray(many.learnability).tolist() == [87.5, 100.0]
    with pytest.raises(ValueError, match="missing"):
        stats.sus_subscales([5, 1, 5, 1, 5, 1, 5, 1, 5, None])


class TestSUSSummary:
    def test_identical_scores(self) -> None:
        # stats-cases sus_mean_ci_identical: zero variance -> zero-width CI.
        r = stats.sus_summary([75, 75, 75])
        assert (r.mean, r.sd) == (75.0, 0.0)
        assert r.ci == (75.0, 75.0)
        assert r.t is None and r.p_value is None  # "no variability", not p = 0

    def test_matches_scipy_one_sample_t(self) -> None:
        # Cross-check: scipy.stats.ttest_1samp and its confidence_interval.
        scores = [72.5, 85.0, 67.5, 90.0, 77.5, 62.5, 55.0]
        ref = sps.ttest_1samp(scores, 68.0)
        r = stats.sus_summary(scores, confidence_level=0.9)
        assert r.t == pytest.approx(ref.statistic, rel=1e-12)
        assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
        assert r.ci == pytest.approx(tuple(ref.confidence_interval(0.9)), rel=1e-12)
        assert r.sd == pytest.approx(np.std(scores, ddof=1))
        assert r.n == 7

    def test_norms_describe_the_mean(self) -> None:
        r = stats.sus_summary([60.0, 76.0])
        assert r.mean == 68.0
        assert (r.grade, r.adjective, r.acceptability) == ("C", "Good", "marginal")
        assert r.percentile == pytest.approx(50.0, abs=3)

    def test_interval_is_clipped_to_0_100(self) -> None:
        r = stats.sus_summary([100, 100, 97.5])
        assert r.ci is not None and r.ci.high == 100.0

    def test_single_score(self) -> None:
        r = stats.sus_summary([80])
        assert r.ci is None and r.sd is None and r.t is None
        assert r.grade == "A-"

    def test_benchmark(self) -> None:
        r = stats.sus_summary([70, 80, 90], benchmark=80)
        assert r.t == 0.0 and r.p_value == pytest.approx(1.0)

    @pytest.mark.parametrize(
        ("scores", "kwargs", "message"),
        [
            ([], {}, "at least 1"),
            ([101], {}, r"\[0, 100\]"),
            ([-1], {}, r"\[0, 100\]"),
            ([math.nan], {}, "non-finite"),
            ([70], {"benchmark": 120}, "benchmark"),
            ([70], {"confidence_level": 2}, "confidence_level"),
        ],
    )
    def test_rejected(
        self, scores: list[float], kwargs: dict[str, float], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.sus_summary(scores, **kwargs)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        # stats-cases sus_grade_cgs_between_decimals: lower-bound-inclusive CGS
        # thresholds (Sauro & Lewis 2016) for means between printed bands.
        (84.05, "A"),
        (80.75, "A-"),
        (51.65, "F"),
        (71.05, "C"),
        # Sauro & Lewis (2016) CGS band floors and ceilings.
        (100.0, "A+"),
        (84.1, "A+"),
        (80.8, "A"),
        (78.9, "A-"),
        (77.2, "B+"),
        (74.1, "B"),
        (72.6, "B-"),
        (71.1, "C+"),
        (65.0, "C"),
        (62.7, "C-"),
        (51.7, "D"),
        (0.0, "F"),
        # stats-methods.md section 3: 80.5 is "A-" on the 2016 CGS.
        (80.5, "A-"),
    ],
)
def test_sus_grade(score: float, grade: str) -> None:
    assert stats.sus_grade(score) == grade


def test_sus_grade_vectorised() -> None:
    got = stats.sus_grade(np.array([84.05, 80.75, 51.65, 71.05]))
    assert got.tolist() == ["A", "A-", "F", "C"]


@pytest.mark.parametrize(
    ("score", "low", "high"),
    [
        # stats-cases sus_percentile_band_consistency: Sauro & Lewis (2016) CGS
        # percentile column.
        (84.1, 96, 100),
        (80.8, 90, 95),
        (74.1, 70, 79),
        (65.0, 41, 59),
        (51.7, 15, 34),
    ],
)
def test_sus_percentile_inside_its_grade_band(
    score: float, low: int, high: int
) -> None:
    assert low <= stats.sus_percentile(score) <= high


@pytest.mark.parametrize(
    ("score", "percentile"),
    [
        # stats-methods.md section 3 anchors, +/-3 points: Sauro (2018)
        # 68 -> 50th, 75 -> 73rd, 52 -> 15th; Sauro (2011) 74 -> 70th, 80.3 -> 90th.
        (68.0, 50),
        (75.0, 73),
        (52.0, 15),
        (74.0, 70),
        (80.3, 90),
    ],
)
def test_sus_percentile_anchors(score: float, percentile: int) -> None:
    assert stats.sus_percentile(score) == pytest.approx(percentile, abs=3)


def test_sus_percentile_is_monotone_and_bounded() -> None:
    grid = np.linspace(0, 100, 1001)
    ranks = stats.sus_percentile(grid)
    assert ranks[0] == 0 and ranks[-1] == 100
    assert (np.diff(ranks) >= 0).all()


@pytest.mark.parametrize(
    ("score", "adjective"),
    [
        # Bangor, Kortum & Miller (2009) JUS 4(3) Table 3 means map to themselves.
        (12.5, "Worst Imaginable"),
        (20.3, "Awful"),
        (35.7, "Poor"),
        (50.9, "OK"),
        (71.4, "Good"),
        (85.5, "Excellent"),
        (90.9, "Best Imaginable"),
        # Nearest-mean cuts (stats-methods.md section 3): 16.4 ... 88.2, a cut goes up.
        (16.39, "Worst Imaginable"),
        (16.4, "Awful"),
        (61.15, "Good"),
        (61.1, "OK"),
        (88.2, "Best Imaginable"),
        (0.0, "Worst Imaginable"),
        (100.0, "Best Imaginable"),
    ],
)
def test_sus_adjective(score: float, adjective: str) -> None:
    assert stats.sus_adjective(score) == adjective


@pytest.mark.parametrize(
    ("score", "label"),
    [
        # Bangor, Kortum & Miller (2008) IJHCI 24(6): <50 not acceptable,
        # 50-70 marginal, >70 acceptable.
        (49.9, "not acceptable"),
        (50.0, "marginal"),
        (70.0, "marginal"),
        (70.1, "acceptable"),
    ],
)
def test_sus_acceptability(score: float, label: str) -> None:
    assert stats.sus_acceptability(score) == label


@pytest.mark.parametrize(
    "func",
    [
        stats.sus_grade,
        stats.sus_percentile,
        stats.sus_adjective,
        stats.sus_acceptability,
    ],
)
@pytest.mark.parametrize("bad", [-0.1, 100.1, math.nan, math.inf])
def test_sus_norms_reject_impossible_scores(func: object, bad: float) -> None:
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        func(bad)  # type: ignore[operator]


class TestRatingSummary:
    def test_seq(self) -> None:
        # stats-cases seq_summary: computed t interval; benchmark 5.5 = average
        # SEQ per Sauro (2012) "10 Things to Know About the SEQ".
        r = stats.rating_summary([7, 6, 5, 7, 4, 6, 7, 5, 3, 6], benchmark=5.5)
        assert r.mean == pytest.approx(5.6, abs=1e-5)
        assert r.sd == pytest.approx(1.349897, abs=1e-5)
        assert r.ci is not None
        assert r.ci.low == pytest.approx(4.634342, abs=1e-5)
        assert r.ci.high == pytest.approx(6.565658, abs=1e-5)
        assert r.top_box == pytest.approx(0.3, abs=1e-5)
        assert r.top2_box == pytest.approx(0.6, abs=1e-5)
        assert r.t == pytest.approx(0.234261, abs=1e-5)
        assert r.p_value == pytest.approx(0.820025, abs=1e-5)

    def test_ces(self) -> None:
        # stats-cases ces_summary: CES 2.0, 7-point agreement; mean and % agree (5-7).
        ratings = [7, 6, 5, 3, 7, 4, 6]
        assert stats.rating_summary(ratings).mean == pytest.approx(5.428571, abs=1e-5)
        agree = stats.top_box(ratings, scale=(1, 7), boxes=3)
        assert 100 * agree.observed == pytest.approx(71.428571, abs=1e-5)

    def test_no_benchmark_means_no_test(self) -> None:
        r = stats.rating_summary([1, 2, 3])
        assert r.t is None and r.p_value is None

    def test_other_scales_and_clipping(self) -> None:
        r = stats.rating_summary([5, 5, 4], scale=(1, 5))
        assert r.top_box == pytest.approx(2 / 3)
        assert r.top2_box == 1.0
        assert r.ci is not None and r.ci.high == 5.0

    def test_single_rating_and_identical_ratings(self) -> None:
        one = stats.rating_summary([6], benchmark=5.5)
        assert one.ci is None and one.sd is None and one.t is None
        same = stats.rating_summary([6, 6, 6], benchmark=5.5)
        assert same.ci == (6.0, 6.0) and same.t is None and same.p_value is None

    @pytest.mark.parametrize(
        ("ratings", "kwargs", "message"),
        [
            ([8], {}, "1..7"),
            ([0], {}, "1..7"),
            ([5.5], {}, "1..7"),
            ([6], {"scale": (1, 5)}, "1..5"),
            ([], {}, "at least 1"),
            ([3], {"scale": (7, 1)}, "scale"),
            ([3], {"scale": (1,)}, "scale"),
            ([3], {"scale": (1.5, 7)}, "scale"),
            ([3], {"benchmark": math.nan}, "benchmark"),
        ],
    )
    def test_rejected(
        self, ratings: list[float], kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.rating_summary(ratings, **kwargs)  # type: ignore[arg-type]


def test_top_box_rejects_too_many_boxes() -> None:
    with pytest.raises(ValueError, match="boxes"):
        stats.top_box([1, 2], scale=(1, 5), boxes=6)
    with pytest.raises(ValueError, match="boxes"):
        stats.top_box([1, 2], boxes=0)


def test_csat_is_top_two_box_with_adjusted_wald() -> None:
    # stats-methods.md section 4: CSAT = % of 4-5 on a 5-point item with an
    # adjusted-Wald CI (Sauro & Lewis 2005) on that count.
    ratings = [5, 4, 4, 3, 5, 2, 4, 5]
    r = stats.csat(ratings)
    assert (r.successes, r.trials) == (6, 8)
    assert r.method == "adjusted-wald"
    assert r.ci == stats.completion_rate(6, 8).ci
    assert stats.csat([7, 6, 5], scale_points=7).successes == 2
    with pytest.raises(ValueError, match="1..5"):
        stats.csat([6])
    with pytest.raises(ValueError, match="scale_points"):
        stats.csat([1], scale_points=2)


class TestUMUXLite:
    @pytest.mark.parametrize(
        ("item1", "item2", "score", "sus"),
        [
            # Lewis, Utesch & Maher (2013) CHI: ((i1-1)+(i2-1))/12 x 100 and
            # UMUX-LITEr = 0.65 x score + 22.9 (range 22.9-87.9).
            (1, 1, 0.0, 22.9),
            (7, 7, 100.0, 87.9),
            (4, 4, 50.0, 55.4),
            (6, 7, 1100 / 12, 0.65 * 1100 / 12 + 22.9),
        ],
    )
    def test_values(self, item1: int, item2: int, score: float, sus: float) -> None:
        r = stats.umux_lite(item1, item2)
        assert r.score == pytest.approx(score)
        assert r.sus_equivalent == pytest.approx(sus)

    def test_arrays_and_five_points(self) -> None:
        r = stats.umux_lite([1, 7, 4], [1, 7, 4])
        assert np.asarray(r.score).tolist() == [0.0, 100.0, 50.0]
        # stats-methods.md section 4: 5-point variants divide by 8.
        assert stats.umux_lite(5, 3, scale_points=5).score == pytest.approx(75.0)

    @pytest.mark.parametrize(
        ("item1", "item2", "kwargs", "message"),
        [
            (8, 7, {}, "item1"),
            (7, 0, {}, "item2"),
            ([1, 2], [1], {}, "same shape"),
            (6, 5, {"scale_points": 5}, "item1"),
            (3, 3, {"scale_points": 10}, "scale_points"),
        ],
    )
    def test_rejected(
        self, item1: object, item2: object, kwargs: dict[str, int], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.umux_lite(item1, item2, **kwargs)


class TestNPS:
    def test_wald_50_30_20(self) -> None:
        # stats-cases nps_wald_50_30_20: variance p_P + p_D - (p_P - p_D)^2
        # (Rocks 2016, The American Statistician 70(4)); stats.mjs npsSummary.
        r = stats.nps_from_counts(50, 30, 20, method="wald")
        assert r.score == pytest.approx(30.0, abs=1e-4)
        assert r.ci.low == pytest.approx(14.6922, abs=1e-4)
        assert r.ci.high == pytest.approx(45.3078, abs=1e-4)
        assert (r.ci.high - r.ci.low) / 2 == pytest.approx(15.3078, abs=1e-4)

    def test_adjusted_wald_50_30_20(self) -> None:
        # stats-methods.md section 5: adjusted Wald 14.05-44.20 (Rocks 2016;
        # MeasuringU "nps-confidence-intervals").
        r = stats.nps_from_counts(50, 30, 20)
        assert r.score == 30.0  # the unadjusted NPS is the point estimate
        assert r.ci.low == pytest.approx(14.05, abs=5e-3)
        assert r.ci.high == pytest.approx(44.20, abs=5e-3)

    def test_all_promoters(self) -> None:
        # stats-cases nps_all_promoters: Wald collapses to [100, 100]; adjusted
        # Wald 47.5036-100 (raw upper 106.3426, clipped).
        assert stats.nps_from_counts(10, 0, 0, method="wald").ci == (100.0, 100.0)
        r = stats.nps_from_counts(10, 0, 0)
        assert r.score == pytest.approx(100.0, abs=1e-4)
        assert r.ci.low == pytest.approx(47.5036, abs=1e-4)
        assert r.ci.high == 100.0
        centre = 100 * (10.75 - 0.75) / 13
        assert 2 * centre - r.ci.low == pytest.approx(106.3426, abs=1e-4)

    def test_all_detractors_is_clipped_at_minus_100(self) -> None:
        r = stats.nps_from_counts(0, 0, 10)
        assert r.score == -100.0 and r.ci.low == -100.0

    def test_from_ratings(self) -> None:
        # Reichheld (2003): 0-6 detractors, 7-8 passives, 9-10 promoters.
        ratings = [0, 6, 7, 8, 9, 10, 10, 5, 9, 10]
        r = stats.nps(ratings, method="wald")
        assert (r.n, r.promoters, r.passives, r.detractors) == (10, 5, 2, 3)
        assert r.score == pytest.approx(20.0)
        assert r == stats.nps_from_counts(5, 2, 3, method="wald")

    @pytest.mark.parametrize(
        ("ratings", "kwargs", "message"),
        [
            ([11], {}, "0..10"),
            ([-1], {}, "0..10"),
            ([7.5], {}, "0..10"),
            ([], {}, "at least 1"),
            ([9], {"method": "exact"}, "method"),
        ],
    )
    def test_rejected_ratings(
        self, ratings: list[float], kwargs: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            stats.nps(ratings, **kwargs)

    @pytest.mark.parametrize(
        ("counts", "message"),
        [((0, 0, 0), "all 0"), ((-1, 2, 3), "promoters"), ((1, 2.5, 3), "passives")],
    )
    def test_rejected_counts(self, counts: tuple[int, int, int], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            stats.nps_from_counts(*counts)
