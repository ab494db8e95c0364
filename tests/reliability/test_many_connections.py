"""Many participants on one ``uxlab serve``, each browser keeping its connections open.

Browsers keep connections alive between requests, up to six per site, and a
participant has the study's tab and the site's. The load run (200 participants,
benchmarks/load_bench.py) found ``uxlab serve`` accepting no connection past its
hundredth: waitress's default ``connection_limit``. Participants past it waited
for minutes on their first page. Here 150 open keep-alive connections, then
one more participant, who is answered.
"""

from __future__ import annotations

import http.client
import signal
import subprocess

import pytest
from flask import Flask

from tests.conftest import only_sqlite
from tests.test_serve_processes import free_port, serve, wait_for
from uxlab.db import get_engine
from uxlab.migrate import upgrade

pytestmark = [pytest.mark.reliability, only_sqlite]

OPEN = 150


def _get(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/static/favicon.svg")
    response = conn.getresponse()
    response.read()
    return response.status


def test_a_participant_past_the_hundredth_open_connection_is_answered(
    app: Flask, database_url: str
) -> None:
    upgrade(engine=get_engine(app))
    port = free_port()
    server = serve(database_url, port, "--threads", "8")
    held: list[http.client.HTTPConnection] = []
    try:

        def answers() -> bool:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                ok = _get(conn) == 200
                conn.close()
                return ok
            except OSError:
                assert server.poll() is None, "the server stopped"
                return False

        wait_for("the server", answers)
        for _ in range(OPEN):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            assert _get(conn) == 200, f"connection {len(held) + 1} was not answered"
            held.append(conn)  # kept alive, as a browser keeps it
        latecomer = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        assert _get(latecomer) == 200
        latecomer.close()
    finally:
        for conn in held:
            conn.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            server.kill()
            server.communicate()
