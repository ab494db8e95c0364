"""Shared fixtures: an app on a real database, clients, a live server, Chromium.

The database is a SQLite file per test, or, when ``UXLAB_TEST_DATABASE_URL``
names a PostgreSQL server (``make test-postgres`` starts one), a database per
test on that server, copied from a template that holds the schema.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import Pool
from sqlmodel import Session
from werkzeug.routing import Rule
from werkzeug.serving import BaseWSGIServer, make_server

from uxlab import create_app
from uxlab.browser import launch_options
from uxlab.db import create_schema, get_engine, make_engine
from uxlab.migrate import upgrade

DATA = Path(__file__).parent / "data"
#: A PostgreSQL server to run the suite on instead of SQLite files.
SERVER_URL = os.environ.get("UXLAB_TEST_DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")
_TEMPLATE = f"uxlab_template_{os.getpid()}"
_names = itertools.count(1)


def _compile_url_builders_once() -> None:
    """Compile the code that builds each kind of URL once per test process.

    Every test makes an app of its own, and werkzeug compiles a Python function
    for each of the app's URL rules as it is added: about 0.2 s an app, which
    made up a sixth of the suite's time. The function depends only on the
    rule's parts, defaults and converters, so one compiled for an identical rule
    of an earlier app is the same function; it is bound to each rule as before.
    """
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "_cached", False):
        return
    compiled: dict[tuple[Any, ...], Any] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        key = (
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple((name, type(c)) for name, c in self._converters.items()),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    compile_builder._cached = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


_compile_url_builders_once()

#: pytest-playwright's session fixture, under its page, context and browser:
#: once started, its sync Playwright holds an event loop in the main thread, and
#: Playwright's sync API (audits, PDF reports) refuses to start there again.
_PLUGIN_FIXTURE = "playwright"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that use pytest-playwright's fixtures last, in their order."""
    direct, via_plugin = [], []
    for item in items:
        uses_plugin = _PLUGIN_FIXTURE in getattr(item, "fixturenames", ())
        (via_plugin if uses_plugin else direct).append(item)
    items[:] = direct + via_plugin


only_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own behaviour")
only_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")


class TestDatabases:
    """Fresh databases for tests: SQLite files, or databases on one PostgreSQL."""

    __test__ = False

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._admin: Engine | None = None
        self._made: list[str] = []
        self._sqlite: Path | None = None
        if server_url:
            self._admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
            self._create(_TEMPLATE, template="template0")
            schema = make_engine(self._url(_TEMPLATE))
            create_schema(schema)
            upgrade(engine=schema)  # stamps it current, as `uxlab db upgrade` would
            schema.dispose()

    def _sqlite_template(self) -> Path:
        """A SQLite file holding every table, made once and copied for each test."""
        if self._sqlite is None:
            folder = Path(tempfile.mkdtemp(prefix="uxlab-template-"))
            self._sqlite = folder / "schema.sqlite"
            engine = make_engine(f"sqlite:///{self._sqlite}")
            create_schema(engine)
            engine.dispose()
        return self._sqlite

    def _url(self, name: str) -> str:
        url = make_url(self.server_url).set(database=name)
        return url.render_as_string(hide_password=False)

    def _create(self, name: str, *, template: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self._made.append(name)

    def new(self, tmp_path: Path, *, schema: bool = True) -> str:
        """The URL of a new database, with the models' tables or empty."""
        if self._admin is None:
            path = tmp_path / f"uxlab-{next(_names)}.sqlite"
            if schema:
                shutil.copyfile(self._sqlite_template(), path)
            return f"sqlite:///{path}"
        name = f"uxlab_test_{os.getpid()}_{next(_names)}"
        self._create(name, template=_TEMPLATE if schema else "template0")
        return self._url(name)

    def copy(self, url: str, tmp_path: Path) -> str:
        """The URL of a new database holding what the one at ``url`` holds.

        Nothing may be connected to ``url`` (dispose its engine first).
        """
        source = make_url(url).database
        assert source is not None
        if self._admin is None:
            path = tmp_path / f"uxlab-{next(_names)}.sqlite"
            shutil.copyfile(source, path)
            return f"sqlite:///{path}"
        name = f"uxlab_test_{os.getpid()}_{next(_names)}"
        self._create(name, template=source)
        return self._url(name)

    def drop_all(self) -> None:
        if self._sqlite is not None:
            shutil.rmtree(self._sqlite.parent, ignore_errors=True)
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in reversed(self._made):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session", name="databases")
def databases_fixture() -> Iterator[TestDatabases]:
    databases = TestDatabases(SERVER_URL if ON_POSTGRES else "")
    yield databases
    databases.drop_all()


class _OpenConnections:
    """Every psycopg connection the suite's engines open, held until closed.

    psycopg warns about a connection garbage-collected while open, and the
    suite turns warnings into errors. A test's engines are closed when it ends,
    but a thread it started can still open one afterwards (a live page's stream
    runs on for seconds after its browser is gone), and that connection would
    then be collected, open, in the middle of some later test. Holding every
    connection here until it is closed, at its own test's end or at the end of
    the run, keeps that from happening.
    """

    def __init__(self) -> None:
        self.test = 0
        self.held: list[tuple[int, Any]] = []

    def track(self, dbapi_connection: Any, _record: Any) -> None:
        if hasattr(dbapi_connection, "pgconn"):  # psycopg's, not sqlite3's
            self.held.append((self.test, dbapi_connection))

    def close(self, *, test: int | None = None) -> None:
        kept = []
        for owner, connection in self.held:
            if test is None or owner == test:
                if not connection.closed:
                    connection.close()
            elif not connection.closed:
                kept.append((owner, connection))
        self.held = kept


_open_connections = _OpenConnections()


@pytest.fixture(scope="session", autouse=True)
def _hold_connections() -> Iterator[None]:
    if not ON_POSTGRES:
        yield
        return
    event.listen(Pool, "connect", _open_connections.track)
    try:
        yield
    finally:
        event.remove(Pool, "connect", _open_connections.track)
        _open_connections.close()


@pytest.fixture(autouse=True)
def _close_leftover_connections() -> Iterator[None]:
    """Close the PostgreSQL connections a test's engines left open."""
    _open_connections.test += 1
    test = _open_connections.test
    yield
    _open_connections.close(test=test)


@pytest.fixture(name="new_database")
def new_database_fixture(
    databases: TestDatabases, tmp_path: Path
) -> Callable[..., str]:
    """Make another fresh database: ``new_database()`` or ``(schema=False)``."""

    def make(*, schema: bool = True) -> str:
        return databases.new(tmp_path, schema=schema)

    return make


@pytest.fixture(name="database_url")
def database_url_fixture(new_database: Callable[..., str]) -> str:
    """This test's database, holding every table."""
    return new_database()


@pytest.fixture(name="app")
def app_fixture(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app
    get_engine(app).dispose()


@pytest.fixture(name="csrf_app")
def csrf_app_fixture(database_url: str) -> Iterator[Flask]:
    """An app with CSRF protection on, as in production."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
        }
    )
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
