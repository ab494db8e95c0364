"""The JSON API the recorder talks to (``/api/v1``), authenticated by attempt token.

No cookies are read here, so the blueprint is exempt from CSRF protection;
browsers may call it only from uxlab's own origin and the study's
``allowed_origins`` (CORS). Errors are ``{"error": code, "message": text}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from uxlab import recorder
from uxlab.db import get_engine, get_session
from uxlab.errors import UxlabError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["RecorderLane", "bp", "inject_recorder"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_TYPES = ("application/json", "text/plain")
_SCRIPT = b'<script src="/static/recorder.js" defer></script>'


def _own_origins() -> Iterator[str]:
    """uxlab's own origins, worked out only when a request's Origin needs them."""
    yield recorder.origin_of(request.host_url)
    public = current_app.config.get("PUBLIC_URL")
    if public:
        yield recorder.origin_of(str(public))


def _cors(response: Response, *, allow: bool = True) -> Response:
    origin = request.headers.get("Origin")
    response.vary.add("Origin")
    if origin and allow:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, code: str, message: str, *, cors: bool = True) -> Response:
    response = jsonify(error=code, message=message)
    response.status_code = status
    return _cors(response, allow=cors)


@bp.errorhandler(UxlabError)
def _uxlab_error(exc: UxlabError) -> Response:
    # A rejected origin gets no CORS headers: its page cannot read the answer.
    allow = not isinstance(exc, recorder.OriginNotAllowedError)
    return _error(exc.status, exc.code, str(exc), cors=allow)


def _too_large(limit: int) -> recorder.BatchError:
    return recorder.BatchError(
        f"A batch is at most {limit} bytes; send fewer events at once.",
        code="payload_too_large",
        status=413,
    )


def _check_length() -> None:
    """Refuse (413) a declared body over the route's limit before reading it."""
    limit = int(current_app.config["INGEST_MAX_BYTES"])
    length = request.content_length
    if length is not None and length > limit:
        raise _too_large(limit)


def _read_body() -> bytes:
    """The body, read up to one byte past the limit (chunked bodies have no length)."""
    limit = int(current_app.config["INGEST_MAX_BYTES"])
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    return body


@bp.route("/attempts/<token>/events", methods=["POST"], provide_automatic_options=False)
def events(token: str) -> ResponseReturnValue:
    """Store a batch of recorder events; answer the ids acknowledged and rejected."""
    _check_length()
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if request.mimetype not in _TYPES or encoding != "identity":
        return _error(
            415,
            "unsupported_media_type",
            "Send the batch as application/json or text/plain, uncompressed.",
        )
    body = _read_body()
    batch = recorder.parse_batch(body)
    result = recorder.ingest(
        get_engine(),
        token,
        batch,
        origin=request.headers.get("Origin"),
        own=_own_origins(),
    )
    return _cors(jsonify(result.as_json()))


@bp.route("/attempts/<token>", methods=["GET"], provide_automatic_options=False)
def attempt(token: str) -> ResponseReturnValue:
    """The attempt's state and its automatic success criterion."""
    state = recorder.attempt_state(
        get_session(), token, origin=request.headers.get("Origin"), own=_own_origins()
    )
    return _cors(jsonify(state.as_json()))


@bp.route("/attempts/<token>", methods=["OPTIONS"])
@bp.route("/attempts/<token>/events", methods=["OPTIONS"])
def preflight(token: str) -> ResponseReturnValue:
    """Answer a CORS preflight for the study's allowed origins only."""
    origins = recorder.allowed_origins(get_session(), token)
    recorder.check_origin(origins, request.headers.get("Origin"), _own_origins())
    return _cors(Response(status=204))


_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)


def inject_recorder(app: Flask) -> None:
    """Put the recorder on HTML pages uxlab serves from static/ (hosted prototypes).

    Without an attempt token in the URL the recorder does nothing, so pages
    opened outside a study are unaffected.
    """

    @app.after_request
    def _inject(response: Response) -> Response:
        if (
            request.endpoint != "static"
            or response.status_code != 200
            or response.mimetype != "text/html"
        ):
            return response
        source = response.response
        response.direct_passthrough = False
        html = response.get_data()
        close = getattr(source, "close", None)
        if close is not None:
            close()  # the file send_file opened; its bytes are read now
        if b"recorder.js" in html:
            return response
        match = _HEAD_END.search(html)
        at = match.start() if match else len(html)
        response.set_data(html[:at] + _SCRIPT + b"\n" + html[at:])
        for header in ("ETag", "Last-Modified", "Content-Encoding"):
            response.headers.pop(header, None)
        return response


#: The path of :func:`events`, the one route the lane takes.
_BATCH_PATH = re.compile(rf"^{re.escape(bp.url_prefix or '')}/attempts/[^/]+/events$")


class RecorderLane:
    """WSGI middleware that handles every recorder batch on one thread of its own.

    Batches are written one at a time anyway: SQLite has a single writer. Left
    on whichever server thread took them, their Python work (parsing,
    validating, answering) also ran side by side, and with many threads busy
    the hand-offs of the interpreter lock cost more than the work itself. On
    one thread they run back to back while the server's threads wait for
    their answers; every other request is passed straight through.
    """

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app
        self._lane = ThreadPoolExecutor(1, thread_name_prefix="uxlab-recorder")

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or not _BATCH_PATH.match(
            environ.get("PATH_INFO", "")
        ):
            return self.wsgi_app(environ, start_response)
        return self._lane.submit(self._answer, environ, start_response).result()

    def _answer(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> list[bytes]:
        body = self.wsgi_app(environ, start_response)
        try:
            return list(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
