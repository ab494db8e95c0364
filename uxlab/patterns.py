"""A study's ``url_matches`` patterns, matched in time linear in the URL.

Patterns are written by researchers and matched, on the server, against URLs
sent by participants. Python's ``re`` backtracks: a pattern such as
``(a+)+$`` and a crafted URL keep it busy for minutes, holding the recording
lane (and the interpreter) for every study. RE2 (google-re2, Google's engine
behind Code Search and many services that take untrusted patterns) never
backtracks, so a match costs time proportional to the URL, whatever the
pattern. It has no backreferences or lookaround; a pattern using them is
refused when the study is imported.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import re2  # type: ignore[import-untyped]

__all__ = ["MAX_PATTERN", "PatternError", "check_pattern", "url_matches"]

#: Longest pattern a study may give; longer ones are not URL patterns.
MAX_PATTERN = 500


class PatternError(ValueError):
    """A pattern RE2 cannot run, with a reason a researcher can act on."""


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported, not logged


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None


def check_pattern(pattern: str) -> None:
    """Raise :class:`PatternError` unless ``pattern`` is a usable URL pattern.

    >>> check_pattern(r"/cart\\.html$")
    >>> check_pattern(r"(a)\\1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    uxlab.patterns.PatternError: uses backreferences or lookaround, ...
    """
    if len(pattern) > MAX_PATTERN:
        raise PatternError(
            f"the pattern is {len(pattern)} characters; at most {MAX_PATTERN}"
        )
    try:
        _compiled(pattern)
    except PatternError as exc:
        try:
            re.compile(pattern)
        except re.error as python_error:
            raise PatternError(
                f"not a valid regular expression: {python_error}"
            ) from None
        if "escape" in str(exc) or "perl operator" in str(exc):
            raise PatternError(
                "uses backreferences or lookaround, which URL patterns cannot "
                "have (RE2 syntax)"
            ) from None
        raise PatternError(f"not a pattern RE2 can run: {exc}") from None


def url_matches(pattern: str, url: str) -> bool:
    """Whether ``pattern`` is found in ``url`` (False for a pattern RE2 refuses)."""
    try:
        return _compiled(pattern).search(url) is not None
    except PatternError:
        return False
