"""Navigation measures: Smith's (1996) lostness."""

from __future__ import annotations

import math
from typing import Final

from ._validation import check_int, check_real

__all__ = ["LOSTNESS_CATEGORIES", "lostness", "lostness_category"]

#: Labels returned by :func:`lostness_category`.
LOSTNESS_CATEGORIES: Final = ("not lost", "indeterminate", "lost")


def lostness(unique_pages: int, total_pages: int, minimum_pages: int) -> float:
    r"""Smith's lostness of one participant's navigation on one task.

    Parameters
    ----------
    unique_pages : int
        N, the number of different pages visited, at least 1.
    total_pages : int
        S, the total page views, revisits included, at least ``unique_pages``.
    minimum_pages : int
        R, the minimum number of pages needed to complete the task (measured
        from the participant's start page), at least 1.

    Returns
    -------
    float
        L = 0 for the optimal path; it is **not** bounded by 1 (supremum
        :math:`\sqrt 2`).

    Raises
    ------
    ValueError
        Unless ``total_pages >= unique_pages >= 1`` and ``minimum_pages >= 1``.

    Notes
    -----
    Smith (1996), "Towards a practical measure of hypertext usability",
    Interacting with Computers 8(4):365-381:

    .. math:: L = \sqrt{(N/S - 1)^2 + (R/N - 1)^2}

    N < R is possible on an abandoned task and is not clamped.  Report the mean
    over successful participants, per task; see :func:`lostness_category`.

    Examples
    --------
    >>> from uxlab import stats
    >>> round(stats.lostness(5, 7, 3), 6)
    0.491561
    >>> round(stats.lostness(10, 100, 1), 4)
    1.2728
    """
    n = check_int("unique_pages", unique_pages, minimum=1)
    s = check_int("total_pages", total_pages, minimum=1)
    r = check_int("minimum_pages", minimum_pages, minimum=1)
    if s < n:
        raise ValueError(
            f"total_pages ({s}) must be at least unique_pages ({n}): revisits "
            "count in the total"
        )
    return math.hypot(n / s - 1, r / n - 1)


def lostness_category(value: float) -> str:
    """Smith's (1996) reading of a lostness value.

    Parameters
    ----------
    value : float
        A lostness from :func:`lostness` (or a mean of them), >= 0.

    Returns
    -------
    str
        "not lost" below 0.4, "lost" above 0.5, "indeterminate" from 0.4 to 0.5.

    Raises
    ------
    ValueError
        If ``value`` is negative or not finite.

    Notes
    -----
    Smith (1996) observed no lostness below 0.4 and clear lostness above 0.5
    (as summarised by Otter & Johnson 2000 and Sauro 2018).

    Examples
    --------
    >>> from uxlab import stats
    >>> stats.lostness_category(stats.lostness(6, 6, 3))
    'indeterminate'
    """
    value = check_real("value", value, low=0.0)
    if value < 0.4:
        return LOSTNESS_CATEGORIES[0]
    if value > 0.5:
        return LOSTNESS_CATEGORIES[2]
    return LOSTNESS_CATEGORIES[1]
