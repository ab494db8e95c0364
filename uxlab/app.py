"""The application factory."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response

from uxlab import db
from uxlab.config import DEFAULTS
from uxlab.errors import ConfigError
from uxlab.paths import STATIC_DIR, STUDY_TEMPLATES_DIR

__all__ = ["add_security_headers", "create_app"]

#: Headers every response carries unless a view set its own.
_SECURITY_HEADERS = (
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
)


def add_security_headers(response: Response) -> Response:
    """Give ``response`` the headers every answer carries, unless it has its own."""
    for name, value in _SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    return response


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure a uxlab app."""
    app = Flask(
        __name__,
        static_folder=str(STATIC_DIR),
        instance_relative_config=True,
    )
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("UXLAB")
    else:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'uxlab.sqlite'}"
    if not app.config["SECRET_KEY"]:
        if db.parse_url(app.config["DATABASE_URL"]).get_backend_name() != "sqlite":
            # Links are derived from the key: every process and host of a team
            # server must share one, so none may make up its own.
            raise ConfigError(
                "set UXLAB_SECRET_KEY: a server on a shared database needs the "
                "same explicit secret key on every process and host (for example "
                "the output of `python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'`)"
            )
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if not app.config["STUDY_TEMPLATES_DIR"]:
        app.config["STUDY_TEMPLATES_DIR"] = str(STUDY_TEMPLATES_DIR)

    if str(app.config.get("PUBLIC_URL") or "").startswith("https://"):
        # Served over HTTPS: cookies never travel in clear, and browsers are
        # told to come back over HTTPS only.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.after_request(_strict_transport_security)

    db.init_app(app)

    from uxlab.web import init_app as init_web

    init_web(app)

    from uxlab.cli import register_commands

    register_commands(app)

    app.after_request(add_security_headers)

    return app


def _strict_transport_security(response: Response) -> Response:
    response.headers.setdefault(
        "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
    )
    return response


def _instance_secret(path: Path) -> str:
    """Read the instance's secret key, creating it on first start."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
