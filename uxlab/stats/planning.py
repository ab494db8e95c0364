"""Sample-size planning and problem discovery."""

from __future__ import annotations

import math
from typing import Final

from scipy import stats

from ._validation import (
    CEIL_EPSILON,
    check_choice,
    check_confidence_level,
    check_int,
    check_real,
    z_value,
)

__all__ = [
    "SAMPLE_SIZE_METHODS",
    "problem_discovery",
    "sample_size_for_discovery",
    "sample_size_for_mean",
    "sample_size_for_proportion",
]

#: Interval methods accepted by :func:`sample_size_for_proportion`.
SAMPLE_SIZE_METHODS: Final = frozenset({"adjusted-wald", "wald"})


def _ceil(x: float) -> int:
    # The epsilon keeps an exact answer spoiled by rounding (2.0000000000000004)
    # from being bumped to the next integer.
    return math.ceil(x - CEIL_EPSILON)


def sample_size_for_proportion(
    margin: float,
    *,
    proportion: float = 0.5,
    confidence_level: float = 0.95,
    method: str = "adjusted-wald",
) -> int:
    r"""Participants needed to estimate a proportion within a margin of error.

    Parameters
    ----------
    margin : float
        Desired half-width of the interval, as a proportion (0.10 for
        +/-10 points), in (0, 1).
    proportion : float, default 0.5
        Expected proportion; 0.5 is the conservative choice when unknown.
    confidence_level : float, default 0.95
        Confidence level of the planned interval.
    method : {"adjusted-wald", "wald"}, default "adjusted-wald"
        Interval the study will report.

    Returns
    -------
    int
        Sample size, at least 1: for adjusted Wald the smallest n whose
        expected interval half-width at ``proportion`` is at most ``margin``.

    Raises
    ------
    ValueError
        If ``margin`` is not in (0, 1), ``proportion`` not in [0, 1], or the
        method or confidence level is invalid.

    Notes
    -----
    Wald: :math:`n = z^2 p(1-p)/d^2`, rounded up.

    Adjusted Wald: the smallest n whose *expected* adjusted-Wald half-width,
    with :math:`x = pn`,

    .. math:: \tilde p = \frac{pn + z^2/2}{n + z^2}, \qquad
              m(n) = z\sqrt{\frac{\tilde p(1-\tilde p)}{n + z^2}},

    is at most d.  :math:`m(n)` decreases with n, so the search is exact.  The
    shortcut :math:`n = z^2 p(1-p)/d^2 - z^2` (Sauro & Lewis, QUX ch. 6) is
    right only at :math:`p = 0.5`; elsewhere it under-samples, because the
    interval is centred on :math:`\tilde p`, not p (at 90 %, +/-10 points it
    gives 31, which delivers +/-11.7).  It is a lower bound, and the search
    starts there.

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sample_size_for_proportion(0.10)
    93
    >>> stats.sample_size_for_proportion(0.10, proportion=0.9)
    41
    >>> stats.sample_size_for_proportion(0.10, method="wald")
    97
    """
    margin = check_real(
        "margin", margin, low=0.0, high=1.0, low_open=True, high_open=True
    )
    proportion = check_real("proportion", proportion, low=0.0, high=1.0)
    confidence_level = check_confidence_level(confidence_level)
    check_choice("method", method, SAMPLE_SIZE_METHODS)
    z = z_value(confidence_level)
    if method == "wald":
        return max(1, _ceil(z**2 * proportion * (1 - proportion) / margin**2))
    return _adjusted_wald_n(margin, proportion, z)


def _adjusted_wald_margin(n: int, p: float, z: float) -> float:
    """Expected adjusted-Wald half-width with n participants and x = p n."""
    n_adj = n + z**2
    p_adj = (p * n + z**2 / 2) / n_adj
    return z * math.sqrt(p_adj * (1 - p_adj) / n_adj)


def _adjusted_wald_n(margin: float, p: float, z: float) -> int:
    """Smallest n >= 1 with an expected adjusted-Wald margin <= ``margin``."""

    def fits(n: int) -> bool:
        # The relative tolerance keeps an exact fit (p = 0.5, where the
        # shortcut is exact) from failing on the last bit.
        return _adjusted_wald_margin(n, p, z) <= margin * (1 + 1e-12)

    # p_adj lies between p and 1/2, so p_adj(1 - p_adj) >= p(1 - p): no n
    # below the shortcut fits.  Gallop up from it, then bisect.
    low = max(1, _ceil(z**2 * p * (1 - p) / margin**2 - z**2))
    if fits(low):
        return low
    step = 1
    while not fits(low + step):
        low += step
        step *= 2
    high = low + step  # fits(high) and not fits(low)
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid
    return high


def sample_size_for_mean(
    margin: float, *, sd: float, confidence_level: float = 0.95
) -> int:
    r"""Participants needed to estimate a mean within a margin of error.

    Parameters
    ----------
    margin : float
        Desired half-width of the t interval, in the units of the measure
        (such as 5 SUS points); positive.
    sd : float
        Expected standard deviation (from a previous study or a norm, e.g.
        about 17.7 for SUS); positive.
    confidence_level : float, default 0.95
        Confidence level of the planned interval.

    Returns
    -------
    int
        Smallest :math:`n \ge 2` whose t interval is no wider than ``margin``.

    Raises
    ------
    ValueError
        If ``margin`` or ``sd`` is not a positive finite number.

    Notes
    -----
    The smallest n with :math:`n \ge (t_{1-\alpha/2,\,n-1}\, s/d)^2`, found by
    starting from the z solution :math:`(z s/d)^2` and stepping up, which is
    where the iteration in Sauro & Lewis (QUX ch. 6) settles.  The z-only
    answer under-samples (sd 17.7, margin 5: 49 instead of 51).

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sample_size_for_mean(5, sd=17.7)
    51
    """
    margin = check_real("margin", margin, low=0.0, low_open=True)
    sd = check_real("sd", sd, low=0.0, low_open=True)
    confidence_level = check_confidence_level(confidence_level)
    ratio = sd / margin
    quantile = 0.5 + confidence_level / 2
    n = max(2, _ceil((stats.norm.ppf(quantile) * ratio) ** 2))
    while (float(stats.t.ppf(quantile, n - 1)) * ratio) ** 2 > n + CEIL_EPSILON:
        n += 1
    return n


def problem_discovery(p: float, n: int) -> float:
    r"""Probability that a problem is seen at least once by n participants.

    Parameters
    ----------
    p : float
        Probability that one participant encounters the problem, in [0, 1].
    n : int
        Number of participants, at least 0.

    Returns
    -------
    float
        :math:`1 - (1 - p)^n`.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1] or ``n`` is not a non-negative integer.

    Notes
    -----
    Binomial problem-discovery model (Virzi 1992; Nielsen & Landauer 1993;
    Lewis 1994).  "Five users find 85%" holds only near :math:`p = 0.31`
    (QUX ch. 7).  Estimates of p from small samples are inflated; Lewis (2001)
    adjusts them before projecting.

    Examples
    --------
    >>> from uxlab import stats
    >>> round(stats.problem_discovery(0.31, 5), 4)
    0.8436
    """
    p = check_real("p", p, low=0.0, high=1.0)
    n = check_int("n", n, minimum=0)
    return 1.0 - (1.0 - p) ** n


def sample_size_for_discovery(p: float, goal: float) -> int:
    r"""Participants needed to see a problem at least once with a given chance.

    Parameters
    ----------
    p : float
        Probability that one participant encounters the problem, in (0, 1].
    goal : float
        Desired probability of seeing it at least once, in (0, 1).

    Returns
    -------
    int
        :math:`\lceil \ln(1 - \mathrm{goal}) / \ln(1 - p) \rceil`, at least 1.

    Raises
    ------
    ValueError
        If ``p`` is not in (0, 1] (no finite n exists for p = 0) or ``goal`` is
        not in (0, 1) (goal = 1 needs infinitely many participants).

    Notes
    -----
    Inverse of :func:`problem_discovery` (Virzi 1992; Lewis 1994; Sauro 2008,
    "Deriving a problem discovery sample size": p = .10, goal = .90 gives
    21.85, so 22 users).

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.sample_size_for_discovery(0.10, 0.90)
    22
    >>> stats.sample_size_for_discovery(0.5, 0.75)
    2
    """
    p = check_real("p", p, low=0.0, high=1.0, low_open=True)
    goal = check_real("goal", goal, low=0.0, high=1.0, low_open=True, high_open=True)
    if p == 1.0:
        return 1
    return max(1, _ceil(math.log1p(-goal) / math.log1p(-p)))
