"""Case 23: the database refuses writes (read-only, or the disk is full).

Writes answer 503 with ``Retry-After``, never 500; the app logs one line when
the fault starts and one when it ends, and recovers by itself, without a
restart, once the condition clears. Nothing is acked that was not committed.

The fault is real SQLite behaviour, brought about on the app's own engine: a
connection opened while the file is read-only stays read-only (here
``PRAGMA query_only``), and a full disk is ``PRAGMA max_page_count`` at the
file's current size. Running as root, ``chmod 0444`` would not stop writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.conftest import only_sqlite
from tests.test_recorder import count, event, seed
from tests.web.test_api import post
from uxlab.accounts import create_researcher
from uxlab.db import get_engine

pytestmark = [pytest.mark.reliability, only_sqlite]


def _read_only(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA query_only = ON")


def _disk_full(dbapi_conn: Any, _record: Any) -> None:
    pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
    dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")


@contextmanager
def fault(engine: Engine, on_connect: Callable[[Any, Any], None]) -> Iterator[None]:
    """Every connection opened inside the block has the fault."""
    engine.dispose()
    sa_event.listen(engine, "connect", on_connect)
    try:
        yield
    finally:
        sa_event.remove(engine, "connect", on_connect)


def _storage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "uxlab.storage"]


@pytest.mark.parametrize(
    "condition", [_read_only, _disk_full], ids=["read-only", "full"]
)
def test_a_refused_write_is_503_logged_once_and_recovers(
    app: Flask,
    client: FlaskClient,
    session: Session,
    caplog: pytest.LogCaptureFixture,
    condition: Callable[[Any, Any], None],
) -> None:
    app.testing = False  # as served: errors are answered, not raised
    app.config["PROPAGATE_EXCEPTIONS"] = False
    s = seed(session)[0]
    big = "x" * 1500  # grows the file past its last page when the disk is full
    refused = [event(seq=i, data={"x": 1, "y": 2, "text": big}) for i in range(1, 40)]
    caplog.set_level(logging.INFO)
    engine = get_engine(app)
    with fault(engine, condition):
        answers = [
            post(client, s.tokens["cart"], {"events": refused}) for _ in range(5)
        ]
    for answer in answers:
        assert answer.status_code == 503, answer.data
        assert int(answer.headers["Retry-After"]) > 0
        assert set(answer.json) == {"error", "message"}
        assert answer.json["error"] == "storage_unavailable"
    assert all(count(session, e["id"]) == 0 for e in refused)  # nothing acked
    session.commit()  # a fresh snapshot for the counts below
    lines = _storage_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].levelno == logging.ERROR and lines[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info]  # no traceback per request
    # The condition clears: the next batch lands, on connections opened anew.
    again = post(client, s.tokens["cart"], {"events": refused})
    assert again.status_code == 200, again.data
    assert sorted(again.json["acked"]) == sorted(e["id"] for e in refused)
    assert all(count(session, e["id"]) == 1 for e in refused)
    lines = _storage_lines(caplog)
    assert len(lines) == 2
    assert "again" in lines[1].getMessage()


def test_a_researcher_page_that_writes_answers_503_too(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    create_researcher(session, email="r@example.org", password="long-enough")
    client.post("/login", data={"email": "r@example.org", "password": "long-enough"})
    with fault(get_engine(app), _read_only):
        response = client.post("/logout")  # logging out writes
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert b"try again" in response.data.lower()
    assert client.post("/logout").status_code == 302
