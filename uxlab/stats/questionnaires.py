"""Questionnaires: SUS, single rating items (SEQ, CES, CSAT), UMUX-Lite, NPS."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt

from ._ttest import clip_interval, one_sample
from ._validation import (
    FloatArray,
    as_float_array,
    as_sample,
    check_choice,
    check_confidence_level,
    check_int,
    check_integers_in,
    check_real,
    z_value,
)
from .proportions import completion_rate
from .results import (
    NPSResult,
    ProportionResult,
    RatingResult,
    SUSResult,
    SUSSubscales,
    UMUXLiteResult,
)

__all__ = [
    "NPS_METHODS",
    "SUS_MISSING_POLICIES",
    "csat",
    "nps",
    "nps_from_counts",
    "rating_summary",
    "sus_acceptability",
    "sus_adjective",
    "sus_grade",
    "sus_percentile",
    "sus_score",
    "sus_subscales",
    "sus_summary",
    "top_box",
    "umux_lite",
]

#: Policies for unanswered SUS items accepted by :func:`sus_score`.
SUS_MISSING_POLICIES: Final = frozenset({"error", "impute-center", "prorate"})
#: Interval methods accepted by :func:`nps`.
NPS_METHODS: Final = frozenset({"wald", "adjusted-wald"})

# Sauro & Lewis (2016) curved grading scale: inclusive lower thresholds, so a
# mean between the printed one-decimal bands (84.05) still gets a grade.
_CGS_THRESHOLDS: Final = np.array(
    [51.7, 62.7, 65.0, 71.1, 72.6, 74.1, 77.2, 78.9, 80.8, 84.1]
)
_CGS_GRADES: Final = np.array(
    ["F", "D", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+"]
)
# Percentile rank: linear interpolation through the CGS band floors and their
# percentile floors (the distribution of study means is left-skewed, so a
# normal CDF misses the published anchors).
_PCT_SCORES: Final = np.array(
    [0, 51.7, 62.7, 65.0, 71.1, 72.6, 74.1, 77.2, 78.9, 80.8, 84.1, 100]
)
_PCT_RANKS: Final = np.array([0, 15, 35, 41, 60, 65, 70, 80, 85, 90, 96, 100.0])
# Bangor, Kortum & Miller (2009) Table 3 adjective means; cuts are midpoints.
_ADJECTIVE_MEANS: Final = (12.5, 20.3, 35.7, 50.9, 71.4, 85.5, 90.9)
_ADJECTIVE_CUTS: Final = np.array([16.4, 28.0, 43.3, 61.15, 78.45, 88.2])
_ADJECTIVES: Final = np.array(
    [
        "Worst Imaginable",
        "Awful",
        "Poor",
        "OK",
        "Good",
        "Excellent",
        "Best Imaginable",
    ]
)

_ODD_ITEMS = np.arange(10) % 2 == 0  # items 1, 3, 5, 7, 9 (positively worded)
_LEARNABILITY = np.isin(np.arange(10), (3, 9))  # items 4 and 10


def _sus_answers(answers: Any, *, allow_nan: bool) -> FloatArray:
    arr = as_float_array("answers", answers)
    if arr.ndim not in (1, 2) or arr.shape[-1] != 10:
        raise ValueError(
            f"answers must have shape (10,) for one respondent or (n, 10) for "
            f"many, got shape {arr.shape}"
        )
    if np.isinf(arr).any():
        raise ValueError("answers contains an infinite value; allowed are 1..5")
    check_integers_in("answers", arr, 1, 5, allow_nan=True)
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(
            "answers contains a missing value (nan/None); sus_subscales needs all "
            "10 answers, allowed values are the integers 1..5"
        )
    return arr


def _contributions(arr: FloatArray) -> FloatArray:
    """Item contributions 0..4: odd items r - 1, even items 5 - r (Brooke 1996)."""
    return np.where(_ODD_ITEMS, arr - 1.0, 5.0 - arr)


def sus_score(
    answers: Any, *, missing: str = "error"
) -> float | npt.NDArray[np.float64]:
    r"""System Usability Scale score (0-100) of one or many respondents.

    Parameters
    ----------
    answers : array_like, shape (10,) or (n, 10)
        The ten answers, integers 1..5, in questionnaire order; ``nan`` or
        ``None`` marks an unanswered item.
    missing : {"error", "impute-center", "prorate"}, default "error"
        What to do with unanswered items.  "error" rejects them;
        "impute-center" scores them as the centre point 3, as Brooke (1996)
        instructs respondents; "prorate" drops them and rescales the rest
        (Lewis & Sauro 2017).  A respondent with no answer at all is always
        rejected.

    Returns
    -------
    float or ndarray
        A float for one respondent, an array of n scores for shape (n, 10).

    Raises
    ------
    ValueError
        On a wrong shape, an answer that is not an integer 1..5, a missing
        answer with ``missing="error"``, or an unknown policy.

    Notes
    -----
    Brooke (1996): odd items contribute :math:`r - 1`, even items
    :math:`5 - r`; :math:`\mathrm{SUS} = 2.5 \sum c_i`.  With
    ``missing="prorate"`` and :math:`k` answered items,
    :math:`\mathrm{SUS} = \frac{100}{4k} \sum_{answered} c_i` (Lewis & Sauro
    2017, "Can I leave this one out?", JUS 13(1)).  The two policies disagree:
    nine perfect answers and item 10 blank give 95.0 imputed, 100.0 prorated.

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sus_score([4, 1, 5, 2, 5, 1, 4, 2, 3, 1])
    85.0
    >>> stats.sus_score([[5, 1] * 5, [1, 5] * 5])
    array([100.,   0.])
    >>> perfect = [5, 1, 5, 1, 5, 1, 5, 1, 5, None]
    >>> stats.sus_score(perfect, missing="impute-center")
    95.0
    >>> stats.sus_score(perfect, missing="prorate")
    100.0
    """
    check_choice("missing", missing, SUS_MISSING_POLICIES)
    arr = _sus_answers(answers, allow_nan=True)
    rows = np.atleast_2d(arr)
    absent = np.isnan(rows)
    if absent.all(axis=1).any():
        i = int(np.flatnonzero(absent.all(axis=1))[0])
        raise ValueError(f"answers of respondent {i} are all missing; cannot score")
    if missing == "error" and absent.any():
        i, j = (int(k) for k in np.argwhere(absent)[0])
        raise ValueError(
            f"answers has no answer to item {j + 1} (respondent {i}); supply all "
            f"10 answers or choose missing from {sorted(SUS_MISSING_POLICIES)}"
        )
    contrib = _contributions(rows)
    scores: FloatArray
    if missing == "prorate":
        answered = (~absent).sum(axis=1)
        scores = np.where(absent, 0.0, contrib).sum(axis=1) * 100.0 / (4 * answered)
    else:
        scores = np.where(absent, 2.0, contrib).sum(axis=1) * 2.5
    if arr.ndim == 1:
        return float(scores[0])
    return scores


def sus_subscales(answers: Any) -> SUSSubscales:
    r"""SUS usability and learnability subscales (Lewis & Sauro 2009).

    Parameters
    ----------
    answers : array_like, shape (10,) or (n, 10)
        Complete answers, integers 1..5.

    Returns
    -------
    SUSSubscales
        ``usability``, ``learnability`` and ``overall`` on 0-100 scales: floats
        for one respondent, arrays for many.

    Raises
    ------
    ValueError
        On a wrong shape, a missing answer or an answer outside 1..5.

    Notes
    -----
    Lewis & Sauro (2009), "The factor structure of the System Usability
    Scale", HCII: learnability is items 4 and 10 (sum of contributions
    :math:`\times 12.5`), usability the other eight (:math:`\times 3.125`).
    The overall score is :math:`0.8\,U + 0.2\,L`.

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sus_subscales([4, 1, 5, 2, 5, 1, 4, 2, 3, 1])
    SUSSubscales(usability=84.375, learnability=87.5, overall=85.0)
    """
    arr = _sus_answers(answers, allow_nan=False)
    contrib = _contributions(np.atleast_2d(arr))
    usability = contrib[:, ~_LEARNABILITY].sum(axis=1) * 3.125
    learnability = contrib[:, _LEARNABILITY].sum(axis=1) * 12.5
    overall = contrib.sum(axis=1) * 2.5
    if arr.ndim == 1:
        return SUSSubscales(
            float(usability[0]), float(learnability[0]), float(overall[0])
        )
    return SUSSubscales(usability, learnability, overall)


def _sus_values(score: Any) -> tuple[FloatArray, bool]:
    arr = as_float_array("score", score)
    bad = ~(np.isfinite(arr) & (arr >= 0) & (arr <= 100))
    if bad.any():
        raise ValueError(
            f"score contains {arr[bad][0]!r}; SUS scores must be finite numbers "
            "in [0, 100]"
        )
    return arr, arr.ndim == 0


@overload
def sus_grade(score: float) -> str: ...
@overload
def sus_grade(score: Sequence[float] | npt.NDArray[Any]) -> npt.NDArray[np.str_]: ...
def sus_grade(
    score: float | Sequence[float] | npt.NDArray[Any],
) -> str | npt.NDArray[np.str_]:
    """Letter grade of a SUS score on the Sauro-Lewis curved grading scale.

    Parameters
    ----------
    score : float or array_like
        SUS score(s) in [0, 100], usually a study mean.

    Returns
    -------
    str or ndarray of str
        One of "A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D", "F".

    Raises
    ------
    ValueError
        If a score is not a finite number in [0, 100].

    Notes
    -----
    Sauro & Lewis (2016), QUX 2nd ed., Table 8.5; Lewis & Sauro (2018), JUS
    13(3).  Lower bounds are inclusive: A+ >= 84.1, A >= 80.8, A- >= 78.9,
    B+ >= 77.2, B >= 74.1, B- >= 72.6, C+ >= 71.1, C >= 65.0, C- >= 62.7,
    D >= 51.7, F below.  This is not Bangor's school-grade scale (A >= 90) nor
    Sauro's 2011 legacy scale (A above 80.3).

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sus_grade(68.0)
    'C'
    >>> stats.sus_grade([84.05, 80.75, 51.65]).tolist()
    ['A', 'A-', 'F']
    """
    arr, scalar = _sus_values(score)
    grades = _CGS_GRADES[np.searchsorted(_CGS_THRESHOLDS, arr, side="right")]
    return str(grades) if scalar else grades


@overload
def sus_percentile(score: float) -> float: ...
@overload
def sus_percentile(
    score: Sequence[float] | npt.NDArray[Any],
) -> npt.NDArray[np.float64]: ...
def sus_percentile(
    score: float | Sequence[float] | npt.NDArray[Any],
) -> float | npt.NDArray[np.float64]:
    """Percentile rank (0-100) of a SUS score among published study means.

    Parameters
    ----------
    score : float or array_like
        SUS score(s) in [0, 100].

    Returns
    -------
    float or ndarray
        Percentile rank.

    Raises
    ------
    ValueError
        If a score is not a finite number in [0, 100].

    Notes
    -----
    Linear interpolation through the floors of the curved grading scale bands
    and their percentile floors (Sauro & Lewis 2016): 0 -> 0, 51.7 -> 15,
    62.7 -> 35, 65.0 -> 41, 71.1 -> 60, 72.6 -> 65, 74.1 -> 70, 77.2 -> 80,
    78.9 -> 85, 80.8 -> 90, 84.1 -> 96, 100 -> 100.  It meets the published
    anchors within 3 points (68 -> 50th, 75 -> 73rd, 52 -> 15th, Sauro 2018;
    74 -> 70th, 80.3 -> 90th, Sauro 2011), which a normal(68, 12.5) CDF does
    not, because the distribution of means is left-skewed.

    Examples
    --------
    >>> from uxlab import stats
    >>> round(stats.sus_percentile(68.0), 1)
    50.3
    >>> stats.sus_percentile([52.0, 80.3]).round(1)
    array([15.5, 88.7])
    """
    arr, scalar = _sus_values(score)
    ranks = np.interp(arr, _PCT_SCORES, _PCT_RANKS)
    return float(ranks) if scalar else ranks


@overload
def sus_adjective(score: float) -> str: ...
@overload
def sus_adjective(
    score: Sequence[float] | npt.NDArray[Any],
) -> npt.NDArray[np.str_]: ...
def sus_adjective(
    score: float | Sequence[float] | npt.NDArray[Any],
) -> str | npt.NDArray[np.str_]:
    """Adjective rating of a SUS score: the Bangor et al. (2009) nearest mean.

    Parameters
    ----------
    score : float or array_like
        SUS score(s) in [0, 100].

    Returns
    -------
    str or ndarray of str
        "Worst Imaginable", "Awful", "Poor", "OK", "Good", "Excellent" or
        "Best Imaginable".

    Raises
    ------
    ValueError
        If a score is not a finite number in [0, 100].

    Notes
    -----
    Bangor, Kortum & Miller (2009), JUS 4(3), Table 3 publishes the mean SUS
    of each adjective (12.5, 20.3, 35.7, 50.9, 71.4, 85.5, 90.9), not cut-offs.
    This function names the adjective whose mean is nearest, i.e. cuts at the
    midpoints 16.4, 28.0, 43.3, 61.15, 78.45 and 88.2 (a midpoint itself goes
    up).  CGS-aligned tables found elsewhere would call 85.5 "Best Imaginable".

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sus_adjective(68.0), stats.sus_adjective(85.5)
    ('Good', 'Excellent')
    """
    arr, scalar = _sus_values(score)
    labels = _ADJECTIVES[np.searchsorted(_ADJECTIVE_CUTS, arr, side="right")]
    return str(labels) if scalar else labels


@overload
def sus_acceptability(score: float) -> str: ...
@overload
def sus_acceptability(
    score: Sequence[float] | npt.NDArray[Any],
) -> npt.NDArray[np.str_]: ...
def sus_acceptability(
    score: float | Sequence[float] | npt.NDArray[Any],
) -> str | npt.NDArray[np.str_]:
    """Acceptability range of a SUS score (Bangor, Kortum & Miller 2008).

    Parameters
    ----------
    score : float or array_like
        SUS score(s) in [0, 100].

    Returns
    -------
    str or ndarray of str
        "not acceptable" below 50, "marginal" from 50 to 70, "acceptable"
        above 70.

    Raises
    ------
    ValueError
        If a score is not a finite number in [0, 100].

    Notes
    -----
    Bangor, Kortum & Miller (2008), IJHCI 24(6), and 2009 Fig. 4.  MeasuringU
    later used 51.7 and 71.1 (the CGS D and C+ floors); this function keeps
    Bangor's 50 and 70, both of which are "marginal".

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sus_acceptability([45.0, 68.0, 72.5]).tolist()
    ['not acceptable', 'marginal', 'acceptable']
    """
    arr, scalar = _sus_values(score)
    labels = np.where(
        arr < 50, "not acceptable", np.where(arr > 70, "acceptable", "marginal")
    )
    return str(labels) if scalar else labels


def sus_summary(
    scores: Any, *, confidence_level: float = 0.95, benchmark: float = 68.0
) -> SUSResult:
    r"""Mean SUS with its t interval, norms and a test against a benchmark.

    Parameters
    ----------
    scores : array_like of float
        One SUS score (0-100) per respondent, at least one; see
        :func:`sus_score`.
    confidence_level : float, default 0.95
        Confidence level of the interval of the mean.
    benchmark : float, default 68.0
        Value the mean is tested against; 68 is the average SUS (Sauro 2011).

    Returns
    -------
    SUSResult
        ``percentile``, ``grade``, ``adjective`` and ``acceptability`` describe
        the mean (see :func:`sus_percentile`, :func:`sus_grade`,
        :func:`sus_adjective`, :func:`sus_acceptability`).  ``sd`` and ``ci``
        are ``None`` for one score; ``t`` and ``p_value`` are ``None`` for one
        score or when all scores are equal.

    Raises
    ------
    ValueError
        If ``scores`` is empty or holds a value outside [0, 100].

    Notes
    -----
    :math:`\bar x \pm t_{1-\alpha/2,\,n-1}\, s/\sqrt n`, clipped to [0, 100];
    one-sample :math:`t = (\bar x - \mu_0)/(s/\sqrt n)` with a two-sided p
    (Sauro & Lewis, QUX ch. 4 and 8).

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.sus_summary([72.5, 85.0, 67.5, 90.0, 77.5, 62.5])
    >>> round(r.mean, 2), r.grade, r.adjective, r.acceptability
    (75.83, 'B', 'Good', 'acceptable')
    >>> round(r.ci.low, 2), round(r.ci.high, 2), round(r.p_value, 3)
    (64.87, 86.8, 0.126)
    """
    confidence_level = check_confidence_level(confidence_level)
    benchmark = check_real("benchmark", benchmark, low=0.0, high=100.0)
    x = as_sample("scores", scores, min_n=1)
    _sus_values(x)
    s = one_sample(x, confidence_level, popmean=benchmark, bounds=(0.0, 100.0))
    return SUSResult(
        n=int(x.size),
        mean=s.mean,
        sd=s.sd,
        ci=s.ci,
        percentile=sus_percentile(s.mean),
        grade=sus_grade(s.mean),
        adjective=sus_adjective(s.mean),
        acceptability=sus_acceptability(s.mean),
        t=s.t,
        p_value=s.p_value,
    )


def _check_scale(scale: object) -> tuple[int, int]:
    ok = isinstance(scale, tuple | list) and len(scale) == 2
    if ok:
        try:
            lo = check_int("scale[0]", scale[0], minimum=-(10**9))  # type: ignore[index]
            hi = check_int("scale[1]", scale[1], minimum=-(10**9))  # type: ignore[index]
        except ValueError:
            ok = False
        else:
            ok = hi > lo
    if not ok:
        raise ValueError(
            f"scale ({scale!r}) must be a pair of integers (lowest, highest) with "
            "lowest < highest, such as (1, 7)"
        )
    return lo, hi


def _ratings(ratings: Any, lo: int, hi: int) -> FloatArray:
    x = as_sample("ratings", ratings, min_n=1)
    check_integers_in("ratings", x, lo, hi)
    return x


def rating_summary(
    ratings: Any,
    *,
    scale: tuple[int, int] = (1, 7),
    confidence_level: float = 0.95,
    benchmark: float | None = None,
) -> RatingResult:
    r"""Summarise a rating item: SEQ, CES, CSAT or any Likert-type item.

    Parameters
    ----------
    ratings : array_like of int
        One rating per respondent, integers within ``scale``, at least one.
    scale : (int, int), default (1, 7)
        Lowest and highest point; higher must mean better (for the 5-point
        CES 1.0 effort item, where lower is better, reverse the answers first).
    confidence_level : float, default 0.95
        Confidence level of the interval of the mean.
    benchmark : float, optional
        Value to test the mean against, such as 5.5 for the SEQ (Sauro 2012).

    Returns
    -------
    RatingResult
        Mean with its t interval (clipped to the scale), top-box and top-2-box
        shares, and the one-sample t test when a benchmark is given.

    Raises
    ------
    ValueError
        If a rating is not an integer within ``scale``, or the arguments are
        invalid.

    Notes
    -----
    :math:`\bar x \pm t_{1-\alpha/2,\,n-1}\, s/\sqrt n`; top box is the share
    at the highest point, top-2 box the share at the two highest points
    (Sauro & Lewis, QUX ch. 3; Sauro 2012, "10 things to know about the
    Single Ease Question").  For an interval on a box share use
    :func:`top_box`.

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.rating_summary([7, 6, 5, 7, 4, 6, 7, 5, 3, 6], benchmark=5.5)
    >>> r.mean, round(r.ci.low, 4), round(r.ci.high, 4)
    (5.6, 4.6343, 6.5657)
    >>> r.top_box, r.top2_box, round(r.p_value, 4)
    (0.3, 0.6, 0.82)
    """
    lo, hi = _check_scale(scale)
    confidence_level = check_confidence_level(confidence_level)
    if benchmark is not None:
        benchmark = check_real("benchmark", benchmark)
    x = _ratings(ratings, lo, hi)
    s = one_sample(x, confidence_level, popmean=benchmark, bounds=(lo, hi))
    return RatingResult(
        n=int(x.size),
        mean=s.mean,
        sd=s.sd,
        ci=s.ci,
        top_box=float(np.mean(x == hi)),
        top2_box=float(np.mean(x >= hi - 1)),
        t=s.t,
        p_value=s.p_value,
    )


def top_box(
    ratings: Any,
    *,
    scale: tuple[int, int] = (1, 7),
    boxes: int = 1,
    confidence_level: float = 0.95,
    method: str = "adjusted-wald",
) -> ProportionResult:
    """Share of ratings in the top ``boxes`` points of a scale, with its interval.

    Parameters
    ----------
    ratings : array_like of int
        One rating per respondent, integers within ``scale``.
    scale : (int, int), default (1, 7)
        Lowest and highest point.
    boxes : int, default 1
        How many of the highest points count: 1 for top box, 2 for top-2 box,
        3 for "% agree" (5-7) on a 7-point agreement item such as CES 2.0.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    method : {"adjusted-wald", "wilson", "exact", "wald"}, default "adjusted-wald"
        Interval method, as in :func:`~uxlab.stats.completion_rate`.

    Returns
    -------
    ProportionResult
        ``successes`` is the number of ratings in the top boxes.

    Raises
    ------
    ValueError
        If a rating is outside ``scale`` or ``boxes`` is not between 1 and the
        number of points.

    Notes
    -----
    A box share is a binomial proportion, so it gets the same intervals as a
    completion rate (Sauro & Lewis, QUX ch. 3).

    Examples
    --------
    CES 2.0, share who agree (5-7):

    >>> from uxlab import stats
    >>> r = stats.top_box([7, 6, 5, 3, 7, 4, 6], boxes=3)
    >>> r.successes, r.trials, round(100 * r.observed, 4)
    (5, 7, 71.4286)
    """
    lo, hi = _check_scale(scale)
    points = hi - lo + 1
    boxes = check_int("boxes", boxes, minimum=1)
    if boxes > points:
        raise ValueError(
            f"boxes ({boxes}) must be between 1 and the number of scale points "
            f"({points})"
        )
    x = _ratings(ratings, lo, hi)
    return completion_rate(
        int(np.sum(x > hi - boxes)),
        int(x.size),
        confidence_level=confidence_level,
        method=method,
    )


def csat(
    ratings: Any, *, scale_points: int = 5, confidence_level: float = 0.95
) -> ProportionResult:
    """Customer satisfaction: share of top-2-box answers with an adjusted-Wald CI.

    Parameters
    ----------
    ratings : array_like of int
        Satisfaction ratings 1..``scale_points`` (higher is more satisfied).
    scale_points : int, default 5
        Number of points of the item, at least 3.
    confidence_level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    ProportionResult
        ``observed`` is the CSAT share (multiply by 100 for a percentage).

    Raises
    ------
    ValueError
        If a rating is outside 1..``scale_points`` or ``scale_points`` < 3.

    Notes
    -----
    Definitions of CSAT vary; this is the common one: the share of 4s and 5s on
    a 5-point satisfaction item (top-2 box), with the adjusted-Wald interval of
    :func:`~uxlab.stats.completion_rate` (Sauro & Lewis 2005).

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.csat([5, 4, 4, 3, 5, 2, 4, 5])
    >>> r.observed, round(r.ci.low, 3), round(r.ci.high, 3)
    (0.75, 0.401, 0.937)
    """
    scale_points = check_int("scale_points", scale_points, minimum=3)
    return top_box(
        ratings,
        scale=(1, scale_points),
        boxes=2,
        confidence_level=confidence_level,
        method="adjusted-wald",
    )


def umux_lite(item1: Any, item2: Any, *, scale_points: int = 7) -> UMUXLiteResult:
    r"""UMUX-Lite score and its SUS-equivalent (Lewis, Utesch & Maher 2013).

    Parameters
    ----------
    item1 : int or array_like of int
        "This system's capabilities meet my requirements", 1..``scale_points``.
    item2 : int or array_like of int
        "This system is easy to use", same scale and shape as ``item1``.
    scale_points : {7, 5}, default 7
        The published form uses 7 points; 5-point variants exist.

    Returns
    -------
    UMUXLiteResult
        ``score`` (0-100) and ``sus_equivalent``: floats for scalar input,
        arrays for arrays.

    Raises
    ------
    ValueError
        If an answer is not an integer on the scale, or the shapes differ.

    Notes
    -----
    :math:`\mathrm{UMUX\text{-}Lite} = \frac{(i_1 - 1) + (i_2 - 1)}{2(k - 1)}
    \times 100` (:math:`k` points: /12 on 7 points, /8 on 5), and the
    regression onto SUS :math:`0.65\,\mathrm{UMUX\text{-}Lite} + 22.9`
    (range 22.9-87.9; Lewis, Utesch & Maher 2013, CHI; validated 2015, DUXU).

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.umux_lite(6, 7)
    UMUXLiteResult(score=91.66666666666666, sus_equivalent=82.48333333333332)
    >>> stats.umux_lite([1, 7], [1, 7]).score
    array([  0., 100.])
    """
    if scale_points not in (5, 7) or isinstance(scale_points, bool):
        raise ValueError(f"scale_points ({scale_points!r}) must be one of [5, 7]")
    a = as_float_array("item1", item1)
    b = as_float_array("item2", item2)
    if a.shape != b.shape:
        raise ValueError(
            f"item1 (shape {a.shape}) and item2 (shape {b.shape}) must have the "
            "same shape"
        )
    check_integers_in("item1", np.atleast_1d(a), 1, scale_points)
    check_integers_in("item2", np.atleast_1d(b), 1, scale_points)
    score = (a - 1 + b - 1) / (2 * (scale_points - 1)) * 100
    sus_eq = 0.65 * score + 22.9
    if a.ndim == 0:
        return UMUXLiteResult(float(score), float(sus_eq))
    return UMUXLiteResult(score, sus_eq)


def nps_from_counts(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    confidence_level: float = 0.95,
    method: str = "adjusted-wald",
) -> NPSResult:
    r"""Net Promoter Score from category counts, with its interval.

    Parameters
    ----------
    promoters, passives, detractors : int
        Counts of answers 9-10, 7-8 and 0-6; non-negative, not all zero.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    method : {"adjusted-wald", "wald"}, default "adjusted-wald"
        Interval method.

    Returns
    -------
    NPSResult
        ``score`` is the unadjusted NPS and ``ci`` its interval, both on the
        -100..100 scale (the interval clipped to it).

    Raises
    ------
    ValueError
        If a count is negative or not an integer, all are zero, or an argument
        is invalid.

    Notes
    -----
    NPS :math:`= 100(p_P - p_D)` (Reichheld 2003).  The +1/0/-1 score has
    variance :math:`v = p_P + p_D - (p_P - p_D)^2` (Rocks 2016, The American
    Statistician 70(4)).  Wald: :math:`\mathrm{NPS} \pm 100 z\sqrt{v/n}`.
    Adjusted Wald (Rocks 2016; Sauro & Lewis, MeasuringU "NPS confidence
    intervals"): add 3/4 to each category, :math:`n' = n + 3`, and centre the
    interval on :math:`p'_P - p'_D` with :math:`v'` from the adjusted shares.

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.nps_from_counts(50, 30, 20)
    >>> r.score, round(r.ci.low, 2), round(r.ci.high, 2)
    (30.0, 14.05, 44.2)
    >>> round(stats.nps_from_counts(50, 30, 20, method="wald").ci.low, 4)
    14.6922
    """
    confidence_level = check_confidence_level(confidence_level)
    check_choice("method", method, NPS_METHODS)
    pro = check_int("promoters", promoters)
    pas = check_int("passives", passives)
    det = check_int("detractors", detractors)
    n = pro + pas + det
    if n == 0:
        raise ValueError("promoters, passives and detractors are all 0; need n >= 1")
    z = z_value(confidence_level)
    if method == "wald":
        n_eff, p_p, p_d = float(n), pro / n, det / n
    else:
        n_eff = n + 3.0
        p_p, p_d = (pro + 0.75) / n_eff, (det + 0.75) / n_eff
    centre = p_p - p_d
    variance = max(p_p + p_d - centre**2, 0.0)
    half = z * math.sqrt(variance / n_eff)
    return NPSResult(
        n=n,
        promoters=pro,
        passives=pas,
        detractors=det,
        score=100.0 * (pro - det) / n,
        ci=clip_interval(100 * (centre - half), 100 * (centre + half), -100.0, 100.0),
        method=method,
    )


def nps(
    ratings: Any, *, confidence_level: float = 0.95, method: str = "adjusted-wald"
) -> NPSResult:
    """Net Promoter Score of 0-10 likelihood-to-recommend ratings.

    Parameters
    ----------
    ratings : array_like of int
        One answer per respondent, integers 0..10, at least one.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    method : {"adjusted-wald", "wald"}, default "adjusted-wald"
        Interval method; see :func:`nps_from_counts`.

    Returns
    -------
    NPSResult
        Counts, the score (-100..100) and its interval.

    Raises
    ------
    ValueError
        If a rating is not an integer 0..10, or there are none.

    Notes
    -----
    Detractors answer 0-6, passives 7-8, promoters 9-10 (Reichheld 2003); the
    interval is that of :func:`nps_from_counts` (Rocks 2016).

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.nps([10, 9, 9, 8, 7, 6, 10, 3, 9, 10])
    >>> r.promoters, r.passives, r.detractors, r.score
    (6, 2, 2, 40.0)
    """
    x = as_sample("ratings", ratings, min_n=1)
    check_integers_in("ratings", x, 0, 10)
    return nps_from_counts(
        int(np.sum(x >= 9)),
        int(np.sum((x >= 7) & (x <= 8))),
        int(np.sum(x <= 6)),
        confidence_level=confidence_level,
        method=method,
    )
