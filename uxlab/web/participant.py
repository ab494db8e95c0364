"""Participant pages (no login): consent, tasks, questionnaires, thank-you.

A link's token is exchanged for the participant's own token. The session
cookie holds only a random session id (``uxlab_ps``) that the server maps to
the participant (see uxlab.participant_sessions), and the browser is sent
on to the clean URL ``/take/<slug>``, which always shows the current step. Every
POST redirects back there (post/redirect/get), so reloading never resubmits.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlmodel import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab import moderation, participant_sessions, participation, recorder
from uxlab.db import get_session
from uxlab.errors import AlreadyFinishedError, UxlabError
from uxlab.invites import find_invite
from uxlab.kinds import kind_of
from uxlab.live import followed_version, seen
from uxlab.models import Participant, Study, StudyMode
from uxlab.text import duration_words, render_markdown
from uxlab.web.auth import limiter
from uxlab.web.links import public_url
from uxlab.web.moderation import event_stream, state_response

__all__ = ["CSP", "bp"]

bp = Blueprint("participant", __name__)

#: The session cookie's key for this browser's participant session id.
_COOKIE_KEY = "uxlab_ps"
#: Before session ids, the cookie held study slug -> participant token here.
_LEGACY_KEY = "uxlab_p"

#: No inline script or style anywhere on participant pages. Forms may be sent
#: on (by redirect) to the site under test, hence http(s) in form-action.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: http:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self' https: http:"
)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def markdown(text: str | None) -> Any:
    """Researcher-written text, rendered safely."""
    return render_markdown(text)


bp.add_app_template_filter(duration_words, "duration_words")


def _error(
    status: int, code: str, message: str, *, study_title: str = ""
) -> tuple[Any, int]:
    if request.is_json:
        return jsonify(error=code, message=message), status
    html = render_template(
        "participant/message.html",
        status=status,
        code=code,
        message=message,
        study_title=study_title,
    )
    return html, status


@bp.errorhandler(UxlabError)
def _uxlab_error(exc: UxlabError) -> tuple[Any, int]:
    title = exc.study_title if isinstance(exc, AlreadyFinishedError) else ""
    return _error(exc.status, exc.code, str(exc), study_title=title)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Any, int] | WerkzeugResponse:
    status = exc.code or 500
    if status < 400:
        return exc.get_response()
    code = (exc.name or "error").lower().replace(" ", "_")
    return _error(status, code, exc.description or exc.name or "Error")


def _session_id(*, create: bool = False) -> str | None:
    """This browser's participant session id, from its cookie.

    Cookies from before session ids held the tokens themselves; they are
    exchanged for a session id the first time they are seen.
    """
    found = session.get(_COOKIE_KEY)
    session_id = found if isinstance(found, str) and found else None
    legacy = session.pop(_LEGACY_KEY, None)
    if isinstance(legacy, dict) and legacy:
        session_id = session_id or participant_sessions.new_session_id()
        for token in legacy.values():
            if isinstance(token, str):
                participant_sessions.remember(get_session(), session_id, token)
        session[_COOKIE_KEY] = session_id
    if session_id is None and create:
        session_id = participant_sessions.new_session_id()
        session[_COOKIE_KEY] = session_id
    return session_id


def _token(slug: str) -> str | None:
    return participant_sessions.token_for(get_session(), _session_id(), slug)


def _remember(token: str) -> None:
    session_id = _session_id(create=True)
    assert session_id is not None
    participant_sessions.remember(get_session(), session_id, token)
    if not current_user.is_authenticated:
        # A researcher trying their own study keeps a login that ends with
        # the browser; a participant's link lasts, to resume later.
        session.permanent = True


def remember_participant(token: str) -> None:
    """Let this browser continue as the participant holding ``token``."""
    _remember(token)


def _forget(slug: str) -> None:
    participant_sessions.forget(get_session(), _session_id(), slug)


def _take(slug: str) -> WerkzeugResponse:
    return redirect(url_for("participant.take", slug=slug), 303)


def _form_int(name: str) -> int:
    raw = request.form.get(name, "")
    if not raw.isdigit():
        abort(400, f"The form field {name!r} is missing or not a number.")
    return int(raw)


def _resume_url(token: str) -> str:
    return public_url(url_for("participant.resume", token=token))


def _enter_limit() -> str:
    return str(current_app.config["ENTER_RATE_LIMIT"])


def _lab_link() -> bool:
    """Whether the link opened is a study's that runs in a lab (``lab_mode``).

    A lab's participants share one address, so its links are not limited.
    """
    token = (request.view_args or {}).get("token")
    invite = find_invite(get_session(), str(token)) if token else None
    study = get_session().get(Study, invite.study_id) if invite else None
    return bool(study and study.settings.get("lab_mode"))


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(_enter_limit, exempt_when=_lab_link)
def enter(token: str) -> WerkzeugResponse | tuple[str, int]:
    """Open a study link: exchange its token for a cookie and go to the clean URL.

    A single-use invite already started, opened in a browser without its
    participant's cookie, first asks whether this is the same person or a
    link forwarded to someone else; the latter are turned away politely.
    """
    entry = participation.enter_with_invite(
        get_session(),
        token,
        secret=current_app.config["SECRET_KEY"],
        known_tokens=participant_sessions.known_tokens(get_session(), _session_id()),
        user_agent=request.headers.get("User-Agent", ""),
    )
    decision = request.form.get("decision") if request.method == "POST" else None
    if entry.confirm_code is not None and decision != "continue":
        study = get_session().exec(select(Study).where(Study.slug == entry.slug)).one()
        if decision == "forwarded":
            html = render_template("participant/link_used.html", study=study)
            return html, 410
        html = render_template(
            "participant/confirm_link.html",
            study=study,
            code=entry.confirm_code,
            action=url_for("participant.enter", token=token),
        )
        return html, 200
    _remember(entry.token)
    return _take(entry.slug)


@bp.route("/r/<token>")
def resume(token: str) -> WerkzeugResponse:
    """Continue from a personal resume link."""
    entry = participation.enter_with_resume_token(get_session(), token)
    _remember(entry.token)
    return _take(entry.slug)


@bp.route("/take/<slug>")
def take(slug: str) -> tuple[str, int]:
    """Show the participant's current step."""
    token = _token(slug)
    page = participation.step_page(get_session(), slug, token)
    return _render(page, token or "")


def _render(
    page: participation.StepPage, token: str, status: int = 200
) -> tuple[str, int]:
    template = kind_of(page.study).page_templates[page.kind]
    live = None
    if page.study.mode == StudyMode.moderated and page.kind != "done":
        live = moderation.follow_state(get_session(), page.participant)
        if live["ended"]:
            template = "participant/session_ended.html"
    html = render_template(
        template,
        page=page,
        study=page.study,
        live=live,
        resume_url=_resume_url(token),
    )
    return html, status


@bp.route("/take/<slug>/status.json")
def status(slug: str) -> Response:
    """The current step, polled by the task page to move on when a task ends itself."""
    return jsonify(recorder.task_status(get_session(), slug, _token(slug)).as_json())


@bp.route("/take/<slug>/consent", methods=["POST"])
def consent(slug: str) -> WerkzeugResponse:
    """Accept or decline the consent form."""
    step = request.form.get("step", "")
    if request.form.get("decision") == "decline":
        if participation.decline(get_session(), slug, _token(slug), step=step):
            _forget(slug)
            return redirect(url_for("participant.declined", slug=slug), 303)
    elif request.form.get("decision") == "agree":
        participation.give_consent(get_session(), slug, _token(slug), step=step)
    else:
        abort(400, "Choose whether to take part.")
    return _take(slug)


@bp.route("/take/<slug>/withdraw", methods=["GET", "POST"])
def withdraw(slug: str) -> str | WerkzeugResponse:
    """Ask, then delete a consented participant's data at their request."""
    token = _token(slug)
    if request.method == "POST":
        if participation.withdraw(get_session(), slug, token):
            _forget(slug)
            return redirect(url_for("participant.withdrawn", slug=slug), 303)
        return _take(slug)
    page = participation.step_page(get_session(), slug, token)
    return render_template("participant/withdraw.html", page=page, study=page.study)


@bp.route("/take/<slug>/withdrawn")
def withdrawn(slug: str) -> str:
    """Confirm a withdrawal; nothing about the participant is kept."""
    return render_template("participant/withdrawn.html")


@bp.route("/take/<slug>/declined")
def declined(slug: str) -> str:
    """Thank a participant who declined; nothing about them is kept."""
    return render_template("participant/declined.html")


@bp.route("/take/<slug>/start", methods=["POST"])
def start(slug: str) -> WerkzeugResponse:
    """Start the current task; open its site (this form targets a new tab)."""
    url = participation.start_task(
        get_session(),
        slug,
        _token(slug),
        step=request.form.get("step", ""),
        task_id=_form_int("task"),
        secret=current_app.config["SECRET_KEY"],
    )
    return redirect(url, 303) if url else _take(slug)


@bp.route("/take/<slug>/done", methods=["POST"])
def done(slug: str) -> WerkzeugResponse:
    """End the current task: "I'm done" or "I give up"."""
    participation.finish_task(
        get_session(),
        slug,
        _token(slug),
        step=request.form.get("step", ""),
        task_id=_form_int("task"),
        gave_up=request.form.get("outcome") == "give_up",
        client_duration_ms=request.form.get("client_duration_ms"),
    )
    return _take(slug)


@bp.route("/take/<slug>/click", methods=["POST"])
def click(slug: str) -> WerkzeugResponse:
    """Record the first click on a first-click task's image."""
    participation.record_first_click(
        get_session(),
        slug,
        _token(slug),
        step=request.form.get("step", ""),
        task_id=_form_int("task"),
        x=request.form.get("x"),
        y=request.form.get("y"),
        client_duration_ms=request.form.get("client_duration_ms"),
    )
    return _take(slug)


@bp.route("/take/<slug>/step", methods=["POST"])
def submit_step(slug: str) -> WerkzeugResponse:
    """Submit the answer of a step the study's kind adds (works without
    JavaScript); an answer the step does not take is refused with 422."""
    participation.submit_step(
        get_session(),
        slug,
        _token(slug),
        step=request.form.get("step", ""),
        form=request.form,
    )
    return _take(slug)


@bp.route("/take/<slug>/answers", methods=["POST"])
def answers(slug: str) -> WerkzeugResponse | tuple[str, int]:
    """Submit a questionnaire page (works without JavaScript)."""
    token = _token(slug)
    db = get_session()
    submitted = {k: v for k, v in request.form.items() if "." in k}
    problems = participation.save_answers(
        db,
        slug,
        token,
        step=request.form.get("step", ""),
        answers=submitted,
        max_text=current_app.config["MAX_TEXT_ANSWER"],
    )
    if not problems:
        return _take(slug)
    page = participation.step_page(db, slug, token)
    page.errors = problems
    return _render(page, token or "", status=422)


@bp.route("/take/<slug>/answer", methods=["POST"])
def answer(slug: str) -> tuple[Response, int]:
    """Store one answer as soon as it is given (JSON, from participant.js)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="bad_request", message="Send a JSON object."), 400
    missing = [k for k in ("step", "questionnaire", "item", "value") if k not in data]
    if missing:
        return jsonify(error="bad_request", message=f"Missing fields: {missing}"), 400
    saved = participation.save_answer(
        get_session(),
        slug,
        _token(slug),
        step=str(data["step"]),
        questionnaire=str(data["questionnaire"]),
        item=str(data["item"]),
        value=data["value"],
        max_text=current_app.config["MAX_TEXT_ANSWER"],
    )
    if not saved:
        return jsonify(
            error="step_passed", message="This page was already submitted."
        ), 409
    return jsonify(ok=True), 200


@bp.route("/take/<slug>/card-sort", methods=["POST"])
def card_sort(slug: str) -> tuple[Response, int]:
    """Save a card sort as it is after a move (JSON, from card-sort.js).

    A sort the study cannot hold is refused with 422 and the reason; nothing
    is stored then.
    """
    from uxlab.kinds.card_sort import save_partial

    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "step" not in data or "sort" not in data:
        return jsonify(
            error="bad_request", message="Send a JSON object with step and sort."
        ), 400
    saved = save_partial(
        get_session(), slug, _token(slug), step=str(data["step"]), sort=data["sort"]
    )
    if not saved:
        return jsonify(
            error="step_passed", message="This sort was already submitted."
        ), 409
    return jsonify(ok=True), 200


@bp.route("/take/<slug>/live")
def live(slug: str) -> Response:
    """Moderated sessions: the step to show, as server-sent events."""
    _, participant = participation.load_participant(get_session(), slug, _token(slug))
    participant_id = participant.id

    assert participant_id is not None

    def read(db: Any) -> dict[str, Any] | None:
        current = db.get(Participant, participant_id)
        return moderation.follow_state(db, current) if current is not None else None

    def version(db: Any) -> object:
        return followed_version(db, participant_id)

    def alive(db: Any) -> None:
        seen(db, participant_id)

    return event_stream(read, version=version, alive=alive)


@bp.route("/take/<slug>/live.json")
def live_json(slug: str) -> Response:
    """Moderated sessions: the step to show, for polling."""
    _, participant = participation.load_participant(get_session(), slug, _token(slug))
    assert participant.id is not None
    seen(get_session(), participant.id)
    return state_response(moderation.follow_state(get_session(), participant))
