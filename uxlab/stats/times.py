"""Task times: geometric means with log-scale t intervals, medians, splits."""

from __future__ import annotations

import math
from typing import Any, Final, NoReturn

import numpy as np
import numpy.typing as npt
from scipy import stats

from ._validation import (
    FloatArray,
    as_float_array,
    as_sample,
    check_confidence_level,
)
from .results import ConfidenceInterval, TaskTimes, TimeResult, TimesSummary

__all__ = [
    "MEDIAN_FROM_N",
    "median_ci",
    "task_times",
    "time_on_task",
    "times_summary",
]

#: Sample size from which the median, not the geometric mean, is the better
#: centre of task times (Sauro & Lewis 2010).
MEDIAN_FROM_N: Final = 25


def _check_positive(name: str, arr: FloatArray) -> None:
    bad = ~(arr > 0)
    if bad.any():
        raise ValueError(
            f"{name} contains {arr[bad][0]!r} at index {int(np.flatnonzero(bad)[0])}; "
            "task times must be positive seconds (the log of 0 is undefined)"
        )


def _summarise(x: FloatArray, confidence_level: float) -> TimeResult:
    n = int(x.size)
    identical = bool(np.all(x == x[0]))
    if identical:
        # Exact answers for a degenerate sample: no rounding from log/exp.
        gm = mean = median = float(x[0])
        ci = None if n == 1 else ConfidenceInterval(gm, gm)
        sd: float | None = None if n == 1 else 0.0
    else:
        logs = np.log(x)
        mean_log = float(np.mean(logs))
        sd_log = float(np.std(logs, ddof=1))
        gm = math.exp(mean_log)
        half = float(stats.t.ppf(0.5 + confidence_level / 2, n - 1)) * sd_log
        half /= math.sqrt(n)
        ci = ConfidenceInterval(math.exp(mean_log - half), math.exp(mean_log + half))
        mean = float(np.mean(x))
        median = float(np.median(x))
        sd = float(np.std(x, ddof=1))
    recommended = "geometric_mean" if n < MEDIAN_FROM_N else "median"
    m_ci = median_ci(x, confidence_level=confidence_level)
    return TimeResult(
        n=n,
        geometric_mean=gm,
        ci=ci,
        median=median,
        mean=mean,
        sd=sd,
        recommended=recommended,
        center=gm if recommended == "geometric_mean" else median,
        median_ci=m_ci,
        center_ci=ci if recommended == "geometric_mean" else m_ci,
        values=tuple(float(v) for v in np.sort(x)),
    )


def median_ci(
    values: Any, *, confidence_level: float = 0.95
) -> ConfidenceInterval | None:
    r"""Distribution-free interval of the median from binomial order statistics.

    Parameters
    ----------
    values : array_like of float
        The sample (any continuous measure; here task times).
    confidence_level : float, default 0.95
        The smallest coverage the interval must reach.

    Returns
    -------
    ConfidenceInterval or None
        :math:`(x_{(r)}, x_{(n-r+1)})`, or ``None`` when even the sample's
        minimum and maximum cover the median with less than
        ``confidence_level`` (fewer than 6 values at 95 %).

    Notes
    -----
    :math:`r` is the largest rank with :math:`P(B \le r - 1) \le lpha/2`,
    :math:`B \sim \mathrm{Binomial}(n, 1/2)`, so the coverage is at least the
    confidence level whatever the times' distribution (Conover 1999,
    *Practical Nonparametric Statistics*, sec. 3.2).  Computed by
    :func:`scipy.stats.quantile_test`.

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.median_ci([20 + 2 * i for i in range(30)])  # ranks 10 and 21
    ConfidenceInterval(low=38.0, high=60.0)
    >>> stats.median_ci([3, 1, 2]) is None
    True
    """
    confidence_level = check_confidence_level(confidence_level)
    x = as_sample("values", values, min_n=1)
    n = int(x.size)
    # Coverage of (min, max) is 1 - 2 * 0.5**n; below the level, no interval.
    if 1 - 2 * 0.5**n < confidence_level:
        return None
    median = float(np.median(x))
    result = stats.quantile_test(x, q=median, p=0.5)
    low, high = result.confidence_interval(confidence_level)
    return ConfidenceInterval(float(low), float(high))


def time_on_task(seconds: Any, *, confidence_level: float = 0.95) -> TimeResult:
    r"""Summarise task times: geometric mean with its interval, median, mean.

    Parameters
    ----------
    seconds : array_like of float
        One positive time per attempt, at least one.
    confidence_level : float, default 0.95
        Confidence level of the interval of the geometric mean.

    Returns
    -------
    TimeResult
        ``ci`` is ``None`` for a single time (no degrees of freedom) and has
        zero width when every time is identical.  ``recommended`` is
        "geometric_mean" for fewer than 25 times and "median" from 25 on;
        ``center`` is that value.

    Raises
    ------
    ValueError
        If ``seconds`` is empty, not one-dimensional, or holds a value that is
        not a finite positive number.

    Notes
    -----
    Task times are right-skewed, so the interval is a t interval on the log
    times, back-transformed (Sauro & Lewis 2010, "Average task times in
    usability tests: what to report?", CHI; QUX ch. 3):

    .. math:: \exp\left(\overline{\ln t} \pm t_{1-\alpha/2,\,n-1}\,
              s_{\ln t}/\sqrt{n}\right)

    It is asymmetric around the geometric mean :math:`\exp(\overline{\ln t})`.

    Examples
    --------
    The MeasuringU task-time calculator example:

    >>> from uxlab import stats
    >>> r = stats.time_on_task([55, 65, 75, 62, 45, 135])
    >>> round(r.geometric_mean, 2), round(r.ci.low, 2), round(r.ci.high, 2)
    (68.24, 46.01, 101.22)
    >>> r.recommended, r.median
    ('geometric_mean', 63.5)
    """
    confidence_level = check_confidence_level(confidence_level)
    x = as_sample("seconds", seconds, min_n=1)
    _check_positive("seconds", x)
    return _summarise(x, confidence_level)


def _reject_time(x: FloatArray, bad: npt.NDArray[np.bool_]) -> NoReturn:
    i, j = (int(k) for k in np.argwhere(bad)[0])
    raise ValueError(
        f"seconds contains {x[i, j]!r} at row {i}, column {j}; task times must "
        "be positive finite seconds (use nan for a missing time)"
    )


def task_times(
    seconds: Any, success: Any, *, confidence_level: float = 0.95
) -> TaskTimes:
    """Summarise a task's times separately for successful, failed and all attempts.

    Parameters
    ----------
    seconds : array_like of float
        One positive time per attempt.
    success : array_like of bool
        Whether each attempt succeeded (``True``/``False`` or 1/0), same length.
    confidence_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    TaskTimes
        ``completion`` (successful attempts: average task completion time),
        ``failure`` (failed attempts: mean time to failure) and ``all`` (every
        attempt: average time on task), each a :class:`TimeResult` from
        :func:`time_on_task`, or ``None`` when that group is empty.

    Raises
    ------
    ValueError
        If the lengths differ, ``success`` is not boolean, or a time is not a
        finite positive number.

    Notes
    -----
    Sauro (2011), "10 things to know about task times": reporting completion
    time with failed attempts mixed in is the most common error, so the three
    summaries are kept apart and the caller chooses.

    Examples
    --------
    >>> from uxlab import stats
    >>> r = stats.task_times([30, 40, 200, 35], [True, True, False, True])
    >>> r.completion.n, r.failure.n, r.all.n
    (3, 1, 4)
    >>> round(r.completion.geometric_mean, 1), r.failure.ci is None
    (34.8, True)
    """
    confidence_level = check_confidence_level(confidence_level)
    x = as_sample("seconds", seconds, min_n=0)
    _check_positive("seconds", x)
    flags = as_float_array("success", success)
    if flags.ndim != 1 or flags.shape != x.shape:
        raise ValueError(
            f"success (shape {flags.shape}) must have one flag per time "
            f"(shape {x.shape})"
        )
    bad = ~np.isin(flags, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"success contains {flags[bad][0]!r}; allowed values are True/False (1/0)"
        )
    ok = flags == 1.0

    def part(sel: FloatArray) -> TimeResult | None:
        return _summarise(sel, confidence_level) if sel.size else None

    return TaskTimes(completion=part(x[ok]), failure=part(x[~ok]), all=part(x))


def times_summary(seconds: Any, *, confidence_level: float = 0.95) -> TimesSummary:
    r"""Summarise the times of many tasks at once (vectorised :func:`time_on_task`).

    Parameters
    ----------
    seconds : array_like of float, shape (participants, tasks)
        One column per task; ``nan`` marks a missing time.  Every other value
        must be a finite positive number.
    confidence_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    TimesSummary
        One entry per task.  A task with no times has ``n == 0`` and ``nan``
        everywhere else; a task with one time has a ``nan`` interval and sd.

    Raises
    ------
    ValueError
        If ``seconds`` is not two-dimensional or holds a non-positive or
        infinite value.

    Notes
    -----
    Same formulas as :func:`time_on_task`, column by column: geometric mean
    :math:`\exp(\overline{\ln t})` with the back-transformed t interval
    (Sauro & Lewis 2010), median of the present values, and the centre
    recommended for the column's own n.

    Examples
    --------
    >>> import numpy as np
    >>> from uxlab import stats
    >>> times = np.array([[55, 30], [65, np.nan], [75, 41], [62, 28],
    ...                   [45, np.nan], [135, 33]])
    >>> r = stats.times_summary(times)
    >>> r.n.tolist(), r.geometric_mean.round(2).tolist()
    ([6, 4], [68.24, 32.65])
    >>> r.low.round(2).tolist(), r.median.tolist()
    ([46.01, 25.07], [63.5, 31.5])
    """
    confidence_level = check_confidence_level(confidence_level)
    x = as_float_array("seconds", seconds)
    if x.ndim != 2:
        raise ValueError(
            f"seconds must be two-dimensional (participants x tasks), got shape "
            f"{x.shape}"
        )
    if x.size and not (np.fmin.reduce(x, axis=None) > 0 or np.isnan(x).all()):
        _reject_time(x, x <= 0)
    if x.size and np.fmax.reduce(x, axis=None) == np.inf:
        _reject_time(x, np.isinf(x))

    # One row per task, sorted: NaN sorts last, so a task's k times are the
    # first k entries of its row, and the median can be read off directly.
    ordered = np.sort(x.T, axis=1)
    valid = ~np.isnan(ordered)
    n = np.count_nonzero(valid, axis=1)
    nf = n.astype(np.float64)
    present = n > 0
    last = np.maximum(n - 1, 0)[:, None]
    # Copies, because ``ordered`` is overwritten below.
    lowest = ordered[:, 0].copy() if ordered.shape[1] else np.full(n.shape, np.nan)
    highest = (
        np.take_along_axis(ordered, last, axis=1).ravel()
        if ordered.shape[1]
        else np.full(n.shape, np.nan)
    )
    identical = present & (lowest == highest)

    if ordered.shape[1]:
        lo_idx = np.maximum((n - 1) // 2, 0)[:, None]
        hi_idx = np.minimum(n // 2, ordered.shape[1] - 1)[:, None]
        median = (
            np.take_along_axis(ordered, lo_idx, axis=1).ravel()
            + np.take_along_axis(ordered, hi_idx, axis=1).ravel()
        ) / 2
    else:
        median = np.full(n.shape, np.nan)
    median = np.where(present, median, np.nan)

    def mean_and_sd(values: FloatArray) -> tuple[FloatArray, FloatArray]:
        # Two-pass (deviations from the mean) for accuracy.  Works in place on
        # ``values``, whose missing entries must already be 0.
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = values.sum(axis=1) / nf
            np.subtract(values, mean[:, None], out=values, where=valid)
            sd = np.sqrt(np.einsum("ij,ij->i", values, values) / (nf - 1))
        return mean, sd

    mean_log, sd_log = mean_and_sd(
        np.log(ordered, out=np.zeros_like(ordered), where=valid)
    )
    np.copyto(ordered, 0.0, where=~valid)  # the median has been read off
    mean, sd = mean_and_sd(ordered)
    gm = np.where(identical, lowest, np.exp(mean_log))
    mean = np.where(identical, lowest, mean)
    sd_log = np.where(identical, 0.0, sd_log)
    sd = np.where(n >= 2, np.where(identical, 0.0, sd), np.nan)
    t_crit = stats.t.ppf(0.5 + confidence_level / 2, np.maximum(n - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_crit * sd_log / np.sqrt(nf)
    low = np.where(n >= 2, np.where(identical, gm, np.exp(mean_log - half)), np.nan)
    high = np.where(n >= 2, np.where(identical, gm, np.exp(mean_log + half)), np.nan)

    use_median = n >= MEDIAN_FROM_N
    recommended = np.where(use_median, "median", "geometric_mean")
    return TimesSummary(
        n=n.astype(np.int64),
        geometric_mean=np.where(present, gm, np.nan),
        low=low,
        high=high,
        median=median,
        mean=np.where(present, mean, np.nan),
        sd=sd,
        recommended=recommended,
        center=np.where(use_median, median, np.where(present, gm, np.nan)),
        confidence_level=confidence_level,
    )
