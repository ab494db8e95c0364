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


def init_app(app: Flask) -> None:
    """Register CSRF protection, login, blueprints and error handlers."""
    from uxlab.web import (
        access,
        analytics,
        api,
        auth,
        moderation,
        participant,
        researcher,
        results,
        workspaces,
    )

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
