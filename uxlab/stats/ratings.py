"""Single rating items (SEQ, CES, CSAT), top-box shares and UMUX-Lite."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ttest import one_sample
from ._validation import (
    FloatArray,
    as_float_array,
    as_sample,
    check_confidence_level,
    check_int,
    check_integers_in,
    check_real,
)
from .proportions import completion_rate
from .results import (
    ProportionResult,
    RatingResult,
    UMUXLiteResult,
)

__all__ = [
    "csat",
    "rating_summary",
    "top_box",
    "umux_lite",
]


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
