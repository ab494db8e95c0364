"""Result objects returned by :mod:`uxlab.stats`.

Every result is a small frozen dataclass (or a named tuple for an interval) that
carries its estimate, its confidence interval and the inputs that produced it,
so a report can always say *how* a number was obtained.  ``None`` marks a value
that is undefined for the data (for example a confidence interval from a single
observation) rather than ``nan`` or ``inf``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "ComparisonResult",
    "CompletionRates",
    "ConfidenceInterval",
    "NPSResult",
    "PlacementResult",
    "PreferenceResult",
    "ProportionResult",
    "RatingResult",
    "SUSResult",
    "SUSSubscales",
    "TaskTimes",
    "TimeResult",
    "TimesSummary",
    "TreeTaskResult",
    "UMUXLiteResult",
]


class ConfidenceInterval(NamedTuple):
    """Two-sided confidence interval, already clipped to the possible range."""

    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ProportionResult:
    """A proportion (completion rate, top-box share) with its interval.

    ``observed`` is x/n; ``estimate`` is the Lewis & Sauro (2006) best point
    estimate and ``estimate_method`` says which rule produced it ("wilson",
    "laplace" or "mle").  ``ci`` was computed with ``method``.
    """

    successes: int
    trials: int
    observed: float
    estimate: float
    estimate_method: str
    ci: ConfidenceInterval
    confidence_level: float
    method: str


@dataclass(frozen=True, slots=True)
class CompletionRates:
    """Many proportions at once: the vectorised form of :class:`ProportionResult`.

    Every field except ``confidence_level`` and ``method`` is an array with one
    entry per task; ``low`` and ``high`` are the interval bounds.
    """

    successes: npt.NDArray[np.int64]
    trials: npt.NDArray[np.int64]
    observed: npt.NDArray[np.float64]
    estimate: npt.NDArray[np.float64]
    estimate_method: npt.NDArray[np.str_]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    confidence_level: float
    method: str


#: A time interval reaching beyond this multiple of the longest time is not shown.
IMPLAUSIBLE_FACTOR = 100


@dataclass(frozen=True, slots=True)
class TimeResult:
    """Summary of task times in seconds.

    ``ci`` is the interval of the geometric mean (``None`` for a single time);
    ``sd`` is the sample standard deviation of the raw times (``None`` for a
    single time).  ``recommended`` names the centre to report ("geometric_mean"
    below 25 values, "median" from 25) and ``center`` is its value;
    ``center_ci`` is the interval of that same centre (the geometric mean's
    ``ci``, or ``median_ci``), so a centre is never shown with the other's
    interval.  ``median_ci`` is the distribution-free interval of the median
    (``None`` when too few times reach the confidence level).
    """

    n: int
    geometric_mean: float
    ci: ConfidenceInterval | None
    median: float
    mean: float
    sd: float | None
    recommended: str
    center: float
    median_ci: ConfidenceInterval | None = None
    center_ci: ConfidenceInterval | None = None
    values: tuple[float, ...] = ()

    def usable_ci(self, ci: ConfidenceInterval | None) -> ConfidenceInterval | None:
        """``ci`` if the data can support it, else ``None``: too few data.

        An interval from fewer than two distinct times says nothing, and one
        whose upper end is over :data:`IMPLAUSIBLE_FACTOR` times the longest
        observed time (two times, one degree of freedom) is outside any
        plausible range of the data.
        """
        if ci is None or len(set(self.values)) < 2:
            return None
        if ci.high > IMPLAUSIBLE_FACTOR * max(self.values) or not ci.low > 0:
            return None
        return ci


@dataclass(frozen=True, slots=True)
class TimesSummary:
    """Vectorised :class:`TimeResult`: one entry per task (column).

    Undefined values (a task with no times, or an interval from one time) are
    ``nan`` here, because arrays cannot hold ``None``.
    """

    n: npt.NDArray[np.int64]
    geometric_mean: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    median: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]
    sd: npt.NDArray[np.float64]
    recommended: npt.NDArray[np.str_]
    center: npt.NDArray[np.float64]
    confidence_level: float


@dataclass(frozen=True, slots=True)
class TaskTimes:
    """Times of one task split the three ways Sauro (2011) names.

    ``completion``: successful attempts only (average task completion time);
    ``failure``: failed attempts only (mean time to failure);
    ``all``: every attempt (average time on task).  ``None`` when a group is
    empty.
    """

    completion: TimeResult | None
    failure: TimeResult | None
    all: TimeResult | None


@dataclass(frozen=True, slots=True)
class SUSSubscales:
    """SUS usability (8 items), learnability (items 4 and 10) and overall score."""

    usability: float | npt.NDArray[np.float64]
    learnability: float | npt.NDArray[np.float64]
    overall: float | npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SUSResult:
    """Summary of a set of SUS scores and how the mean compares with norms.

    ``t`` and ``p_value`` test the mean against the benchmark (one-sample t);
    they, ``sd`` and ``ci`` are ``None`` when undefined (one score, or no
    variability for ``t`` and ``p_value``).
    """

    n: int
    mean: float
    sd: float | None
    ci: ConfidenceInterval | None
    percentile: float
    grade: str
    adjective: str
    acceptability: str
    t: float | None
    p_value: float | None


@dataclass(frozen=True, slots=True)
class RatingResult:
    """Summary of a rating item (SEQ, CES, CSAT, any Likert item).

    ``top_box`` and ``top2_box`` are the shares of answers at the top point and
    in the top two points; ``t`` and ``p_value`` compare the mean with the
    benchmark, and are ``None`` when no benchmark was given or they are
    undefined.
    """

    n: int
    mean: float
    sd: float | None
    ci: ConfidenceInterval | None
    top_box: float
    top2_box: float
    t: float | None
    p_value: float | None


@dataclass(frozen=True, slots=True)
class UMUXLiteResult:
    """UMUX-Lite score (0-100) and its regression-based SUS equivalent."""

    score: float | npt.NDArray[np.float64]
    sus_equivalent: float | npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class NPSResult:
    """Net Promoter Score (-100..100) with its interval, on the same scale."""

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float
    ci: ConfidenceInterval
    method: str


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """Difference between two designs with its interval and test.

    ``difference`` is on the scale named by ``method`` (difference of
    proportions, ratio of geometric means, difference of means).  ``statistic``
    and ``p_value`` are ``None`` when the test is undefined (no variability).
    """

    difference: float
    ci: ConfidenceInterval
    statistic: float | None
    p_value: float | None
    method: str


@dataclass(frozen=True, slots=True)
class TreeTaskResult:
    """Outcome of one tree-test task over its participants.

    Every share is a :class:`ProportionResult` of the ``n`` attempts with its
    adjusted-Wald interval.  ``success``, ``failure`` and ``skip`` add up to
    ``n``; each splits into a direct part (no backtracking) and an indirect
    one.  ``directness`` is the share of attempts, whatever their answer, with
    no backtracking.  ``first_click`` is the share of attempts whose first
    click was on a path to a correct node (attempts with no click count as
    wrong); ``success_after_correct_first_click`` and
    ``success_after_wrong_first_click`` split the success rate by it (``None``
    when a group is empty).  ``time`` summarises the attempts' times (``None``
    without times).  ``destinations`` counts the chosen nodes, most chosen
    first (skips are not destinations); ``correct`` lists the correct nodes.
    ``outcome``, ``direct`` and ``first_click_correct`` hold each attempt's
    own values, in input order.
    """

    n: int
    success: ProportionResult
    direct_success: ProportionResult
    indirect_success: ProportionResult
    failure: ProportionResult
    direct_failure: ProportionResult
    indirect_failure: ProportionResult
    skip: ProportionResult
    direct_skip: ProportionResult
    indirect_skip: ProportionResult
    directness: ProportionResult
    first_click: ProportionResult
    success_after_correct_first_click: ProportionResult | None
    success_after_wrong_first_click: ProportionResult | None
    time: TimeResult | None
    destinations: dict[Hashable, int]
    correct: frozenset[Hashable]
    outcome: npt.NDArray[np.str_]
    direct: npt.NDArray[np.bool_]
    first_click_correct: npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class PlacementResult:
    """Where the participants of a closed or hybrid card sort put each card.

    Rows follow ``cards`` and columns ``categories``.  ``counts[i, j]`` is the
    number of participants who put card i in category j, ``other[i]`` those
    who put it in a group of their own (hybrid sorts) and ``placed[i]`` all
    who sorted it; ``shares`` is ``counts / placed`` (``nan`` for a card nobody
    sorted).  Per card, ``top_category`` is the most chosen category (``None``
    when nobody sorted it; ties go to the earlier category), ``agreement`` its
    share and ``low``/``high`` its interval, computed with ``method``.  A card
    that every participant put in a group of their own has no top category
    and an agreement of 0.
    """

    cards: tuple[Hashable, ...]
    categories: tuple[Hashable, ...]
    counts: npt.NDArray[np.int64]
    other: npt.NDArray[np.int64]
    placed: npt.NDArray[np.int64]
    shares: npt.NDArray[np.float64]
    top_category: tuple[Hashable | None, ...]
    agreement: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    confidence_level: float
    method: str


@dataclass(frozen=True, slots=True)
class PreferenceResult:
    """Shares of a preference test and a test against equal preference.

    ``shares`` holds each option's share of the ``n`` choices with its
    adjusted-Wald interval.  ``test`` is "binomial" (two options, exact
    two-sided test of 1/2; ``statistic`` is the first option's share) or
    "chi-square" (goodness of fit against 1/k; ``statistic`` is the
    chi-square with ``df`` degrees of freedom).  ``small_expected`` is true
    when the chi-square's expected count per option is below 5, where its
    p-value is approximate.  ``above_equal_share[i]`` is true when option i's
    interval lies wholly above 1/k: the only case where it can be called
    preferred.
    """

    counts: npt.NDArray[np.int64]
    n: int
    shares: CompletionRates
    test: str
    statistic: float
    df: int | None
    p_value: float
    small_expected: bool
    above_equal_share: npt.NDArray[np.bool_]
    confidence_level: float
