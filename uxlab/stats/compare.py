"""Comparisons of two designs: completion rates, NPS, task times, mean scores."""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
from scipy import stats

from ._ttest import clip_interval, one_sample
from ._validation import (
    FloatArray,
    as_sample,
    check_choice,
    check_confidence_level,
    check_int,
    z_value,
)
from .results import ComparisonResult, ConfidenceInterval

__all__ = [
    "COMPLETION_TESTS",
    "compare_completion",
    "compare_means",
    "compare_nps",
    "compare_times",
]

#: Tests accepted by :func:`compare_completion`.
COMPLETION_TESTS: Final = frozenset({"n-1", "fisher", "auto"})


def _counts(x: object, n: object, xname: str, nname: str) -> tuple[int, int]:
    trials = check_int(nname, n, minimum=1)
    successes = check_int(xname, x, minimum=0)
    if successes > trials:
        raise ValueError(
            f"{xname} ({successes}) must be between 0 and {nname} ({trials})"
        )
    return successes, trials


def compare_completion(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    confidence_level: float = 0.95,
    method: str = "n-1",
) -> ComparisonResult:
    r"""Compare two completion rates (independent groups).

    Parameters
    ----------
    x1, n1 : int
        Successes and participants of design 1.
    x2, n2 : int
        Successes and participants of design 2.
    confidence_level : float, default 0.95
        Confidence level of the interval of the difference.
    method : {"n-1", "fisher", "auto"}, default "n-1"
        Test for the p-value: the N-1 two-proportion test, the Fisher-Irwin
        exact test, or "auto", Campbell's (2007) rule: N-1 when every expected
        cell count is at least 1, Fisher-Irwin otherwise.

    Returns
    -------
    ComparisonResult
        ``difference`` is :math:`\hat p_1 - \hat p_2`; ``ci`` its adjusted-Wald
        interval, clipped to [-1, 1]; ``statistic`` the N-1 z (``None`` for
        Fisher-Irwin, and when both rates are 0% or both 100%, where z is 0/0);
        ``method`` names the test actually used.

    Raises
    ------
    ValueError
        If a count is not an integer with ``0 <= x <= n`` and ``n >= 1``.

    Notes
    -----
    N-1 two-proportion test (Campbell 2007, Stat Med 26:3661; Richardson 2011;
    Sauro & Lewis, QUX ch. 5), with :math:`N = n_1 + n_2` and
    :math:`P = (x_1 + x_2)/N`:

    .. math:: z = \frac{\hat p_1 - \hat p_2}
              {\sqrt{P(1-P)(1/n_1 + 1/n_2)}}\sqrt{\frac{N-1}{N}}

    and a two-sided normal p-value.  Interval (Sauro & Lewis, after Agresti &
    Caffo 2000): per group :math:`\tilde p = (x + z^2/4)/(n + z^2/2)`,
    :math:`\tilde p_1 - \tilde p_2 \pm z\sqrt{\sum \tilde p(1-\tilde p)/
    (n + z^2/2)}`.  statsmodels' "agresti-caffo" adds exactly 1 and 2 and
    differs by about 0.002.

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.compare_completion(40, 60, 15, 35)
    >>> round(r.difference, 4), round(r.statistic, 4), round(r.p_value, 4)
    (0.2381, 2.2553, 0.0241)
    >>> round(r.ci.low, 4), round(r.ci.high, 4)
    (0.0306, 0.4278)
    """
    confidence_level = check_confidence_level(confidence_level)
    check_choice("method", method, COMPLETION_TESTS)
    x1, n1 = _counts(x1, n1, "x1", "n1")
    x2, n2 = _counts(x2, n2, "x2", "n2")
    p1, p2 = x1 / n1, x2 / n2

    z = z_value(confidence_level)
    a1 = (x1 + z**2 / 4) / (n1 + z**2 / 2)
    a2 = (x2 + z**2 / 4) / (n2 + z**2 / 2)
    half = z * math.sqrt(
        a1 * (1 - a1) / (n1 + z**2 / 2) + a2 * (1 - a2) / (n2 + z**2 / 2)
    )
    ci = clip_interval(a1 - a2 - half, a1 - a2 + half, -1.0, 1.0)

    big_n = n1 + n2
    pooled = (x1 + x2) / big_n
    if method == "auto":
        expected = np.outer([n1, n2], [pooled, 1 - pooled]) if big_n else None
        method = "n-1" if expected is not None and expected.min() >= 1 else "fisher"
    if method == "fisher":
        table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
        p = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
        return ComparisonResult(p1 - p2, ci, None, min(p, 1.0), "fisher-irwin exact")
    if pooled in (0.0, 1.0):
        return ComparisonResult(p1 - p2, ci, None, None, "n-1 two-proportion")
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    statistic = (p1 - p2) / se * math.sqrt((big_n - 1) / big_n)
    p_value = float(2 * stats.norm.sf(abs(statistic)))
    return ComparisonResult(p1 - p2, ci, statistic, p_value, "n-1 two-proportion")


def _nps_parts(counts: tuple[int, int, int], name: str) -> tuple[float, float, float]:
    """Adjusted n, adjusted NPS (a share, -1..1) and its +1/0/-1 score variance."""
    pro, pas, det = (
        check_int(f"{name} {what}", v)
        for what, v in zip(("promoters", "passives", "detractors"), counts, strict=True)
    )
    if pro + pas + det == 0:
        raise ValueError(f"{name} has no answers; need n >= 1")
    n_adj = pro + pas + det + 3.0
    p_p, p_d = (pro + 0.75) / n_adj, (det + 0.75) / n_adj
    centre = p_p - p_d
    return n_adj, centre, max(p_p + p_d - centre**2, 0.0)


def compare_nps(
    first: tuple[int, int, int],
    second: tuple[int, int, int],
    *,
    confidence_level: float = 0.95,
) -> ComparisonResult:
    r"""Compare two Net Promoter Scores from independent samples.

    Parameters
    ----------
    first, second : tuple of int
        (promoters, passives, detractors) of each sample; neither all zero.
    confidence_level : float, default 0.95
        Confidence level of the interval of the difference.

    Returns
    -------
    ComparisonResult
        ``difference`` is NPS(first) - NPS(second) in points (-200..200),
        from the unadjusted scores; ``ci`` its adjusted-Wald interval in
        points; ``statistic`` the z of the adjusted difference, ``p_value``
        its two-sided normal p.

    Notes
    -----
    Adjusted Wald for a difference of net scores (Rocks 2016, The American
    Statistician 70(4); Sauro, MeasuringU "How to compare two Net Promoter
    Scores"): in each sample add 3/4 to promoters and detractors (and 3/2 to
    passives, :math:`n' = n + 3`), take :math:`c = p'_P - p'_D` and
    :math:`v = p'_P + p'_D - c^2`, then :math:`c_1 - c_2 \pm z
    \sqrt{v_1/n'_1 + v_2/n'_2}`.

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.compare_nps((50, 30, 20), (40, 30, 30))
    >>> r.difference, round(r.ci.low, 2), round(r.ci.high, 2)
    (20.0, -2.55, 41.39)
    """
    confidence_level = check_confidence_level(confidence_level)
    n1, c1, v1 = _nps_parts(first, "first")
    n2, c2, v2 = _nps_parts(second, "second")
    z = z_value(confidence_level)
    se = math.sqrt(v1 / n1 + v2 / n2)
    low, high = c1 - c2 - z * se, c1 - c2 + z * se
    raw1 = (first[0] - first[2]) / sum(first)
    raw2 = (second[0] - second[2]) / sum(second)
    statistic = (c1 - c2) / se if se > 0 else None
    p_value = (
        float(2 * stats.norm.sf(abs(statistic))) if statistic is not None else None
    )
    return ComparisonResult(
        100 * (raw1 - raw2),
        clip_interval(100 * low, 100 * high, -200.0, 200.0),
        statistic,
        p_value,
        "adjusted-wald nps difference",
    )


def _welch(
    a: FloatArray, b: FloatArray, confidence_level: float
) -> tuple[float, ConfidenceInterval, float | None, float | None]:
    """Welch two-sample t: difference of means, interval, t and p (or None)."""

    def mean_var(x: FloatArray) -> tuple[float, float]:
        if bool(np.all(x == x[0])):
            return float(x[0]), 0.0
        return float(np.mean(x)), float(np.var(x, ddof=1))

    (ma, va), (mb, vb) = mean_var(a), mean_var(b)
    na, nb = a.size, b.size
    diff = ma - mb
    qa, qb = va / na, vb / nb
    se = math.sqrt(qa + qb)
    if se == 0.0:
        return diff, ConfidenceInterval(diff, diff), None, None
    df = (qa + qb) ** 2 / (qa**2 / (na - 1) + qb**2 / (nb - 1))
    half = float(stats.t.ppf(0.5 + confidence_level / 2, df)) * se
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    return diff, ConfidenceInterval(diff - half, diff + half), t, p


def _pair(
    a: Any, b: Any, paired: bool, *, positive: bool
) -> tuple[FloatArray, FloatArray]:
    if not isinstance(paired, bool | np.bool_):
        raise ValueError(f"paired ({paired!r}) must be True or False")
    x = as_sample("a", a, min_n=2)
    y = as_sample("b", b, min_n=2)
    if positive:
        for name, arr in (("a", x), ("b", y)):
            bad = ~(arr > 0)
            if bad.any():
                raise ValueError(
                    f"{name} contains {arr[bad][0]!r}; task times must be "
                    "positive seconds"
                )
    if paired and x.size != y.size:
        raise ValueError(
            f"paired samples need the same length, got a: {x.size}, b: {y.size}"
        )
    return x, y


def _compare(
    x: FloatArray, y: FloatArray, paired: bool, confidence_level: float
) -> tuple[float, ConfidenceInterval, float | None, float | None]:
    if paired:
        s = one_sample(x - y, confidence_level, popmean=0.0)
        if s.ci is None:  # pragma: no cover - _pair requires two pairs
            raise ValueError("paired samples need at least 2 pairs")
        return s.mean, s.ci, s.t, s.p_value
    return _welch(x, y, confidence_level)


def compare_times(
    a: Any, b: Any, *, paired: bool = False, confidence_level: float = 0.95
) -> ComparisonResult:
    r"""Compare the task times of two designs as a ratio of geometric means.

    Parameters
    ----------
    a, b : array_like of float
        Positive task times of design A and design B, at least two each.
    paired : bool, default False
        True when the same participants used both designs (``a[i]`` and
        ``b[i]`` are one person's times).
    confidence_level : float, default 0.95
        Confidence level of the interval of the ratio.

    Returns
    -------
    ComparisonResult
        ``difference`` is :math:`\mathrm{GM}(a)/\mathrm{GM}(b)` (0.8: design A
        takes 20% less time), ``ci`` its interval, ``statistic`` and
        ``p_value`` the t test on log times (``None`` with no variability).

    Raises
    ------
    ValueError
        If a time is not positive and finite, a sample has fewer than two times,
        or paired samples differ in length.

    Notes
    -----
    Times are compared on the log scale (Sauro & Lewis, QUX ch. 5): Welch's
    t with Welch-Satterthwaite degrees of freedom on :math:`\ln a` and
    :math:`\ln b`, or the paired t on :math:`\ln a_i - \ln b_i`.  The
    difference of log means and its limits are exponentiated, so they are a
    ratio of geometric means, not seconds.

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.compare_times([40, 52, 35, 60, 48], [61, 70, 55, 90, 66])
    >>> round(r.difference, 3), round(r.ci.low, 3), round(r.ci.high, 3)
    (0.685, 0.511, 0.917)
    >>> r.method
    'welch t on log times'
    """
    confidence_level = check_confidence_level(confidence_level)
    x, y = _pair(a, b, paired, positive=True)
    diff, ci, t, p = _compare(np.log(x), np.log(y), paired, confidence_level)
    method = "paired t on log times" if paired else "welch t on log times"
    ratio = ConfidenceInterval(math.exp(ci.low), math.exp(ci.high))
    return ComparisonResult(math.exp(diff), ratio, t, p, method)


def compare_means(
    a: Any, b: Any, *, paired: bool = False, confidence_level: float = 0.95
) -> ComparisonResult:
    r"""Compare the mean scores of two designs (SUS, SEQ, any rating).

    Parameters
    ----------
    a, b : array_like of float
        Scores of design A and design B, at least two each.
    paired : bool, default False
        True when the same participants rated both designs.
    confidence_level : float, default 0.95
        Confidence level of the interval of the difference.

    Returns
    -------
    ComparisonResult
        ``difference`` is :math:`\bar a - \bar b` with its t interval;
        ``statistic`` and ``p_value`` are ``None`` with no variability.

    Raises
    ------
    ValueError
        If a value is not finite, a sample has fewer than two values, or paired
        samples differ in length.

    Notes
    -----
    Welch's two-sample t with Welch-Satterthwaite degrees of freedom, or the
    paired t on the differences :math:`d_i = a_i - b_i`:
    :math:`\bar d \pm t_{1-\alpha/2,\,n-1}\, s_d/\sqrt n` (Sauro & Lewis,
    QUX ch. 5).

    Examples
    --------
    >>> from uxlab import stats
    >>> a = [6, 6, 7, 5, 5, 7, 6, 6]
    >>> b = [5, 4, 6, 3, 5, 6, 4, 5]
    >>> r = stats.compare_means(a, b, paired=True)
    >>> r.difference, r.statistic, round(r.p_value, 6)
    (1.25, 5.0, 0.001565)
    """
    confidence_level = check_confidence_level(confidence_level)
    x, y = _pair(a, b, paired, positive=False)
    diff, ci, t, p = _compare(x, y, paired, confidence_level)
    method = "paired t" if paired else "welch t"
    return ComparisonResult(diff, ci, t, p, method)
