"""Moderated sessions on the web: scheduling, the console, observers, notes.

Researcher routes sit behind login and state their permission
(:func:`uxlab.web.access.requires`), which finds the study and checks the role
in its workspace; the session is then looked up within that study, so a study
or session of a workspace the researcher is not in is "not found" (404) before
anything is read or written, and a viewer running a session is refused (403).
The console's JSON POSTs are cookie-authenticated and carry the CSRF token in
the ``X-CSRFToken`` header.

Observer routes (``/observe/<token>``) are authenticated by the token in their
URL alone, never by a cookie, so they are exempt from CSRF; they read the
session and write the observer's own notes, nothing else.

Live updates are server-sent events from a stream that ends itself after
:data:`STREAM_SECONDS` (the browser's ``EventSource`` reconnects) or as soon
as its page is gone, with a bound on how many one process holds; past it, the
same URL answers once and the browser polls. A JSON state endpoint serves
polling too.
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import Session
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import DateTimeLocalField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from uxlab import coding, live, moderation
from uxlab.coding import Codebook
from uxlab.db import get_engine, get_session
from uxlab.errors import UxlabError
from uxlab.live import CHANGES
from uxlab.models import ModeratedSession, Study, StudyMode
from uxlab.web import csrf
from uxlab.web.access import can, current_study, requires
from uxlab.web.auth import current_researcher_id
from uxlab.web.researcher import participant_link
from uxlab.workspaces import Permission, record_export

__all__ = ["STREAM_POLL", "STREAM_SECONDS", "bp", "event_stream", "state_response"]

bp = Blueprint("moderation", __name__)

#: How long one event stream stays open before the browser reconnects.
STREAM_SECONDS = 25.0
#: How often a stream asks the database whether its session changed, in
#: seconds: a change made through another app process shows within about this.
STREAM_POLL = 0.2
#: How often a stream re-reads its whole state anyway, in seconds, so that what
#: no version counts (the recorder's latest page and click) still shows within
#: a second, the read included.
STREAM_TICK = 0.7

#: Seconds between comment lines on a quiet stream: a write to a closed page
#: fails, so the stream of a page gone without a word ends within about this.
STREAM_HEARTBEAT = 1.0
#: Streams one process holds at once when LIVE_STREAMS is unset.
DEFAULT_LIVE_STREAMS = 8
#: Past that bound, a page waits this long before asking again, in ms, plus
#: up to as much again at random.
POLL_RETRY_MS = 3000
#: A polling page that has the session's latest version is sent the whole
#: state again anyway once per this many seconds (the participant's presence,
#: the recorder's latest page); in between, only its version is read.
POLL_FULL_SECONDS = 10

#: Keyboard shortcuts of the console, as listed on the page.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("s", "Start the current task"),
    ("1", "Success"),
    ("2", "Partial success"),
    ("3", "Failure"),
    ("0", "Skip the task"),
    ("r", "Type a reason for the next outcome"),
    ("n", "Move the participant on to the next step"),
    ("/", "Type a note"),
    ("x", "End the session (press it twice)"),
    ("?", "Show or hide these shortcuts"),
    ("Esc", "Leave a text field"),
)
OBSERVER_SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("/", "Type a note"),
    ("?", "Show or hide these shortcuts"),
    ("Esc", "Leave a text field"),
)


class ScheduleForm(FlaskForm):  # type: ignore[misc]
    label = StringField(
        "Participant label",
        [DataRequired(), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    scheduled_at = DateTimeLocalField(
        "Scheduled time", [Optional()], format="%Y-%m-%dT%H:%M"
    )
    #: Minutes to add to ``scheduled_at`` for UTC, from the researcher's browser
    #: (``Date.getTimezoneOffset`` of that moment); without it the time is UTC.
    utc_offset = IntegerField(
        widget=HiddenInput(), validators=[Optional(), NumberRange(-18 * 60, 18 * 60)]
    )


class ObserverForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Observer's name",
        [DataRequired(), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


# ----------------------------------------------------------------- helpers


View = Callable[..., Any]


def _api(view: View) -> View:
    """Login for the console's JSON routes: 401 JSON, never a redirect to a form
    (a script following the redirect would take the login page for success).
    """

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return jsonify(error="login_required", message="Log in again."), 401
        return view(*args, **kwargs)

    return wrapped


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _study(slug: str) -> Study:
    """The route's study, found and checked by :func:`requires`."""
    return current_study()


def _session(slug: str, session_id: int) -> tuple[Study, ModeratedSession]:
    study = _study(slug)
    return study, moderation.owned_session(get_session(), study, session_id)


def _moderator() -> moderation.Author:
    name = getattr(current_user, "name", "") or "Moderator"
    return moderation.moderator(current_researcher_id(), f"{name} (moderator)")


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UxlabError("Send a JSON object.")
    return data


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dump(state: dict[str, Any]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def state_response(state: dict[str, Any]) -> Response:
    """A state for polling, with the server's clock for the client's timers."""
    return _no_store(jsonify({**state, "server_ms": _now_ms()}))


def _stream_slots() -> live.StreamSlots:
    """This app's bound on open streams, made on first use."""
    slots = current_app.extensions.get("uxlab.live_streams")
    if slots is None:
        limit = current_app.config.get("LIVE_STREAMS") or DEFAULT_LIVE_STREAMS
        slots = current_app.extensions.setdefault(
            "uxlab.live_streams", live.StreamSlots(int(limit))
        )
    return slots  # type: ignore[no-any-return]


def _event_id(version: object) -> str:
    """A state's event id: its version, and which :data:`POLL_FULL_SECONDS`
    period it was read in (what the version does not count changes too).
    """
    return f"{version}.{int(time.time() // POLL_FULL_SECONDS)}"


def _event(state: dict[str, Any]) -> str:
    message = _dump({**state, "server_ms": _now_ms()})
    return f"id: {_event_id(state['version'])}\nevent: state\ndata: {message}\n\n"


def _stream_response(body: Any, kind: str) -> Response:
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    response.headers["X-Uxlab-Live"] = kind
    return response


def event_stream(
    read: Callable[[Session], dict[str, Any] | None],
    *,
    version: Callable[[Session], object] | None = None,
    seconds: float | None = None,
    alive: Callable[[Session], None] | None = None,
) -> Response:
    """A text/event-stream of ``read``'s state, sent whenever it changes.

    The stream starts with the current state (so a client that reconnects has
    missed nothing) and re-reads it when ``version`` (a cheap read of the
    session's change count, polled every :data:`STREAM_POLL` seconds) moves,
    at once when this process changes a session (:data:`uxlab.live.CHANGES`),
    and at least every :data:`STREAM_TICK` seconds. It ends itself after
    ``seconds`` with a ``bye`` event; ``read`` returning None ends it at once.
    Each state's event id is its ``version`` and period (:func:`_event_id`).
    No database connection is held between reads.

    A stream holds a server thread, so it must not outlive its page: it ends
    as soon as the server reports the client gone (waitress's
    ``waitress.client_disconnected``, with ``channel_request_lookahead`` on)
    and otherwise writes a comment line every :data:`STREAM_HEARTBEAT`
    seconds, which fails once the page is closed. Past the process's bound
    (:func:`_stream_slots`) the answer is the current state and ``bye`` with a
    ``retry`` of 3 to 6 s (:data:`POLL_RETRY_MS`): the browser's
    ``EventSource`` asks again then, which is polling, and the thread is free
    at once.

    ``alive``, if given, runs at the start and every :data:`STREAM_HEARTBEAT`
    seconds while the page is there (the participant's presence).
    """
    engine = get_engine()
    limit = STREAM_SECONDS if seconds is None else seconds
    if alive is not None:
        with Session(engine) as db:
            alive(db)
    slot = _stream_slots().take()
    if slot is None:
        # Spread out, so pages turned away together do not all come back
        # at the same moment.
        retry = POLL_RETRY_MS + random.randrange(POLL_RETRY_MS)
        text = f"retry: {retry}\n\n"
        bye = "event: bye\ndata: {}\n\n"
        # The browser sends the id of the last state it got: when the version
        # and the period are still that, it has this state (a one-integer read).
        seen = request.headers.get("Last-Event-ID")
        if seen and version is not None:
            with Session(engine) as db:
                if seen == _event_id(version(db)):
                    return _stream_response(text + bye, "poll")
        with Session(engine, expire_on_commit=False) as db:
            state = read(db)
        if state is not None:
            text += _event(state)
        return _stream_response(text + bye, "poll")
    gone: Callable[[], bool] = request.environ.get(
        "waitress.client_disconnected", lambda: False
    )

    def changed_since(mark: object) -> bool:
        if version is None:
            return False
        with Session(engine) as db:
            return version(db) != mark

    def generate() -> Iterator[str]:
        try:
            deadline = time.monotonic() + limit
            seen = CHANGES.count
            sent = None
            yield "retry: 1000\n\n"
            wrote = lived = time.monotonic()
            while not gone():
                with Session(engine, expire_on_commit=False) as db:
                    # Read the mark first: a change landing between the two
                    # reads is in the state, and makes the next poll read once
                    # more.
                    mark = version(db) if version is not None else None
                    state = read(db)
                if state is None:
                    break
                body = _dump(state)
                if body != sent:
                    sent = body
                    yield _event(state)
                    wrote = time.monotonic()
                now = time.monotonic()
                if now >= deadline:
                    break
                if now - wrote >= STREAM_HEARTBEAT:
                    # A comment: fails, ending the stream, once the page is gone.
                    yield ":\n\n"
                    wrote = now
                if alive is not None and now - lived >= STREAM_HEARTBEAT:
                    with Session(engine) as db:
                        alive(db)
                    lived = now
                reread = min(now + STREAM_TICK, deadline)
                while now < reread and not gone():
                    step = min(reread - now, STREAM_POLL)
                    count = CHANGES.wait(seen, step)
                    if count != seen:
                        seen = count
                        break
                    now = time.monotonic()
                    if now < reread and changed_since(mark):
                        break
            yield "event: bye\ndata: {}\n\n"
        finally:
            slot.release()

    response = _stream_response(generate(), "stream")
    response.call_on_close(slot.release)
    return response


def _session_reader(
    session_id: int, viewer: moderation.Author
) -> Callable[[Session], dict[str, Any] | None]:
    def read(db: Session) -> dict[str, Any] | None:
        ms = db.get(ModeratedSession, session_id)
        return moderation.build_state(db, ms, viewer) if ms is not None else None

    return read


def _version_of(session_id: int) -> Callable[[Session], object]:
    def version(db: Session) -> object:
        return live.session_version(db, session_id)

    return version


def _console_context(
    study: Study, ms: ModeratedSession, role: str, base: str
) -> dict[str, Any]:
    """What the console and the observer page share."""
    return {
        "study": study,
        "ms": ms,
        "role": role,
        "urls": {
            "state": f"{base}/state.json",
            "stream": f"{base}/stream",
            "notes": f"{base}/notes",
            "control": f"{base}/control",
        },
        "shortcuts": SHORTCUTS if role == "moderator" else OBSERVER_SHORTCUTS,
    }


def _utc(value: datetime | None, offset_minutes: int | None) -> datetime | None:
    """A time entered in the researcher's time zone, in UTC.

    >>> _utc(datetime(2026, 12, 1, 14, 0), -60).isoformat()
    '2026-12-01T13:00:00+00:00'
    """
    if value is None:
        return None
    return value.replace(tzinfo=UTC) + timedelta(minutes=offset_minutes or 0)


# ----------------------------------------------------------- researcher pages


@bp.route("/studies/<slug>/sessions", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.moderate)
def sessions(slug: str) -> str | WerkzeugResponse | tuple[str, int]:
    """The study's sessions, and a form to schedule another."""
    study = _study(slug)
    form = ScheduleForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ms = moderation.schedule_session(
                    get_session(),
                    study,
                    label=form.label.data or "",
                    scheduled_at=_utc(form.scheduled_at.data, form.utc_offset.data),
                    secret=_secret(),
                )
            except UxlabError as exc:
                flash(f"No session made: {exc}.", "error")
            else:
                flash(f"Session “{ms.label}” is scheduled.", "info")
                return redirect(
                    url_for("moderation.session", slug=study.slug, session_id=ms.id),
                    303,
                )
        else:
            flash("The session was not made; see the form below.", "error")
    rows = moderation.list_sessions(get_session(), study)
    status = 400 if request.method == "POST" else 200
    html = render_template(
        "moderation/sessions.html",
        study=study,
        rows=rows,
        form=form,
        moderated=study.mode == StudyMode.moderated,
    )
    return html, status


@bp.route("/studies/<slug>/sessions/<int:session_id>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.moderate)
def session(slug: str, session_id: int) -> str:
    """A session: its links, outcomes, notes and timeline."""
    study, ms = _session(slug, session_id)
    db = get_session()
    secret = _secret()
    links = [
        (o, url_for("moderation.observe", token=moderation.observer_token(o, secret)))
        for o in moderation.observers(db, ms)
    ]
    return render_template(
        "moderation/session.html",
        study=study,
        ms=ms,
        summary=moderation.session_summary(db, ms),
        participant_url=participant_link(
            moderation.participant_link_token(db, ms, secret)
        ),
        observer_links=links,
        observer_form=ObserverForm(),
        clock=moderation.clock,
    )


@bp.route("/studies/<slug>/sessions/<int:session_id>/observers", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.moderate)
def add_observer(slug: str, session_id: int) -> WerkzeugResponse:
    """Make another observer link for the session."""
    study, ms = _session(slug, session_id)
    form = ObserverForm()
    if form.validate_on_submit():
        moderation.add_observer(
            get_session(), ms, name=form.name.data or "", secret=_secret()
        )
        flash("Made an observer link.", "info")
    else:
        flash("Give the observer a name (up to 200 characters).", "error")
    return _to_observers(study, session_id)


@bp.route(
    "/studies/<slug>/sessions/<int:session_id>/observers/<int:observer_id>/revoke",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.moderate)
def revoke_observer(slug: str, session_id: int, observer_id: int) -> WerkzeugResponse:
    """Stop one observer link from working (its notes stay)."""
    study, ms = _session(slug, session_id)
    moderation.revoke_observer(get_session(), ms, observer_id)
    flash("The observer link no longer works.", "info")
    return _to_observers(study, session_id)


def _to_observers(study: Study, session_id: int) -> WerkzeugResponse:
    """Back to the session page's observer links."""
    return redirect(
        url_for(
            "moderation.session",
            slug=study.slug,
            session_id=session_id,
            _anchor="observers",
        ),
        303,
    )


@bp.route("/studies/<slug>/sessions/<int:session_id>/console")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.moderate)
def console(slug: str, session_id: int) -> str:
    """The moderator's console."""
    study, ms = _session(slug, session_id)
    base = url_for("moderation.session", slug=study.slug, session_id=session_id)
    state = moderation.build_state(get_session(), ms, _moderator())
    return render_template(
        "moderation/console.html",
        state={**state, "server_ms": _now_ms()},
        **_console_context(study, ms, "moderator", base),
    )


@bp.route("/studies/<slug>/sessions/<int:session_id>/state.json")
@_api
@requires(Permission.moderate)
def state(slug: str, session_id: int) -> Response:
    """The console's state, for polling."""
    _, ms = _session(slug, session_id)
    return state_response(moderation.build_state(get_session(), ms, _moderator()))


@bp.route("/studies/<slug>/sessions/<int:session_id>/stream")
@_api
@requires(Permission.moderate)
def stream(slug: str, session_id: int) -> Response:
    """The console's state as server-sent events."""
    _, ms = _session(slug, session_id)
    assert ms.id is not None
    return event_stream(
        _session_reader(ms.id, _moderator()), version=_version_of(ms.id)
    )


@bp.route("/studies/<slug>/sessions/<int:session_id>/control", methods=["POST"])
@_api
@requires(Permission.moderate)
def control(slug: str, session_id: int) -> tuple[Response, int]:
    """Apply one control action (JSON); answers with the new state."""
    _, ms = _session(slug, session_id)
    data = _json_body()
    assert ms.id is not None
    db = get_session()
    result = moderation.control(
        db,
        ms.id,
        action_id=data.get("action_id"),
        kind=data.get("action"),
        task_id=data.get("task_id"),
        outcome=data.get("outcome"),
        reason=data.get("reason", ""),
        from_step=data.get("from_step"),
        at_ms=data.get("at_ms"),
        confirm_partial=data.get("confirm_partial", False),
    )
    state = moderation.build_state(db, ms, _moderator())
    body = {
        "applied": result.applied,
        "duplicate": result.duplicate,
        "state": {**state, "server_ms": _now_ms()},
    }
    return _no_store(jsonify(body)), 200


def _note_response(
    db: Session, session_id: int, author: moderation.Author
) -> tuple[Response, int]:
    data = _json_body()
    try:
        result = moderation.write_note(
            db,
            session_id,
            author,
            op=data.get("op", "create"),
            note_id=data.get("note_id"),
            version=data.get("version"),
            tag=data.get("tag"),
            text=data.get("text"),
            task_id=data.get("task_id"),
            at_ms=data.get("at_ms"),
        )
    except moderation.StaleNoteError as exc:
        stale = {"error": exc.code, "message": str(exc), "note": exc.latest}
        return _no_store(jsonify(stale)), 409
    body: dict[str, Any] = {
        "note": result.note,
        "changed": result.changed,
        "version": result.version,
    }
    return _no_store(jsonify(body)), 201 if result.changed else 200


@bp.route("/studies/<slug>/sessions/<int:session_id>/notes", methods=["POST"])
@_api
@requires(Permission.moderate)
def notes(slug: str, session_id: int) -> tuple[Response, int]:
    """Create, edit or delete one of the moderator's notes (JSON)."""
    _, ms = _session(slug, session_id)
    assert ms.id is not None
    return _note_response(get_session(), ms.id, _moderator())


@bp.route("/studies/<slug>/notes")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def study_notes(slug: str) -> str:
    """Notes across the study's sessions, grouped by tag and task."""
    study = _study(slug)
    db = get_session()
    groups = moderation.notes_by_tag(db, study)
    book = coding.codes(db, Codebook.notes(study))
    counts: dict[int, int] = {}
    for group in groups:
        for task in group.tasks:
            for note in task.notes:
                for code in note.codes:
                    counts[code.id or 0] = counts.get(code.id or 0, 0) + 1
    return render_template(
        "moderation/notes.html",
        study=study,
        groups=groups,
        codebook=book,
        code_counts=counts,
        note_total=sum(g.count for g in groups),
        participant_data=can(Permission.participant_data),
    )


@bp.route("/studies/<slug>/notes.csv")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.export)
def notes_download(slug: str) -> Response:
    """Every session note of the study as CSV."""
    study = _study(slug)
    text = moderation.notes_csv(moderation.study_notes(get_session(), study))
    record_export(get_session(), study, current_researcher_id(), "notes.csv")
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{study.slug}-notes.csv"'
    )
    return _no_store(response)


# ---------------------------------------------------------------- observers


def _observed(token: str) -> tuple[ModeratedSession, moderation.Author]:
    ms, link = moderation.observer_by_token(get_session(), token)
    return ms, moderation.observer(link)


@bp.route("/observe/<token>")
def observe(token: str) -> str:
    """An observer's read-only view of a session, with their own notes."""
    ms, author = _observed(token)
    db = get_session()
    study = db.get(Study, ms.study_id)
    base = url_for("moderation.observe", token=token)
    state = moderation.build_state(db, ms, author)
    return render_template(
        "moderation/observe.html",
        state={**state, "server_ms": _now_ms()},
        observer_name=author.name,
        **_console_context(study, ms, "observer", base),  # type: ignore[arg-type]
    )


@bp.route("/observe/<token>/state.json")
def observe_state(token: str) -> Response:
    """The session's state for an observer, for polling."""
    ms, author = _observed(token)
    return state_response(moderation.build_state(get_session(), ms, author))


@bp.route("/observe/<token>/stream")
def observe_stream(token: str) -> Response:
    """The session's state for an observer, as server-sent events."""
    ms, author = _observed(token)
    assert ms.id is not None
    session_reader = _session_reader(ms.id, author)

    def read(db: Session) -> dict[str, Any] | None:
        try:
            moderation.observer_by_token(db, token)
        except UxlabError:
            return None  # revoked meanwhile: the stream ends
        return session_reader(db)

    return event_stream(read, version=_version_of(ms.id))


@bp.route("/observe/<token>/notes", methods=["POST"])
@csrf.exempt  # type: ignore[untyped-decorator]
def observe_notes(token: str) -> tuple[Response, int]:
    """Create, edit or delete one of this observer's notes (JSON)."""
    ms, author = _observed(token)
    assert ms.id is not None
    return _note_response(get_session(), ms.id, author)


@bp.route("/observe/<token>/control", methods=["POST"])
@csrf.exempt  # type: ignore[untyped-decorator]
def observe_control(token: str) -> tuple[Response, int]:
    """Observers cannot control a session: always 403 (404 for a bad link)."""
    _observed(token)
    body = {
        "error": "read_only",
        "message": "Observers watch and take notes; only the moderator controls "
        "the session.",
    }
    return jsonify(body), 403
