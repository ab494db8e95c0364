"""The Net Promoter Score, from answers or from category counts."""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from ._ttest import clip_interval
from ._validation import (
    as_sample,
    check_choice,
    check_confidence_level,
    check_int,
    check_integers_in,
    z_value,
)
from .results import (
    NPSResult,
)

__all__ = [
    "NPS_METHODS",
    "nps",
    "nps_from_counts",
]


#: Interval methods accepted by :func:`nps`.
NPS_METHODS: Final = frozenset({"wald", "adjusted-wald"})


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
