"""The System Usability Scale: scores, subscales, grades, percentiles, adjectives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt

from ._ttest import one_sample
from ._validation import (
    FloatArray,
    as_float_array,
    as_sample,
    check_choice,
    check_confidence_level,
    check_integers_in,
    check_real,
)
from .results import (
    SUSResult,
    SUSSubscales,
)

__all__ = [
    "SUS_MISSING_POLICIES",
    "sus_acceptability",
    "sus_adjective",
    "sus_grade",
    "sus_percentile",
    "sus_score",
    "sus_subscales",
    "sus_summary",
]


#: Policies for unanswered SUS items accepted by :func:`sus_score`.
SUS_MISSING_POLICIES: Final = frozenset({"error", "impute-center", "prorate"})


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
