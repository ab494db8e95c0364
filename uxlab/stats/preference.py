"""Preference tests: each option's share and a test of equal preference."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from scipy import stats

from ._validation import as_float_array, check_confidence_level
from .proportions import completion_rates
from .results import PreferenceResult

__all__ = ["MIN_EXPECTED", "preference"]

#: Expected count per option below which the chi-square p-value is only
#: approximate (Cochran 1954).
MIN_EXPECTED: Final = 5.0


def preference(counts: Any, *, confidence_level: float = 0.95) -> PreferenceResult:
    r"""Shares of a preference test, tested against equal preference.

    Parameters
    ----------
    counts : array_like of int
        How many participants chose each option, at least two options and at
        least one choice in all.
    confidence_level : float, default 0.95
        Confidence level of the intervals of the shares.

    Returns
    -------
    PreferenceResult
        Each option's share with its adjusted-Wald interval, the test used
        ("binomial" or "chi-square"), its statistic and p-value, and which
        options' intervals lie wholly above the equal share 1/k.

    Raises
    ------
    ValueError
        If ``counts`` is not a one-dimensional list of at least two
        non-negative integers, or they are all zero.

    Notes
    -----
    Shares :math:`x_i/n` with the adjusted-Wald interval (Agresti & Coull
    1998; Sauro & Lewis 2005).  The null hypothesis is equal preference,
    :math:`p_i = 1/k`:

    * two options: the exact two-sided binomial test of :math:`x_1` out of n
      with p = 1/2 (:func:`scipy.stats.binomtest`);
    * three or more: Pearson's chi-square goodness of fit,
      :math:`\chi^2 = \sum_i (x_i - n/k)^2 / (n/k)` with k - 1 degrees of
      freedom (:func:`scipy.stats.chisquare`); below 5 expected choices per
      option the p-value is approximate (``small_expected``).

    A small p-value says the choices are not evenly spread; it does not name
    a winner.  An option can be called preferred only when its interval lies
    wholly above 1/k (``above_equal_share``).

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.preference([15, 5])
    >>> r.test, round(r.p_value, 4), r.above_equal_share.tolist()
    ('binomial', 0.0414, [True, False])
    >>> r = stats.preference([10, 20, 30])
    >>> r.test, r.statistic, r.df, round(r.p_value, 6)
    ('chi-square', 10.0, 2, 0.006738)
    """
    confidence_level = check_confidence_level(confidence_level)
    x = as_float_array("counts", counts)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(
            f"counts must be a list of at least two counts, one per option; "
            f"got shape {x.shape}"
        )
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        raise ValueError(
            f"counts contains {x[bad][0]!r} at index {int(np.flatnonzero(bad)[0])}; "
            "counts must be integers >= 0"
        )
    n = int(x.sum())
    if n == 0:
        raise ValueError("counts are all zero; no participant chose an option")
    k = x.size
    shares = completion_rates(x, np.full(k, n), confidence_level=confidence_level)
    if k == 2:
        result = stats.binomtest(int(x[0]), n, 0.5)
        test, statistic, df = "binomial", float(result.statistic), None
        p_value = float(result.pvalue)
        small = False
    else:
        chi = stats.chisquare(x)
        test, statistic, df = "chi-square", float(chi.statistic), k - 1
        p_value = float(chi.pvalue)
        small = n / k < MIN_EXPECTED
    return PreferenceResult(
        counts=x.astype(np.int64),
        n=n,
        shares=shares,
        test=test,
        statistic=statistic,
        df=df,
        p_value=min(p_value, 1.0),
        small_expected=small,
        above_equal_share=shares.low > 1.0 / k,
        confidence_level=confidence_level,
    )
