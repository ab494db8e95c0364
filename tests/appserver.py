"""Another app process on the test's database, served over real HTTP.

``python -m tests.appserver CONFIG_JSON`` creates the app from that test config,
serves it on a free port of 127.0.0.1 and prints ``PORT <n>``; it stops when
its standard input closes. :func:`app_process` starts one and yields its base
URL; :class:`EventStream` reads a server-sent event stream as a browser would.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def app_process(config: Mapping[str, Any]) -> Iterator[str]:
    """Run the app in a process of its own; yield its base URL."""
    log = tempfile.TemporaryFile(mode="w+")  # request lines; a pipe could fill
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.appserver", json.dumps(dict(config))],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            proc.kill()
            proc.wait(timeout=30)
            log.seek(0)
            raise RuntimeError(f"the app process did not start: {line}{log.read()}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        log.close()
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@dataclass(frozen=True, slots=True)
class Message:
    """One server-sent event, and when it arrived (``time.monotonic()``)."""

    event: str
    id: str
    data: str
    at: float

    def json(self) -> Any:
        return json.loads(self.data)


class EventStream:
    """An open ``text/event-stream`` response, read one event at a time."""

    def __init__(self, url: str, *, cookie: str | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        self._conn = http.client.HTTPConnection(
            parts.hostname or "", parts.port, timeout=30
        )
        headers = {"Accept": "text/event-stream"}
        if cookie:
            headers["Cookie"] = cookie
        self._conn.request("GET", parts.path, headers=headers)
        self._response = self._conn.getresponse()
        if self._response.status != 200:
            raise RuntimeError(f"{url} answered {self._response.status}")

    def next(self) -> Message:
        """The next event (a ``retry`` line alone is not one)."""
        fields: dict[str, str] = {}
        while True:
            raw = self._response.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\n")
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
            elif "event" in fields:
                return Message(
                    fields["event"],
                    fields.get("id", ""),
                    fields.get("data", ""),
                    time.monotonic(),
                )

    def close(self) -> None:
        self._conn.close()


def cookie_from(base_url: str, path: str) -> str:
    """The session cookie a browser gets by opening ``path`` (a link)."""
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie")
    finally:
        conn.close()
    if cookie is None:
        raise RuntimeError(f"{path} set no cookie ({response.status})")
    return cookie.split(";", 1)[0]


def _serve(config: dict[str, Any]) -> None:
    from werkzeug.serving import make_server

    from uxlab import create_app

    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.port}", flush=True)
    sys.stdin.read()  # until the test closes our standard input
    server.shutdown()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
