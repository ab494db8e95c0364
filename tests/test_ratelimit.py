"""Rate limits shared by app processes: counters in the database (or Redis)."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from flask import Flask
from limits.storage import MemoryStorage
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.appserver import app_process
from tests.conftest import ON_POSTGRES
from uxlab import create_app
from uxlab.accounts import create_researcher
from uxlab.db import get_engine, make_engine
from uxlab.ratelimit import DatabaseStorage, engine_url
from uxlab.web.auth import limiter

PASSWORD = "long enough password"


@pytest.fixture(name="storage")
def storage_fixture(app: Flask) -> DatabaseStorage:
    return DatabaseStorage(engine_url(get_engine(app)))


def test_counts_within_a_window_then_starts_again(storage: DatabaseStorage) -> None:
    assert storage.check()
    assert [storage.incr("login/1.2.3.4", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("login/1.2.3.4", 1, amount=2) == 5
    assert storage.get("login/1.2.3.4") == 5 and storage.get("other") == 0
    assert time.time() < storage.get_expiry("login/1.2.3.4") <= time.time() + 1
    time.sleep(1.05)
    assert storage.get("login/1.2.3.4") == 0  # the window ran out
    assert storage.incr("login/1.2.3.4", 60) == 1  # and a new one starts
    assert storage.get_expiry("login/1.2.3.4") > time.time() + 50


def test_clear_and_reset_forget_counters(storage: DatabaseStorage) -> None:
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert (storage.get("a"), storage.get("b")) == (0, 1)
    assert storage.reset() == 1
    assert storage.get("b") == 0


def test_long_keys_are_kept_apart(storage: DatabaseStorage) -> None:
    long_a, long_b = "k" * 500 + "a", "k" * 500 + "b"
    storage.incr(long_a, 60)
    assert (storage.get(long_a), storage.get(long_b)) == (1, 0)


def test_hits_from_many_processes_at_once_are_all_counted(
    app: Flask, database_url: str
) -> None:
    """Threads with an engine each (as separate processes have) hit one key:
    every hit counts once, and each saw a count of its own.
    """
    writers, hits = 6, 25
    engines: list[Engine] = [make_engine(database_url) for _ in range(writers)]
    storages = [DatabaseStorage(engine_url(e)) for e in engines]
    barrier = threading.Barrier(writers)
    seen: list[list[int]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []

    def hit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(hits):
                seen[i].append(storages[i].incr("login/10.0.0.1", 60))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert errors == []
    counts = sorted(c for mine in seen for c in mine)
    assert counts == list(range(1, writers * hits + 1))
    assert DatabaseStorage(engine_url(get_engine(app))).get("login/10.0.0.1") == (
        writers * hits
    )


def test_the_database_by_default_on_postgresql_memory_on_sqlite(app: Flask) -> None:
    storage = limiter.storage  # the app made last, this test's
    if ON_POSTGRES:
        assert isinstance(storage, DatabaseStorage)
        assert storage.engine is get_engine(app)
    else:
        assert isinstance(storage, MemoryStorage)


def test_the_setting_names_the_storage(database_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URL": "uxlab-db://",
        }
    )
    try:
        assert isinstance(limiter.storage, DatabaseStorage)
        assert limiter.storage.engine is get_engine(app)
    finally:
        get_engine(app).dispose()


# ------------------------------------------------------------ across processes


def _post_login(base_url: str, password: str) -> int:
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/login",
            body=urllib.parse.urlencode(
                {"email": "r@example.org", "password": password}
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _two_processes_share_the_login_limit(
    database_url: str, storage_setting: str | None
) -> None:
    engine = make_engine(database_url)
    with Session(engine) as db:
        create_researcher(db, email="r@example.org", password=PASSWORD)
    engine.dispose()
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
    }
    if storage_setting is not None:
        config["RATELIMIT_STORAGE_URL"] = storage_setting
    with ExitStack() as stack:
        first = stack.enter_context(app_process(config))
        second = stack.enter_context(app_process(config))
        # Ten wrong guesses, spread over both processes, use the limit up.
        statuses = [
            _post_login((first, second)[i % 2], f"guess-{i}") for i in range(10)
        ]
        assert statuses == [401] * 10
        # The eleventh is refused by either process, even with the right password.
        assert _post_login(first, PASSWORD) == 429
        assert _post_login(second, PASSWORD) == 429


def test_a_login_limit_holds_across_app_processes(database_url: str) -> None:
    # PostgreSQL counts in the database unless told otherwise; one SQLite
    # process counts in memory, so SQLite is asked for the database here.
    _two_processes_share_the_login_limit(
        database_url, None if ON_POSTGRES else "uxlab-db://"
    )


@pytest.fixture(name="redis_url")
def redis_url_fixture() -> Iterator[str]:
    """A throwaway Redis server, when Debian's redis-server and the client are here."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server on this machine")
    pytest.importorskip("redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_login_limit_holds_across_processes_in_redis(
    database_url: str, redis_url: str
) -> None:
    _two_processes_share_the_login_limit(database_url, redis_url)
