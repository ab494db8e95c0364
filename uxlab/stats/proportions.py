"""Completion rates: binomial proportions with small-sample intervals."""

from __future__ import annotations

from typing import Any, Final, Literal

import numpy as np
from scipy import special, stats

from ._validation import (
    FloatArray,
    as_float_array,
    check_choice,
    check_confidence_level,
    check_int,
    z_value,
)
from .results import CompletionRates, ConfidenceInterval, ProportionResult

__all__ = ["PROPORTION_METHODS", "completion_rate", "completion_rates"]

#: Interval methods accepted by :func:`completion_rate`.
PROPORTION_METHODS: Final = frozenset({"adjusted-wald", "wilson", "exact", "wald"})

# Lewis & Sauro (2006) define the Wilson *point* estimate with the 95% z
# ("add two successes and two failures"); it is a point estimate, so it does not
# move with the confidence level chosen for the interval.
_Z95: Final = float(special.ndtri(0.975))


def _best_estimate(
    x: FloatArray, n: FloatArray
) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.str_]]]:
    """Lewis & Sauro (2006) best point estimate, vectorised."""
    p = x / n
    wilson = (x + _Z95**2 / 2) / (n + _Z95**2)
    laplace = (x + 1) / (n + 2)
    # Strict boundaries, compared on the integer counts so that 9/10 or 27/30
    # is exactly 0.9 (and so x/n) whatever the float division gives.
    low_p = 2 * x < n
    high_p = 10 * x > 9 * n
    estimate = np.where(low_p, wilson, np.where(high_p, laplace, p))
    label = np.where(low_p, "wilson", np.where(high_p, "laplace", "mle"))
    return estimate, label


def _interval(
    x: FloatArray, n: FloatArray, confidence_level: float, method: str
) -> tuple[FloatArray, FloatArray]:
    """Closed-form interval bounds for arrays of successes and trials."""
    z = z_value(confidence_level)
    if method == "adjusted-wald":
        n_adj = n + z**2
        p_adj = (x + z**2 / 2) / n_adj
        half = z * np.sqrt(p_adj * (1 - p_adj) / n_adj)
        low, high = p_adj - half, p_adj + half
    elif method == "wald":
        p = x / n
        half = z * np.sqrt(p * (1 - p) / n)
        low, high = p - half, p + half
    elif method == "wilson":
        # Same algebra as scipy.stats.binomtest(...).proportion_ci("wilson").
        p = x / n
        denom = 2 * (n + z**2)
        center = (2 * n * p + z**2) / denom
        delta = z / denom * np.sqrt(4 * n * p * (1 - p) + z**2)
        low = np.where(x == 0, 0.0, center - delta)
        high = np.where(x == n, 1.0, center + delta)
    else:  # exact (Clopper-Pearson) through the beta quantiles
        alpha = 1 - confidence_level
        with np.errstate(invalid="ignore", divide="ignore"):
            low = np.where(x == 0, 0.0, special.betaincinv(x, n - x + 1, alpha / 2))
            high = np.where(
                x == n, 1.0, special.betaincinv(x + 1, n - x, 1 - alpha / 2)
            )
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def completion_rate(
    successes: int,
    trials: int,
    *,
    confidence_level: float = 0.95,
    method: str = "adjusted-wald",
) -> ProportionResult:
    r"""Completion rate of a task with its confidence interval.

    Parameters
    ----------
    successes : int
        Number of participants who completed the task, ``0 <= successes <= trials``.
    trials : int
        Number of participants who attempted it, at least 1.
    confidence_level : float, default 0.95
        Confidence level of the two-sided interval, strictly between 0 and 1.
    method : {"adjusted-wald", "wilson", "exact", "wald"}, default "adjusted-wald"
        Interval method.  Adjusted Wald is what Sauro & Lewis recommend for
        usability samples; "wald" is included for comparison only and should
        not be used below about 100 trials.

    Returns
    -------
    ProportionResult
        ``observed`` is x/n, ``estimate`` the best point estimate, ``ci`` the
        interval clipped to [0, 1].

    Raises
    ------
    ValueError
        If the counts are not integers with ``0 <= successes <= trials`` and
        ``trials >= 1``, or ``method`` or ``confidence_level`` is invalid.

    Notes
    -----
    With :math:`z = \Phi^{-1}(1 - \alpha/2)` (exact quantile):

    * adjusted Wald (Agresti & Coull 1998; Sauro & Lewis 2005):
      :math:`\tilde p = (x + z^2/2)/(n + z^2)`, :math:`\tilde n = n + z^2`,
      :math:`\tilde p \pm z\sqrt{\tilde p(1-\tilde p)/\tilde n}`;
    * Wilson score (Wilson 1927; Newcombe 1998 method 3) and exact
      Clopper-Pearson (Newcombe 1998 method 5), computed by
      :meth:`scipy.stats.binomtest` ``.proportion_ci``;
    * Wald: :math:`\hat p \pm z\sqrt{\hat p(1-\hat p)/n}`.

    The point estimate follows Lewis & Sauro (2006), "When 100% really isn't
    100%", JUS 1(3): the Wilson point :math:`(x + z^2/2)/(n + z^2)` (95% z) when
    :math:`\hat p < 0.5`, Laplace :math:`(x+1)/(n+2)` when
    :math:`\hat p > 0.9`, and :math:`x/n` from 0.5 to 0.9 inclusive (so 9/10
    gives 0.90).

    Examples
    --------
    Four of five participants completed the task (Sauro & Lewis 2005):

    >>> from uxlab import stats
    >>> r = stats.completion_rate(4, 5)
    >>> round(r.ci.low, 4), round(r.ci.high, 4)
    (0.3596, 0.9797)
    >>> r.observed, round(r.estimate, 4), r.estimate_method
    (0.8, 0.8, 'mle')
    >>> stats.completion_rate(9, 10).estimate
    0.9
    >>> round(stats.completion_rate(5, 5, method="exact").ci.low, 3)
    0.478
    """
    confidence_level = check_confidence_level(confidence_level)
    check_choice("method", method, PROPORTION_METHODS)
    trials = check_int("trials", trials, minimum=1)
    successes = check_int("successes", successes, minimum=0)
    if successes > trials:
        raise ValueError(
            f"successes ({successes}) must be between 0 and trials ({trials})"
        )
    x = np.float64(successes)
    n = np.float64(trials)
    if method in ("wilson", "exact"):
        scipy_method: Literal["wilson", "exact"] = (
            "wilson" if method == "wilson" else "exact"
        )
        ci = stats.binomtest(successes, trials).proportion_ci(
            confidence_level=confidence_level, method=scipy_method
        )
        low, high = min(max(ci.low, 0.0), 1.0), min(max(ci.high, 0.0), 1.0)
    else:
        lo_arr, hi_arr = _interval(
            np.asarray(x), np.asarray(n), confidence_level, method
        )
        low, high = float(lo_arr), float(hi_arr)
    estimate, label = _best_estimate(np.asarray(x), np.asarray(n))
    return ProportionResult(
        successes=successes,
        trials=trials,
        observed=successes / trials,
        estimate=float(estimate),
        estimate_method=str(label),
        ci=ConfidenceInterval(float(low), float(high)),
        confidence_level=confidence_level,
        method=method,
    )


def _as_counts(name: str, values: Any) -> FloatArray:
    arr = as_float_array(name, values)
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0)
    if bad.any():
        raise ValueError(
            f"{name} contains {arr[bad][0]!r}; counts must be integers >= 0"
        )
    return arr


def completion_rates(
    successes: Any,
    trials: Any,
    *,
    confidence_level: float = 0.95,
    method: str = "adjusted-wald",
) -> CompletionRates:
    r"""Completion rates of many tasks at once (vectorised :func:`completion_rate`).

    Parameters
    ----------
    successes, trials : array_like of int
        Counts per task; broadcast against each other.  Every ``trials`` must
        be at least 1 and every ``successes`` between 0 and its ``trials``.
    confidence_level : float, default 0.95
        Confidence level of the two-sided intervals.
    method : {"adjusted-wald", "wilson", "exact", "wald"}, default "adjusted-wald"
        Interval method, as in :func:`completion_rate`.

    Returns
    -------
    CompletionRates
        Arrays ``observed``, ``estimate``, ``estimate_method``, ``low`` and
        ``high``, one entry per task.

    Notes
    -----
    The formulas are those of :func:`completion_rate`; Wilson uses its closed
    form and the exact interval the beta quantiles
    :math:`B^{-1}(\alpha/2; x, n-x+1)` and :math:`B^{-1}(1-\alpha/2; x+1, n-x)`
    (Clopper & Pearson 1934), so the values equal the scalar ones to rounding.

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.completion_rates([4, 7, 0], [5, 10, 5])
    >>> r.low.round(4), r.high.round(4)
    (array([0.3596, 0.3923, 0.    ]), array([0.9797, 0.8967, 0.4891]))
    >>> r.estimate_method.tolist()
    ['mle', 'mle', 'wilson']
    """
    confidence_level = check_confidence_level(confidence_level)
    check_choice("method", method, PROPORTION_METHODS)
    x = _as_counts("successes", successes)
    n = _as_counts("trials", trials)
    try:
        x, n = np.broadcast_arrays(x, n)
    except ValueError:
        raise ValueError(
            f"successes (shape {x.shape}) and trials (shape {n.shape}) "
            "must have the same shape"
        ) from None
    if (n < 1).any():
        raise ValueError(f"trials contains {n[n < 1][0]!r}; every trials must be >= 1")
    if (x > n).any():
        i = int(np.flatnonzero((x > n).ravel())[0])
        raise ValueError(
            f"successes ({x.ravel()[i]!r}) exceeds trials ({n.ravel()[i]!r}) "
            f"at index {i}; successes must be between 0 and trials"
        )
    low, high = _interval(x, n, confidence_level, method)
    estimate, label = _best_estimate(x, n)
    return CompletionRates(
        successes=x.astype(np.int64),
        trials=n.astype(np.int64),
        observed=x / n,
        estimate=estimate,
        estimate_method=label,
        low=low,
        high=high,
        confidence_level=confidence_level,
        method=method,
    )
