"""The JSON API the recorder talks to (``/api/v1``), authenticated by attempt token.

No cookies are read here, so the blueprint is exempt from CSRF protection;
browsers may call it only from uxlab's own origin and the study's
``allowed_origins`` (CORS). Errors are ``{"error": code, "message": text}``.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Request

from uxlab import recorder, storage
from uxlab.app import add_security_headers
from uxlab.db import get_engine, get_session
from uxlab.errors import UxlabError
from uxlab.web import guesses

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


def _read_batch(incoming: Request, token: str, limit: int) -> recorder.Batch:
    """The batch a request carries, checked before anything is stored.

    A declared body over ``limit`` bytes is refused (413) before it is read; a
    body without a length (chunked) is read up to one byte past the limit.
    """
    if incoming.content_length is not None and incoming.content_length > limit:
        raise _too_large(limit)
    encoding = incoming.headers.get("Content-Encoding", "identity").lower()
    if incoming.mimetype not in _TYPES or encoding != "identity":
        raise recorder.BatchError(
            "Send the batch as application/json or text/plain, uncompressed.",
            code="unsupported_media_type",
            status=415,
        )
    body = incoming.stream.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    return recorder.Batch(
        token,
        recorder.parse_batch(body),
        origin=incoming.headers.get("Origin"),
        own=_own_origins(incoming.host_url, current_app.config),
    )


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


#: The most batches written in one transaction.
_GROUP_MAX = 32


@dataclass(slots=True)
class _Job:
    """A batch a server thread has handed to the lane, and its answer to come."""

    environ: WSGIEnvironment
    token: str
    answer: Future[Response] = field(default_factory=Future)


class RecorderLane:
    """WSGI middleware that takes recorder batches; every other request passes on.

    A batch is the one request a study receives many times a second, so it is
    handled here with werkzeug's request and response alone. Flask's dispatch,
    with the session, CSRF, login and limiter hooks the rest of uxlab needs and
    a batch does not, cost about a third of each batch's time.

    Batches are handled on a thread of their own while the server threads
    that took them wait for their answers. Whatever batches are waiting when
    the lane is free are written together, in one transaction
    (:func:`uxlab.recorder.ingest_many`): under load each batch then costs
    the lane a fraction of the SQLite calls, and every call hands the
    interpreter lock to another thread and waits to get it back. Left on the
    server threads, batches' work ran side by side, and with many threads
    busy those hand-offs cost more than the work itself.

    ``GET``, ``OPTIONS`` and anything else on the batch path go to Flask, whose
    routes answer the preflight and refuse other methods.

    Each process has its own lane. A server that forks its workers after
    making the app (gunicorn's ``preload_app``) gives each worker a lane of its
    own on its first batch: a thread does not survive a fork, and a queue
    copied from the parent holds nothing of the child's.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._start()
        self._starting = threading.Lock()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._waiting: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lane = ThreadPoolExecutor(1, thread_name_prefix="uxlab-recorder")

    def _own_lane(self) -> None:
        """Start this process's lane if the one here was made before a fork."""
        if self._pid != os.getpid():
            with self._starting:
                if self._pid != os.getpid():
                    self._start()

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
        address = environ.get("REMOTE_ADDR", "")
        wait = guesses.over_budget(self.app.config, address)
        if wait is not None:
            refused = _error(
                429,
                "too_many_unknown_tokens",
                "Too many unknown attempt links from this address; "
                f"try again in {wait} seconds.",
                environ.get("HTTP_ORIGIN"),
            )
            refused.headers["Retry-After"] = str(wait)
            return add_security_headers(refused)(environ, start_response)
        self._own_lane()
        job = _Job(environ, match["token"])
        self._waiting.put(job)
        self._lane.submit(self._drain)
        answer = job.answer.result()
        if guesses.is_guess(environ.get("PATH_INFO", ""), answer.status_code):
            guesses.spend(self.app.config, address)
        return answer(environ, start_response)

    def _drain(self) -> None:
        """Answer every batch waiting now (an earlier call may have taken them)."""
        jobs: list[_Job] = []
        while len(jobs) < _GROUP_MAX:
            try:
                jobs.append(self._waiting.get_nowait())
            except queue.Empty:
                break
        if not jobs:
            return
        try:
            answers = self._answer(jobs)
        except BaseException as exc:  # pragma: no cover - outside any batch
            answers = [exc] * len(jobs)
        for job, answer in zip(jobs, answers, strict=True):
            if isinstance(answer, BaseException):
                job.answer.set_exception(answer)
            else:
                job.answer.set_result(answer)

    def _answer(self, jobs: list[_Job]) -> list[Response | BaseException]:
        """Each job's answer, in order; the batches among them stored together."""
        app = self.app
        limit = int(app.config["INGEST_MAX_BYTES"])
        answers: list[Response | BaseException | None] = [None] * len(jobs)
        origins: list[str | None] = []
        batches: dict[int, recorder.Batch] = {}
        with app.app_context():
            for k, job in enumerate(jobs):
                incoming = Request(job.environ)
                origins.append(incoming.headers.get("Origin"))
                try:
                    batches[k] = _read_batch(incoming, job.token, limit)
                except UxlabError as exc:
                    answers[k] = _error_for(exc, origins[k])
            outcomes = recorder.ingest_many(get_engine(app), list(batches.values()))
        for k, outcome in zip(batches, outcomes, strict=True):
            answers[k] = self._respond(outcome, origins[k])
        return [
            add_security_headers(a) if isinstance(a, Response) else a
            for a in answers
            if a is not None
        ]

    def _respond(
        self, outcome: recorder.IngestResult | Exception, origin: str | None
    ) -> Response | BaseException:
        if isinstance(outcome, recorder.IngestResult):
            storage.episode.succeeded()
            return _cors(_json(outcome.as_json()), origin)
        if isinstance(outcome, UxlabError):
            return _error_for(outcome, origin)
        reason = storage.storage_fault(outcome)
        if reason is not None:
            storage.refused(get_engine(self.app), reason)
            answer = _error_for(storage.StorageUnavailableError(), origin)
            answer.headers["Retry-After"] = str(storage.RETRY_AFTER_S)
            return answer
        if self.app.config["PROPAGATE_EXCEPTIONS"] or self.app.testing:
            return outcome
        # Logged without the path: it holds the attempt's token.
        self.app.logger.error("Exception storing a recorder batch", exc_info=outcome)
        return _error(
            500,
            "internal_server_error",
            "The batch could not be stored; send it again.",
            origin,
        )
