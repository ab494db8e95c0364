"""Options every results view takes: the confidence level and yes/no flags."""

from __future__ import annotations

import math
from typing import Final

from uxlab.errors import UxlabError

#: Confidence levels the pages offer (80, 90, 95, 99 %).
CONFIDENCE_LEVELS: Final = (0.8, 0.9, 0.95, 0.99)


class AnalysisOptionError(UxlabError):
    """A results option (confidence level, flag, planner input) is invalid."""

    code = "invalid_option"
    status = 400


def parse_confidence_level(raw: str | float | None) -> float:
    """The confidence level asked for (default 0.95); one of :data:`CONFIDENCE_LEVELS`.

    >>> parse_confidence_level("0.9"), parse_confidence_level(None)
    (0.9, 0.95)
    >>> parse_confidence_level("0.5")
    Traceback (most recent call last):
    ...
    uxlab.analysis.options.AnalysisOptionError: confidence level ('0.5') must be one of 0.8, 0.9, 0.95, 0.99
    """  # noqa: E501
    if raw is None or raw == "":
        return 0.95
    allowed = ", ".join(f"{c:g}" for c in CONFIDENCE_LEVELS)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    for level in CONFIDENCE_LEVELS:
        if math.isclose(value, level):
            return level
    raise AnalysisOptionError(f"confidence level ({raw!r}) must be one of {allowed}")


def parse_flag(name: str, raw: str | None) -> bool:
    """A yes/no query parameter: absent, "0" or "1" (also "true"/"false").

    >>> parse_flag("include_excluded", "1"), parse_flag("include_excluded", None)
    (True, False)
    """
    if raw is None or raw.lower() in ("", "0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise AnalysisOptionError(f"{name} ({raw!r}) must be 0 or 1")
