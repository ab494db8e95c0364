"""Throttling whoever guesses tokens: unknown links cost a per-address budget.

Personal links (``/r/…``), observer links (``/observe/…``), feedback links
(``/f/…``) and the recorder's
attempt URLs (``/api/v1/attempts/…``) carry a token. A request whose token is
unknown (answered 401 or 404) spends one unit of its address's budget,
``UNKNOWN_TOKEN_RATE_LIMIT``; once it is spent, every such request from that
address is answered 429 with ``Retry-After`` until the window ends. Requests
with a real token spend nothing, so a lab's participants behind one address
are not held back by each other. Counters live in Flask-Limiter's storage,
shared by every app process.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, request
from limits import RateLimitItem, parse

from uxlab.web.auth import limiter

__all__ = ["GUARDED", "init_app", "is_guess", "over_budget", "spend"]

#: Paths whose token an outsider might guess.
GUARDED = re.compile(r"^/(?:r|observe|api/v1/attempts|f)/[^/]+")
#: Answers that mean "no such token".
_MISSES = frozenset({401, 404})
_NAMESPACE = "uxlab-unknown-token"


def _item(config: Mapping[str, Any]) -> RateLimitItem:
    return parse(str(config["UNKNOWN_TOKEN_RATE_LIMIT"]))


def is_guess(path: str, status: int) -> bool:
    """Whether an answer ``status`` on ``path`` spends the address's budget."""
    return status in _MISSES and GUARDED.match(path) is not None


def over_budget(config: Mapping[str, Any], address: str) -> int | None:
    """Seconds until ``address`` may guess again, or None if it still may."""
    item = _item(config)
    if limiter.limiter.test(item, _NAMESPACE, address):
        return None
    reset, _ = limiter.limiter.get_window_stats(item, _NAMESPACE, address)
    return max(1, math.ceil(reset - time.time()))


def spend(config: Mapping[str, Any], address: str) -> None:
    """Count one unknown token against ``address``."""
    limiter.limiter.hit(_item(config), _NAMESPACE, address)


def _check() -> Any:
    if request.blueprint == "static" or not GUARDED.match(request.path):
        return None
    wait = over_budget(current_app.config, request.remote_addr or "")
    if wait is None:
        return None
    from uxlab.web import error_response

    response = error_response(
        429,
        "too_many_unknown_tokens",
        "Too many links that do not exist were opened from this address. "
        f"Try again in {wait} seconds.",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _count(response: Response) -> Response:
    if is_guess(request.path, response.status_code):
        spend(current_app.config, request.remote_addr or "")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_check)
    app.after_request(_count)
