"""Case 21: the server is killed (SIGKILL) mid-write under load, then restarted.

A reduced size of the reference case, to keep ``make test`` in its budget:
10 participants, each a thread with its own connection, post recorder batches
to a real ``uxlab serve`` subprocess as fast as it answers. Half-way through
the server gets ``kill -9``; the participants go on retrying, as recorder.js
does, until a new server on the same database and port answers; then each sends
what was not acknowledged. Afterwards the database passes ``PRAGMA
integrity_check``, every batch acknowledged before the kill is there, and every
event sent is stored exactly once. The full-size run (Locust, 200 users) is
benchmarks/load_bench.py, in ``make bench``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import Session

from tests.conftest import only_sqlite
from tests.test_recorder import event, seed
from tests.test_serve_processes import SHOP, children, free_port, serve, wait_for
from uxlab.db import get_engine
from uxlab.migrate import upgrade

pytestmark = [pytest.mark.reliability, only_sqlite]

PARTICIPANTS = 10
BATCH = 10


@dataclass
class Client:
    """One participant's recorder: batches kept until the server acks them."""

    token: str
    port: int
    recording: str = field(default_factory=lambda: str(uuid.uuid4()))
    seq: int = 0
    sent: set[str] = field(default_factory=set)
    acked: set[str] = field(default_factory=set)
    acked_before_kill: set[str] = field(default_factory=set)
    failures: int = 0
    errors: int = 0
    pending: list[dict[str, Any]] = field(default_factory=list)

    def batch(self) -> list[dict[str, Any]]:
        if not self.pending:
            for _ in range(BATCH):
                self.seq += 1
                self.pending.append(
                    event(seq=self.seq, rec=self.recording, url=f"{SHOP}/index.html")
                )
            self.sent.update(e["id"] for e in self.pending)
        return self.pending

    def run(self, killed: threading.Event, stop: threading.Event) -> None:
        conn: http.client.HTTPConnection | None = None
        path = f"/api/v1/attempts/{self.token}/events"
        while not (stop.is_set() and not self.pending):
            batch = self.batch()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=10
                    )
                retry = f"?retry={self.failures}" if self.failures else ""
                conn.request(
                    "POST",
                    path + retry,
                    body=json.dumps({"events": batch}),
                    headers={"Content-Type": "text/plain", "Origin": SHOP},
                )
                response = conn.getresponse()
                body = json.loads(response.read() or b"{}")
            except (OSError, http.client.HTTPException, ValueError):
                if conn is not None:
                    conn.close()
                conn = None
                self.failures += 1
                self.errors += 1
                time.sleep(0.05)  # short backoff: the outage lasts a moment
                continue
            if response.status != 200:
                self.failures += 1
                self.errors += 1
                time.sleep(0.05)
                continue
            self.failures = 0
            ids = set(body["acked"])
            assert ids == {e["id"] for e in batch}, body
            self.acked |= ids
            if not killed.is_set():
                self.acked_before_kill |= ids
            self.pending = []
        if conn is not None:
            conn.close()


def _start(database_url: str, port: int) -> subprocess.Popen[str]:
    server = serve(database_url, port, "--threads", "8")

    def answers() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            if server.poll() is not None:
                raise AssertionError(server.communicate()[0]) from None
            return False

    wait_for("the server", answers)
    return server


def test_events_survive_a_kill_9_under_load(app: Flask, database_url: str) -> None:
    engine = get_engine(app)
    upgrade(engine=engine)  # serve refuses a database not upgraded
    with Session(engine, expire_on_commit=False) as session:
        tokens = [s.tokens["cart"] for s in seed(session, participants=PARTICIPANTS)]
    port = free_port()
    clients = [Client(token, port) for token in tokens]
    killed, stop = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=c.run, args=(killed, stop), daemon=True)
        for c in clients
    ]
    server = _start(database_url, port)
    try:
        for thread in threads:
            thread.start()
        wait_for("load", lambda: sum(len(c.acked) for c in clients) >= 300)
        # The worker, if any, then the server itself.
        for pid in children(server.pid):
            os.kill(pid, signal.SIGKILL)
        server.send_signal(signal.SIGKILL)
        server.communicate(timeout=10)  # and its output pipe closed
        killed.set()
        assert server.returncode == -signal.SIGKILL
        time.sleep(0.3)  # the participants meet a refused connection
        server = _start(database_url, port)
        wait_for(
            "batches after the restart",
            lambda: all(len(c.acked) > len(c.acked_before_kill) for c in clients),
        )
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "a participant never got acks"
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - reported below
            server.kill()
            server.communicate()

    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        stored = Counter(
            row[0] for row in conn.execute(text("SELECT event_id FROM event"))
        )
        seq_twice = conn.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT 1 FROM event "
                "GROUP BY attempt_id, recording, seq HAVING COUNT(*) > 1)"
            )
        ).scalar()
    sent = set().union(*(c.sent for c in clients))
    before = set().union(*(c.acked_before_kill for c in clients))
    assert sum(c.errors for c in clients) > 0  # the participants met the outage
    assert before <= set(stored), "a batch acked before the kill is missing"
    assert set(stored) == sent, "every event sent is stored, and nothing else"
    assert max(stored.values()) == 1 and seq_twice == 0
    assert len(before) < len(sent)  # some were sent only after the restart
