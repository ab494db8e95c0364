"""Shared fixtures: an app on a real SQLite file, clients, a live server, Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session
from werkzeug.serving import BaseWSGIServer, make_server

from uxlab import create_app
from uxlab.browser import launch_options
from uxlab.db import create_schema, get_engine

DATA = Path(__file__).parent / "data"


@pytest.fixture(name="app")
def app_fixture(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'uxlab.sqlite'}",
            "WTF_CSRF_ENABLED": False,
        }
    )
    create_schema(get_engine(app))
    yield app
    get_engine(app).dispose()


@pytest.fixture(name="csrf_app")
def csrf_app_fixture(tmp_path: Path) -> Iterator[Flask]:
    """An app with CSRF protection on, as in production."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'uxlab.sqlite'}",
        }
    )
    create_schema(get_engine(app))
    yield app
    get_engine(app).dispose()


@pytest.fixture(name="client")
def client_fixture(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(name="runner")
def runner_fixture(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(name="session")
def session_fixture(app: Flask) -> Iterator[Session]:
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


@dataclass(slots=True)
class LiveServer:
    app: Flask
    url: str
    server: BaseWSGIServer


@pytest.fixture(name="live_server")
def live_server_fixture(app: Flask) -> Iterator[LiveServer]:
    """The app served over real HTTP on 127.0.0.1 and a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.port}", server)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL: replaces pytest-playwright's fallback, which pytest 9 warns about."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """Launch Debian's Chromium (or UXLAB_CHROMIUM) with the project's flags."""
    return {**browser_type_launch_args, **launch_options()}
