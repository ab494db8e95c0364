"""How numbers read, the same on pages, in reports and in charts.

A percentage is "82 %" (a space before the sign), a negative number has a
true minus sign (U+2212, "−41", never the hyphen "-41"), and a range that
stays on one side of zero reads "64–93 %" with an en dash; a range that
crosses zero reads "−2 to 88", because "−2–88" is hard to read.  Missing
values are an en dash.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["MINUS", "MISSING", "pct", "pct_range", "signed", "span"]

MINUS: Final = "\u2212"
MISSING: Final = "–"


def signed(value: float | None, digits: int = 0, *, plus: bool = False) -> str:
    """A number with a true minus sign; ``plus`` adds "+" to positive values.

    >>> signed(-41.2), signed(30, plus=True), signed(-0.04, 1), signed(None)
    ('−41', '+30', '0.0', '–')
    """
    if value is None or math.isnan(value):
        return MISSING
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        return f"{0:.{digits}f}"
    if text.startswith("-"):
        return MINUS + text[1:]
    return f"+{text}" if plus else text


def pct(value: float | None, digits: int = 0) -> str:
    """A share (0-1) as a percentage: ``pct(0.8182) == "82 %"``.

    >>> pct(0.8182), pct(0.0512, 1), pct(None)
    ('82 %', '5.1 %', '–')
    """
    if value is None or math.isnan(value):
        return MISSING
    return f"{signed(100 * value, digits)} %"


def span(low: float, high: float, digits: int = 0, unit: str = "") -> str:
    """An interval as a range that keeps to one line: "64–93 %", "−2 to 88".

    >>> span(3.31, 5.2, 2), span(-2.2, 88), span(38, 60, 1, " s")
    ('3.31–5.20', '−2 to 88', '38.0–60.0 s')
    """
    lo, hi = signed(low, digits), signed(high, digits)
    joint = " to " if lo.startswith(MINUS) or hi.startswith(MINUS) else "–"
    return f"{lo}{joint}{hi}{unit}"


def pct_range(low: float, high: float, digits: int = 0) -> str:
    """Two shares (0-1) as a range of percentages.

    >>> pct_range(0.5115, 0.9601)
    '51–96 %'
    """
    return span(100 * low, 100 * high, digits, " %")
