"""Researcher log in and log out (Flask-Login for the session, Flask-WTF for CSRF)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from uxlab.accounts import authenticate, end_sessions
from uxlab.db import get_engine, get_session
from uxlab.models import Researcher
from uxlab.ratelimit import limiter_storage

__all__ = [
    "CurrentResearcher",
    "bp",
    "current_researcher_id",
    "init_app",
    "sign_in",
]

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see your studies."
# Only the login form is limited: participants behind one address are never throttled.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _recorder_api() -> bool:
    # The recorder's API is never limited, so its calls that reach Flask (the
    # attempt's state, preflights; batches never do) skip the bookkeeping.
    return request.blueprint == "api"


@dataclass(slots=True)
class CurrentResearcher(UserMixin):  # type: ignore[misc]
    id: int
    email: str
    name: str
    session_version: int = 0

    def get_id(self) -> str:
        # The version makes a cookie from before a logout or a new password
        # (which raise it) log no one in: Flask-Login's "alternative tokens".
        return f"{self.id}:{self.session_version}"

    @classmethod
    def of(cls, researcher: Researcher) -> CurrentResearcher:
        assert researcher.id is not None
        return cls(
            researcher.id,
            researcher.email,
            researcher.name,
            researcher.session_version or 0,
        )


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load_researcher(user_id: str) -> CurrentResearcher | None:
    researcher_id, _, version = user_id.partition(":")
    if not researcher_id.isdigit() or not version.isdigit():
        return None
    researcher = get_session().get(Researcher, int(researcher_id))
    if researcher is None or researcher.id is None:
        return None
    if (researcher.session_version or 0) != int(version):
        return None
    return CurrentResearcher.of(researcher)


def sign_in(researcher: Researcher) -> None:
    """Log ``researcher`` in for this browser session only.

    The cookie is never made to outlast the browser, even when a participant
    link opened in the same browser asked for a lasting one.
    """
    login_user(CurrentResearcher.of(researcher))
    session.permanent = False


def current_researcher_id() -> int:
    """The logged-in researcher's id (views are behind ``login_required``)."""
    return int(current_user.id)


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the study list.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash,
    so ``/\t/evil.example`` or ``/\\evil.example`` would leave the site: any
    control character, space or backslash refuses the target, and what is left
    must parse as a bare path (no scheme, no host) that does not start ``//``.
    """
    fallback = url_for("researcher.index")
    if not target or any(ch <= " " or ch in "\\\x7f" for ch in target):
        return fallback
    if target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return fallback
    if parts.path.startswith("//"):
        return fallback
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | WerkzeugResponse:
    """Log a researcher in."""
    form = LoginForm()
    if form.validate_on_submit():
        researcher = authenticate(
            get_session(), form.email.data or "", form.password.data or ""
        )
        if researcher is not None and researcher.id is not None:
            sign_in(researcher)
            return redirect(_safe_next(request.args.get("next")))
        flash("That email and password do not match an account.", "error")
    elif request.method == "POST":
        flash("Enter your email and password.", "error")
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status  # type: ignore[return-value]


def _wait_text(seconds: int) -> str:
    """How long to wait, in words.

    >>> _wait_text(1), _wait_text(45), _wait_text(150), _wait_text(3600)
    ('1 second', '45 seconds', '3 minutes', '60 minutes')
    """
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


@bp.errorhandler(RateLimitExceeded)
def _too_many_logins(
    _exc: RateLimitExceeded,
) -> tuple[str, int, dict[str, str]]:
    """Say when the form takes attempts again, and link back to it."""
    current = limiter.current_limit
    reset_at = current.reset_at if current is not None else time.time() + 60
    wait = max(1, math.ceil(reset_at - time.time()))
    at = datetime.fromtimestamp(time.time() + wait, UTC)
    html = render_template(
        "auth/too_many.html", wait=_wait_text(wait), at=f"{at:%H:%M} UTC"
    )
    return html, 429, {"Retry-After": str(wait)}


@bp.route("/logout", methods=["POST"])
def logout() -> WerkzeugResponse:
    """Log out, here and in every other browser."""
    if current_user.is_authenticated:
        researcher = get_session().get(Researcher, current_researcher_id())
        if researcher is not None:
            end_sessions(get_session(), researcher)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # Counters live where every app process sees them (uxlab.ratelimit).
    app.config["RATELIMIT_STORAGE_URI"] = limiter_storage(app.config, get_engine(app))
    limiter.init_app(app)
