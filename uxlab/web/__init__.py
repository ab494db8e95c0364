"""Blueprints, one per audience, and the error pages they share."""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    Response,
    g,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, SecurityError

from uxlab.db import get_engine
from uxlab.errors import UxlabError
from uxlab.storage import (
    RETRY_AFTER_S,
    StorageUnavailableError,
    episode,
    refused,
    storage_fault,
)

__all__ = ["csrf", "error_response", "init_app", "wants_json"]

csrf = CSRFProtect()
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def wants_json() -> bool:
    """Whether this request is one the JSON API answers."""
    return (
        request.path.startswith("/api/")
        or request.path.endswith(".json")
        or request.is_json
    )


def _error_response(status: int, code: str, message: str) -> tuple[Any, int]:
    if wants_json():
        return jsonify(error=code, message=message), status
    template = "errors/404.html" if status == 404 else "errors/error.html"
    return render_template(template, status=status, code=code, message=message), status


def error_response(status: int, code: str, message: str) -> Response:
    """The error page, or JSON ``{"error", "message"}``, as a response."""
    body, status = _error_response(status, code, message)
    response = make_response(body, status)
    return response


def _holds_nul(value: Any) -> bool:
    """Whether a request value (or anything nested in a JSON body) has a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul() -> tuple[Any, int] | None:
    """Refuse a request whose path, query, form or JSON holds a NUL character.

    No text uxlab keeps may contain one (PostgreSQL's text cannot), and no
    browser sends one from a form: it can only be a crafted request.
    """
    values: list[Any] = [
        request.path,
        *request.args.listvalues(),
        *request.form.listvalues(),
    ]
    if request.is_json:
        values.append(request.get_json(silent=True))
    if any(_holds_nul(v) for v in values):
        return _error_response(
            400,
            "nul_character",
            "The request holds a NUL character (\\0), which no address or text "
            "field may contain.",
        )
    return None


def init_app(app: Flask) -> None:
    """Register CSRF protection, login, blueprints and error handlers."""
    from uxlab.web import (
        access,
        analytics,
        api,
        audits,
        audits_api,
        auth,
        csp,
        guesses,
        links,
        moderation,
        note_codes,
        openapi,
        participant,
        preflight,
        preview,
        researcher,
        results,
        study_file,
        workspaces,
    )

    app.add_template_global(links.public_base, "public_base")
    csp.init_app(app)
    # Before CSRF protection and login, which read the form and the database.
    app.before_request(_refuse_nul)
    csrf.init_app(app)
    auth.init_app(app)
    guesses.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(researcher.bp)
    app.register_blueprint(participant.bp)
    app.register_blueprint(results.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    api.inject_recorder(app)
    app.wsgi_app = api.RecorderLane(app)  # type: ignore[method-assign]
    app.register_blueprint(analytics.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(note_codes.bp)
    access.init_app(app)
    app.register_blueprint(workspaces.bp)
    app.register_blueprint(study_file.bp)
    app.register_blueprint(preview.bp)
    app.register_blueprint(preflight.bp)
    app.register_blueprint(audits.bp)
    csrf.exempt(audits_api.bp)
    app.register_blueprint(audits_api.bp)
    app.register_blueprint(openapi.bp)
    from uxlab.cx import demo_shop as cx_demo_shop
    from uxlab.cx import export_web as cx_export
    from uxlab.cx import followups_web as cx_followups
    from uxlab.cx import public as cx_public
    from uxlab.cx import themes_web as cx_themes
    from uxlab.cx import web as cx_web
    from uxlab.cx import widget_api as cx_widget

    app.register_blueprint(cx_web.bp)
    app.register_blueprint(cx_followups.bp)
    app.register_blueprint(cx_themes.bp)
    app.register_blueprint(cx_export.bp)
    app.register_blueprint(cx_public.bp)
    csrf.exempt(cx_widget.bp)
    app.register_blueprint(cx_widget.bp)
    app.register_blueprint(cx_demo_shop.bp)
    from uxlab.kinds import blueprints as kind_blueprints

    for kind_bp in kind_blueprints():
        app.register_blueprint(kind_bp)

    @app.errorhandler(UxlabError)
    def _uxlab_error(exc: UxlabError) -> tuple[Any, int]:
        return _error_response(exc.status, exc.code, str(exc))

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> tuple[Any, int]:
        reason = storage_fault(exc)
        if reason is None:
            raise exc  # answered 500 and logged, as any other failure
        if "db_session" in g:
            g.db_session.rollback()  # the page below may read
        refused(get_engine(), reason)
        error = StorageUnavailableError()
        return _error_response(error.status, error.code, str(error))

    @app.after_request
    def _storage_state(response: Response) -> Response:
        if response.status_code == 503:
            response.headers.setdefault("Retry-After", str(RETRY_AFTER_S))
        elif request.method not in _READS and response.status_code < 500:
            episode.succeeded()
        return response

    @app.errorhandler(SecurityError)
    def _untrusted_host(_exc: SecurityError) -> tuple[str, int, dict[str, str]]:
        # No page template: links cannot be built for a host not trusted.
        return "This address is not served here.", 400, {"Content-Type": "text/plain"}

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> tuple[Any, int]:
        return _error_response(
            400,
            "csrf_failed",
            "This form expired or did not come from uxlab. Go back, reload the page "
            "and try again.",
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Any, int] | Response:
        status = exc.code or 500
        if status in (301, 302, 303, 307, 308):
            return exc.get_response()  # type: ignore[return-value]
        code = (exc.name or "error").lower().replace(" ", "_")
        return _error_response(status, code, exc.description or exc.name or "Error")
