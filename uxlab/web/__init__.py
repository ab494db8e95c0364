"""Blueprints, one per audience, and the error pages they share."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from uxlab.errors import UxlabError

__all__ = ["csrf", "init_app", "wants_json"]

csrf = CSRFProtect()


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
        moderation,
        participant,
        researcher,
        results,
        workspaces,
    )

    # Before CSRF protection and login, which read the form and the database.
    app.before_request(_refuse_nul)
    csrf.init_app(app)
    auth.init_app(app)
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
    access.init_app(app)
    app.register_blueprint(workspaces.bp)
    app.register_blueprint(audits.bp)
    csrf.exempt(audits_api.bp)
    app.register_blueprint(audits_api.bp)

    @app.errorhandler(UxlabError)
    def _uxlab_error(exc: UxlabError) -> tuple[Any, int]:
        return _error_response(exc.status, exc.code, str(exc))

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
