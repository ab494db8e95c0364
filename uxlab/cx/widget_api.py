"""The web widget's JSON endpoints (``/api/v1/cx/widget/<token>``), public.

- ``GET``: the survey and the widget's settings (:func:`uxlab.cx.widget.widget_config`);
- ``POST .../answers``: one whole answer under the widget's own id; 201 when
  stored, 200 when that id was stored before (a resend), 422 with a reason
  per field when refused (nothing stored);
- ``OPTIONS``: a CORS preflight.

A browser's ``Origin`` must be the touchpoint's ``allowed_origins`` or uxlab's
own: only those get CORS headers; any other is refused (403) before anything
is read or stored. A request without ``Origin`` comes from no browser page
and is taken (the token is public anyway; the rate limit holds). A link
nobody made answers 404; a paused touchpoint or a deleted survey 410, and
the widget then shows nothing. Every request counts against
``WIDGET_RATE_LIMIT`` per token and client address. No cookie is read or set,
so the blueprint is exempt from CSRF protection.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_limiter.util import get_remote_address

from uxlab.cx import widget
from uxlab.cx.feedback import LinkState, Opened, open_link
from uxlab.cx.models import ChannelKind
from uxlab.cx.public import QUESTIONS
from uxlab.db import get_session
from uxlab.errors import UxlabError
from uxlab.recorder import OriginNotAllowedError, origin_of
from uxlab.web.auth import limiter

__all__ = ["bp"]

bp = Blueprint("cx_widget", __name__, url_prefix="/api/v1/cx/widget")

#: Largest answer body read (an open answer of 5,000 characters fits).
MAX_BODY = 32 * 1024
_TYPES = ("application/json", "text/plain")


def _limit() -> str:
    return str(current_app.config["WIDGET_RATE_LIMIT"])


def _per_touchpoint() -> str:
    token = (request.view_args or {}).get("token", "")
    return f"widget:{str(token)[:64]}:{get_remote_address()}"


def _json(payload: dict[str, Any], status: int, *, cors: bool = True) -> Response:
    response = Response(
        json.dumps(payload, separators=(",", ":")) if status != 204 else b"",
        status=status,
        mimetype="application/json",
    )
    return _cors(response, cors=cors)


def _cors(response: Response, *, cors: bool = True) -> Response:
    origin = request.headers.get("Origin")
    response.vary.add("Origin")
    response.headers["Cache-Control"] = "no-store"
    if origin and cors:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    # Refused origins get no CORS headers: their pages cannot read the answer.
    cors = status != 403
    return _json({"error": code, "message": message, **extra}, status, cors=cors)


_CLOSED = {
    LinkState.unknown: (404, "not_found", "No widget has this token."),
    LinkState.survey_deleted: (410, "survey_ended", "This survey has ended."),
    LinkState.disabled: (410, "touchpoint_paused", "This touchpoint is paused."),
}


def _open(token: str) -> Opened | Response:
    """The widget's channel, survey and touchpoint, or the refusal to send."""
    opened = open_link(get_session(), token)
    if opened.channel is not None and opened.channel.kind != ChannelKind.widget:
        opened = Opened(LinkState.unknown)
    touchpoint = opened.touchpoint
    if touchpoint is not None:
        own = [origin_of(request.host_url)]
        if current_app.config.get("PUBLIC_URL"):
            own.append(origin_of(str(current_app.config["PUBLIC_URL"])))
        try:
            widget.check_origin(
                touchpoint.allowed_origins, request.headers.get("Origin"), own
            )
        except OriginNotAllowedError:
            return _error(
                403,
                "origin_not_allowed",
                "This site is not among the touchpoint's allowed origins.",
            )
    if opened.state is not LinkState.open:
        return _error(*_CLOSED[opened.state])
    return opened


@bp.route("/<token>", methods=["GET"], provide_automatic_options=False)
@limiter.limit(_limit, key_func=_per_touchpoint)
def config(token: str) -> Response:
    """The survey's questions and the widget's trigger, sampling and throttling."""
    opened = _open(token)
    if isinstance(opened, Response):
        return opened
    return _json(widget.widget_config(opened, QUESTIONS), 200)


@bp.route("/<token>/answers", methods=["POST"], provide_automatic_options=False)
@limiter.limit(_limit, key_func=_per_touchpoint)
def answer(token: str) -> Response:
    """Store one whole answer once; a resend of its id is acknowledged again."""
    opened = _open(token)
    if isinstance(opened, Response):
        return opened
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error(
            413, "payload_too_large", f"An answer is at most {MAX_BODY} bytes."
        )
    if request.mimetype not in _TYPES:
        return _error(
            415, "unsupported_media_type", "Send the answer as application/json."
        )
    if request.content_length is None:
        return _error(411, "length_required", "Send the answer with its length.")
    # Cached: the NUL check before the view may have read the body already.
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid_json", "The body is not JSON.")
    try:
        stored = widget.take_answer(get_session(), opened, body)
    except widget.AnswerError as exc:
        return _error(exc.status, exc.code, str(exc), reasons=exc.reasons)
    return _json({"stored": stored, "duplicate": not stored}, 201 if stored else 200)


@bp.route("/<token>", methods=["OPTIONS"])
@bp.route("/<token>/answers", methods=["OPTIONS"])
@limiter.limit(_limit, key_func=_per_touchpoint)
def preflight(token: str) -> Response:
    """Answer a CORS preflight for the touchpoint's allowed origins only."""
    opened = _open(token)
    if isinstance(opened, Response) and opened.status_code == 403:
        return opened
    return _json({}, 204)


@bp.after_request
def _too_many(response: Response) -> Response:
    # The limiter's refusal (429) says nothing about the touchpoint; a page may
    # read it, so that the widget waits before sending again.
    if (
        response.status_code == 429
        and "Access-Control-Allow-Origin" not in response.headers
    ):
        _cors(response)
    return response


@bp.errorhandler(UxlabError)
def _uxlab_error(exc: UxlabError) -> Response:
    return _error(exc.status, exc.code, str(exc))
