"""Input checks shared by the public statistics functions (private)."""

from __future__ import annotations

import math
from collections.abc import Collection
from numbers import Integral, Real
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]

#: Added before rounding a sample size up, so that a float such as
#: 2.0000000000000004 (an exact answer spoiled by rounding) is not bumped to 3.
CEIL_EPSILON = 1e-9


def check_choice(name: str, value: object, allowed: Collection[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ValueError."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} ({value!r}) must be one of {sorted(allowed)}")
    return value


def check_confidence_level(confidence_level: float) -> float:
    """Return ``confidence_level`` as a float strictly between 0 and 1."""
    if (
        isinstance(confidence_level, bool)
        or not isinstance(confidence_level, Real)
        or not 0.0 < float(confidence_level) < 1.0
    ):
        raise ValueError(
            f"confidence_level ({confidence_level!r}) must be a number strictly "
            "between 0 and 1, such as 0.95"
        )
    return float(confidence_level)


def z_value(confidence_level: float) -> float:
    """Exact two-sided normal quantile z(1 - alpha/2) for a confidence level."""
    return float(special.ndtri(0.5 + 0.5 * confidence_level))


def check_real(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float inside the given interval."""
    ok = (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
    if ok:
        x = float(value)  # type: ignore[arg-type]
        ok = (x > low if low_open else x >= low) and (
            x < high if high_open else x <= high
        )
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(
            f"{name} ({value!r}) must be a finite number in {left}{low}, {high}{right}"
        )
    return float(value)  # type: ignore[arg-type]


def check_int(name: str, value: object, *, minimum: int = 0) -> int:
    """Return ``value`` as an int >= ``minimum`` (integral floats accepted)."""
    result: int | None = None
    if isinstance(value, bool):
        result = None
    elif isinstance(value, Integral):
        result = int(value)
    elif (
        isinstance(value, Real) and math.isfinite(x := float(value)) and x.is_integer()
    ):
        result = int(x)
    if result is None or result < minimum:
        raise ValueError(f"{name} ({value!r}) must be an integer >= {minimum}")
    return result


def as_float_array(name: str, values: Any) -> FloatArray:
    """Convert ``values`` to a float array, naming ``name`` if that fails."""
    if isinstance(values, str | bytes):
        raise ValueError(f"{name} ({values!r}) must be numbers, not a string")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} ({values!r}) must be numbers: {exc}") from None
    return arr


def as_sample(name: str, values: Any, *, min_n: int = 1) -> FloatArray:
    """Return a 1-D array of finite numbers with at least ``min_n`` values."""
    arr = as_float_array(name, values)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (a list of values), got shape {arr.shape}"
        )
    if arr.size < min_n:
        raise ValueError(f"{name} has {arr.size} value(s); at least {min_n} are needed")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name} contains a non-finite value ({arr[bad][0]!r} at index "
            f"{int(np.flatnonzero(bad)[0])}); only finite numbers are allowed"
        )
    return arr


def check_integers_in(
    name: str, arr: FloatArray, low: int, high: int, *, allow_nan: bool = False
) -> None:
    """Raise ValueError unless every (non-NaN) value is an integer in low..high."""
    present = ~np.isnan(arr) if allow_nan else np.ones(arr.shape, dtype=bool)
    ok = ~present | ((arr >= low) & (arr <= high) & (arr == np.round(arr)))
    if not ok.all():
        idx = tuple(int(i) for i in np.argwhere(~ok)[0])
        where = idx[0] if len(idx) == 1 else idx
        raise ValueError(
            f"{name} contains {arr[~ok][0]!r} at index {where}; "
            f"allowed values are the integers {low}..{high}"
        )
