"""The JSON API the recorder talks to (``/api/v1``), authenticated by attempt token.

No cookies are read here, so the blueprint is exempt from CSRF protection;
browsers may call it only from uxlab's own origin and the study's
``allowed_origins`` (CORS). Errors are ``{"error": code, "message": text}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.engine import Engine
from werkzeug.wrappers import Request

from uxlab import recorder
from uxlab.app import SECURITY_HEADERS
from uxlab.db import get_engine, get_session
from uxlab.errors import UxlabError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["RecorderLane", "bp", "inject_recorder"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_TYPES = ("application/json", "text/plain")
_SCRIPT = b'<script src="/static/recorder.js" defer></script>'


def _own_origins(host_url: str, config: Mapping[str, Any]) -> Iterator[str]:
    """uxlab's own origins, worked out only when a request's Origin needs them."""
    yield recorder.origin_of(host_url)
    public = config.get("PUBLIC_URL")
    if public:
        yield recorder.origin_of(str(public))


def _cors(response: Response, origin: str | None, *, allow: bool = True) -> Response:
    response.vary.add("Origin")
    if origin and allow:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(payload: Mapping[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )


def _error(
    status: int, code: str, message: str, origin: str | None, *, cors: bool = True
) -> Response:
    return _cors(_json({"error": code, "message": message}, status), origin, allow=cors)


def _error_for(exc: UxlabError, origin: str | None) -> Response:
    # A rejected origin gets no CORS headers: its page cannot read the answer.
    allow = not isinstance(exc, recorder.OriginNotAllowedError)
    return _error(exc.status, exc.code, str(exc), origin, cors=allow)


@bp.errorhandler(UxlabError)
def _uxlab_error(exc: UxlabError) -> Response:
    return _error_for(exc, request.headers.get("Origin"))


def _too_large(limit: int) -> recorder.BatchError:
    return recorder.BatchError(
        f"A batch is at most {limit} bytes; send fewer events at once.",
        code="payload_too_large",
        status=413,
    )


def _store_batch(
    incoming: Request, token: str, engine: Engine, config: Mapping[str, Any]
) -> Response:
    """Check, read and store one batch of recorder events; answer what was kept.

    A declared body over the limit is refused (413) before it is read; a body
    without a length (chunked) is read up to one byte past the limit.
    """
    limit = int(config["INGEST_MAX_BYTES"])
    if incoming.content_length is not None and incoming.content_length > limit:
        raise _too_large(limit)
    origin = incoming.headers.get("Origin")
    encoding = incoming.headers.get("Content-Encoding", "identity").lower()
    if incoming.mimetype not in _TYPES or encoding != "identity":
        return _error(
            415,
            "unsupported_media_type",
            "Send the batch as application/json or text/plain, uncompressed.",
            origin,
        )
    body = incoming.stream.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    result = recorder.ingest(
        engine,
        token,
        recorder.parse_batch(body),
        origin=origin,
        own=_own_origins(incoming.host_url, config),
    )
    return _cors(_json(result.as_json()), origin)


@bp.route("/attempts/<token>", methods=["GET"], provide_automatic_options=False)
def attempt(token: str) -> ResponseReturnValue:
    """The attempt's state and its automatic success criterion."""
    origin = request.headers.get("Origin")
    state = recorder.attempt_state(
        get_session(),
        token,
        origin=origin,
        own=_own_origins(request.host_url, current_app.config),
    )
    return _cors(_json(state.as_json()), origin)


@bp.route("/attempts/<token>", methods=["OPTIONS"])
@bp.route("/attempts/<token>/events", methods=["OPTIONS"])
def preflight(token: str) -> ResponseReturnValue:
    """Answer a CORS preflight for the study's allowed origins only."""
    origin = request.headers.get("Origin")
    origins = recorder.allowed_origins(get_session(), token)
    recorder.check_origin(
        origins, origin, _own_origins(request.host_url, current_app.config)
    )
    return _cors(Response(status=204), origin)


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


#: The path recorder batches are posted to: ``POST /api/v1/attempts/<token>/events``.
_BATCH_PATH = re.compile(
    rf"^{re.escape(bp.url_prefix or '')}/attempts/(?P<token>[^/]+)/events$"
)


class RecorderLane:
    """WSGI middleware that takes recorder batches; every other request passes on.

    A batch is the one request a study receives many times a second, so it is
    handled here with werkzeug's request and response alone. Flask's dispatch,
    with the session, CSRF, login and limiter hooks the rest of uxlab needs and
    a batch does not, cost about a third of each batch's time.

    Batches are handled one at a time on a thread of their own, while the
    server thread that took each one waits for its answer. SQLite has a single
    writer anyway; left on whichever server thread took them, batches' Python
    work also ran side by side, and with many threads busy the hand-offs of
    the interpreter lock cost more than the work itself.

    ``GET``, ``OPTIONS`` and anything else on the batch path go to Flask, whose
    routes answer the preflight and refuse other methods.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._lane = ThreadPoolExecutor(1, thread_name_prefix="uxlab-recorder")

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        match = (
            _BATCH_PATH.match(environ.get("PATH_INFO", ""))
            if environ.get("REQUEST_METHOD") == "POST"
            else None
        )
        if match is None:
            return self.wsgi_app(environ, start_response)
        answer = self._lane.submit(self._answer, environ, match["token"]).result()
        return answer(environ, start_response)

    def _answer(self, environ: WSGIEnvironment, token: str) -> Response:
        incoming = Request(environ)
        origin = incoming.headers.get("Origin")
        app = self.app
        try:
            with app.app_context():
                response = _store_batch(incoming, token, get_engine(app), app.config)
        except UxlabError as exc:
            response = _error_for(exc, origin)
        except Exception:
            if app.config["PROPAGATE_EXCEPTIONS"] or app.testing:
                raise
            # Not the path: it holds the attempt's token.
            app.logger.exception("Exception storing a recorder batch")
            response = _error(
                500,
                "internal_server_error",
                "The batch could not be stored; send it again.",
                origin,
            )
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        return response
