"""SUS scores when a respondent left an item blank: drop, impute or prorate."""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from ._validation import FloatArray, as_float_array

__all__ = ["SUS_MISSING_POLICIES", "sus_scores_with_missing"]

#: How a blank SUS item is handled; "drop" is the default.
SUS_MISSING_POLICIES: Final = ("drop", "impute-center", "prorate")

#: Imputation and proration are used for one blank item, the case Lewis &
#: Sauro (2017) validated; a respondent with more blanks is dropped.
MAX_MISSING: Final = 1


def sus_scores_with_missing(
    responses: Any, *, missing: str = "drop"
) -> tuple[FloatArray, FloatArray]:
    r"""SUS scores of respondents with blanks (``nan``), by a declared policy.

    Parameters
    ----------
    responses : array_like, shape (respondents, 10)
        Answers 1-5 to items 1-10 in order; ``nan`` for a blank.
    missing : {"drop", "impute-center", "prorate"}, default "drop"
        "drop" scores complete respondents only.  "impute-center" scores a
        blank as the centre point 3 (Brooke 1996).  "prorate" scores the
        answered items and scales the sum by :math:`100/(4k)` for :math:`k`
        answered items (Lewis & Sauro 2017, JUS 13(1), "Can I leave this one
        out?").  Either applies to one blank item at most; respondents with
        more blanks are dropped.

    Returns
    -------
    scores : ndarray
        One 0-100 score per respondent kept.
    kept : ndarray of bool
        Which rows were scored (``False``: dropped).

    Raises
    ------
    ValueError
        If ``missing`` is not one of :data:`SUS_MISSING_POLICIES` or the
        matrix does not have ten columns.

    Notes
    -----
    The two published policies disagree: nine perfect answers with item 10
    blank score 95.0 imputed and 100.0 prorated.  Neither ever scores a
    blank as 0.  Prorating :math:`k` answered items:

    .. math:: \mathrm{SUS} = \frac{100}{4k} \sum_{i \in \text{answered}} c_i

    with :math:`c_i = r_i - 1` for odd items and :math:`5 - r_i` for even.

    Examples
    --------
    The reference example: nine perfect answers, item 10 blank.

    >>> import numpy as np
    >>> row = [[5, 1, 5, 1, 5, 1, 5, 1, 5, np.nan]]
    >>> [float(sus_scores_with_missing(row, missing=m)[0][0])
    ...  for m in ("impute-center", "prorate")]
    [95.0, 100.0]
    >>> sus_scores_with_missing(row)[0].size
    0
    """
    if missing not in SUS_MISSING_POLICIES:
        raise ValueError(
            f"missing ({missing!r}) must be one of {list(SUS_MISSING_POLICIES)}"
        )
    x = as_float_array("responses", responses)
    if x.ndim != 2 or x.shape[1] != 10:
        raise ValueError(f"responses must have ten columns, got shape {x.shape}")
    blanks = np.isnan(x).sum(axis=1)
    limit = 0 if missing == "drop" else MAX_MISSING
    kept = blanks <= limit
    rows = x[kept]
    odd = np.arange(10) % 2 == 0  # items 1, 3, 5, 7, 9
    if missing == "impute-center":
        rows = np.where(np.isnan(rows), 3.0, rows)
    contributions = np.where(odd, rows - 1, 5 - rows)
    answered = (~np.isnan(contributions)).sum(axis=1)
    total = np.nansum(contributions, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = total * 100 / (4 * answered)
    return np.asarray(scores, dtype=np.float64), kept
