"""One-sample t machinery shared by questionnaires and comparisons (private)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from ._validation import FloatArray
from .results import ConfidenceInterval


class OneSample(NamedTuple):
    mean: float
    sd: float | None
    ci: ConfidenceInterval | None
    t: float | None
    p_value: float | None


def clip_interval(low: float, high: float, lo: float, hi: float) -> ConfidenceInterval:
    """Interval clipped to the possible range [lo, hi]."""
    return ConfidenceInterval(min(max(low, lo), hi), min(max(high, lo), hi))


def one_sample(
    x: FloatArray,
    confidence_level: float,
    *,
    popmean: float | None = None,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> OneSample:
    """Mean, sd, t interval and (optionally) a one-sample t test against popmean.

    Computed directly rather than with :func:`scipy.stats.ttest_1samp` so that a
    sample without variability yields ``None`` (undefined) instead of a
    precision-loss warning and ``nan``/``inf``; the tests check the values
    against scipy.
    """
    n = int(x.size)
    if bool(np.all(x == x[0])):
        mean, sd = float(x[0]), 0.0
    else:
        mean, sd = float(np.mean(x)), float(np.std(x, ddof=1))
    if n < 2:
        return OneSample(mean, None, None, None, None)
    se = sd / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence_level / 2, n - 1)) * se
    ci = clip_interval(mean - half, mean + half, *bounds)
    if popmean is None or se == 0.0:
        return OneSample(mean, sd, ci, None, None)
    t = (mean - popmean) / se
    p = float(2 * stats.t.sf(abs(t), n - 1))
    return OneSample(mean, sd, ci, t, p)
