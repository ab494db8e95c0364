"""Live pages on the production server do not starve it.

`uxlab serve` (waitress) runs as a real subprocess with four threads. Live
pages are opened as a browser's EventSource opens them, over real sockets, and
"reloaded" by closing the socket without a word, as a browser does. Whatever
the live pages do, a plain page must still answer, and a closed page must give
its stream back quickly.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlmodel import Session

from tests.conftest import only_sqlite
from tests.test_moderation import moderated_study
from tests.test_serve_processes import free_port, serve, wait_for
from uxlab import moderation as m
from uxlab.db import get_engine
from uxlab.migrate import upgrade

SECRET = "test"  # what test_serve_processes.serve sets as UXLAB_SECRET_KEY
#: Long enough for any healthy answer on a busy test machine; a stream held
#: for its whole life (25 s) or a queue behind such streams exceeds it.
ANSWER_WITHIN = 5.0


@contextmanager
def server(database_url: str, threads: int) -> Iterator[int]:
    port = free_port()
    proc = serve(database_url, port, "--threads", str(threads))
    try:
        # A server starting on a loaded machine (imports, migrations, the
        # audit worker beside it) may take a while; it is not what is tested.
        wait_for("the server", lambda: _status(port, "/login") == 200, 90)
        yield port
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - cleanup only
            proc.kill()
            proc.communicate()


def _status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_WITHIN)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


class LivePage:
    """One live page's stream, on a socket of its own."""

    def __init__(self, port: int, path: str, last_id: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN)
        seen = f"Last-Event-ID: {last_id}\r\n" if last_id else ""
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{seen}"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self.text = ""

    def read_until(self, marker: str) -> str:
        while marker not in self.text:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.text += chunk.decode()
        return self.text

    @property
    def held(self) -> bool:
        """A stream the server keeps open (not the polling answer)."""
        head = self.read_until("\r\n\r\n").split("\r\n\r\n", 1)[0]
        return "x-uxlab-live: stream" in head.lower()

    def close(self) -> None:
        self.sock.close()  # as a browser does on reload: no goodbye


def streams(port: int, path: str) -> bool:
    """Whether a page opened now gets a stream of its own."""
    page = LivePage(port, path)
    try:
        return page.held
    finally:
        page.close()


def observer_path(app: Flask, database_url: str) -> str:
    upgrade(engine=get_engine(app))
    with Session(get_engine(app), expire_on_commit=False) as session:
        study = moderated_study(session)
        ms = m.schedule_session(
            session, study, label="P1", scheduled_at=None, secret=SECRET
        )
        token = m.observer_token(m.observers(session, ms)[0], SECRET)
    return f"/observe/{token}/stream"


@only_sqlite  # one process; the several-process server is gunicorn's
def test_reloading_live_pages_leaves_the_server_answering(
    app: Flask, database_url: str
) -> None:
    path = observer_path(app, database_url)
    with server(database_url, threads=4) as port:
        # Eight reloads of a live page in quick succession, on four threads.
        for _ in range(8):
            page = LivePage(port, path)
            assert "event: state" in page.read_until("event: state")
            page.close()
        started = time.monotonic()
        assert _status(port, "/login") == 200, "the login page did not answer"
        assert time.monotonic() - started < ANSWER_WITHIN
        # The closed pages' streams are given back: a new page streams again.
        wait_for("a stream to be free again", lambda: streams(port, path), 2.0)


@only_sqlite
def test_past_the_bound_live_pages_poll_and_the_server_still_answers(
    app: Flask, database_url: str
) -> None:
    path = observer_path(app, database_url)
    with server(database_url, threads=4) as port:
        pages = [LivePage(port, path) for _ in range(12)]
        try:
            texts = [page.read_until("event: state") for page in pages]
            assert all("event: state" in text for text in texts)
            held = [page for page in pages if page.held]
            polled = [page for page in pages if not page.held]
            assert 1 <= len(held) <= 2  # half the threads at most
            for page in polled:
                # The state, then goodbye, and the browser asks again later.
                text = page.read_until("event: bye")
                assert "event: bye" in text and "retry: " in text
            assert _status(port, "/login") == 200
            # Asking again with the state it has, a polling page gets no
            # copy of it (only the version is read); a page with an older
            # one gets the state.
            older = LivePage(port, path, last_id="-1.0")
            pages.append(older)
            assert "event: state" in older.read_until("event: bye")
            text = polled[0].text
            for _ in range(2):  # twice, should a 10 s period end in between
                last = text.split("id: ", 1)[1].split("\n", 1)[0]
                again = LivePage(port, path, last_id=last)
                pages.append(again)
                text = again.read_until("event: bye")
                if "event: state" not in text:
                    break
            assert "event: state" not in text
        finally:
            for page in pages:
                page.close()
