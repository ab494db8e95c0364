"""`uxlab serve --processes N`: several app processes on one database, over HTTP.

The server runs as a real subprocess on a free port of 127.0.0.1. Which of its
workers takes a connection is the kernel's choice, so the test makes it
certain: a stopped worker (SIGSTOP) cannot accept, and the other one does.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from tests.conftest import only_postgres, only_sqlite
from tests.test_recorder import event, seed
from uxlab.db import get_engine
from uxlab.migrate import upgrade

SHOP = "http://shop.example.com"
UXLAB = Path(sys.executable).with_name("uxlab")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> set[int]:
    """The live child processes of ``pid``."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def wait_for(what: str, check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def serve(database_url: str, port: int, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, UXLAB_DATABASE_URL=database_url, UXLAB_SECRET_KEY="test")
    # This checkout's uxlab, whichever one the virtualenv's script was made for.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    return subprocess.Popen(
        [str(UXLAB), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextmanager
def stopped(pid: int) -> Iterator[None]:
    """``pid`` paused: it accepts no connection until the block ends."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def request(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One request on a connection of its own (so a worker must accept it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Origin": SHOP}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "text/plain"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@only_postgres
@pytest.mark.reliability
def test_two_processes_share_one_participant(app: Flask, database_url: str) -> None:
    """A participant's requests land on either process, and each sees the other's."""
    upgrade(engine=get_engine(app))  # serve refuses a database not upgraded
    with Session(get_engine(app), expire_on_commit=False) as session:
        token = seed(session)[0].tokens["cart"]
    port = free_port()
    server = serve(database_url, port, "--processes", "2", "--threads", "4")
    try:
        first, second = wait_for(
            "two workers",
            lambda: (
                sorted(children(server.pid)) if len(children(server.pid)) == 2 else None
            ),
        )
        events = f"/api/v1/attempts/{token}/events"
        batch = [event(seq=i) for i in range(1, 11)]
        ids = {e["id"] for e in batch}

        with stopped(second):
            status, stored = wait_for(
                "the server", lambda: _try(request, port, "POST", events, batch)
            )
        assert status == 200, stored
        assert set(stored["acked"]) == ids and stored["stored"] == 10

        with stopped(first):  # the same batch again, as a retry would go
            status, again = request(port, "POST", events, batch)
        assert status == 200, again
        assert set(again["acked"]) == ids
        assert (again["stored"], again["duplicates"]) == (0, 10)

        success = event(
            "task_success", seq=11, url=f"{SHOP}/static/demo-shop/cart.html"
        )
        with stopped(second):
            status, done = request(port, "POST", events, [success])
        assert status == 200 and done["attempt"]["state"] == "ended"
        with stopped(first):
            status, state = request(port, "GET", f"/api/v1/attempts/{token}")
        assert status == 200
        assert (state["state"], state["outcome"]) == ("ended", "success")

        # A worker that dies is replaced, and the server goes on answering.
        os.kill(first, signal.SIGKILL)
        wait_for(
            "a new worker",
            lambda: len(children(server.pid) - {first}) == 2 or None,
        )
        status, state = request(port, "GET", f"/api/v1/attempts/{token}")
        assert status == 200 and state["state"] == "ended"
        workers = children(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - reported below
            server.kill()
            output, _ = server.communicate()
            raise AssertionError(f"the server did not stop:\n{output}") from None

    assert server.returncode == 0, output
    assert "serving on" in output and "2 processes" in output
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def _try(send: Any, *args: Any) -> Any:
    try:
        return send(*args)
    except OSError:
        return None


@only_sqlite
def test_several_processes_are_refused_on_sqlite(database_url: str) -> None:
    server = serve(database_url, free_port(), "--processes", "2")
    output, _ = server.communicate(timeout=60)
    assert server.returncode == 2
    assert output.strip().splitlines() == [
        "Error: --processes 2 needs PostgreSQL; SQLite serves one process "
        "(set UXLAB_DATABASE_URL to a PostgreSQL database)."
    ]


def test_help_names_the_gunicorn_command_line() -> None:
    result = subprocess.run(
        [str(UXLAB), "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, UXLAB_SECRET_KEY="test"),
    )
    assert result.returncode == 0, result.stderr
    assert "--processes" in result.stdout
    assert "gunicorn --workers 4 --worker-class gthread --threads 16" in result.stdout


@only_sqlite
def test_the_server_does_not_name_its_software(database_url: str) -> None:
    port = free_port()
    server = serve(database_url, port)
    try:

        def login_page() -> http.client.HTTPResponse | None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/login")
                response = conn.getresponse()
                response.read()
                conn.close()
                return response
            except OSError:
                return None

        response = wait_for("the server", login_page)
        assert response.status == 200
        assert response.getheader("Server") is None
        assert response.getheader("Via") is None
    finally:
        server.terminate()
        server.communicate(timeout=30)
