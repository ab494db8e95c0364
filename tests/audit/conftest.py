"""Fixture sites served over HTTP on 127.0.0.1, and audits of them shared by the tests.

Each folder under ``sites/`` is served by its own threaded ``http.server`` on a
free port. ``/name`` serves ``name.html``; ``?delay=MS`` holds the answer back
for that long (the slow-LCP image); a missing file answers 404.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from uxlab.audit import AuditReport, load_script, run_audit

HERE = Path(__file__).parent
SITES = HERE / "sites"
SCRIPTS = HERE / "scripts"


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with pretty URLs and an optional deliberate delay."""

    def translate_path(self, path: str) -> str:
        resolved = Path(super().translate_path(path))
        if not resolved.suffix and not resolved.is_dir():
            html = resolved.with_suffix(".html")
            if html.exists():
                return str(html)
        return str(resolved)

    def send_head(self) -> Any:
        query = parse_qs(urlsplit(self.path).query)
        if "delay" in query:
            time.sleep(int(query["delay"][0]) / 1000)
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(directory: Path) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve ``directory`` on 127.0.0.1 at a free port from a daemon thread."""
    handler = partial(SiteHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="session")
def site_url() -> Iterator[Callable[[str], str]]:
    """``site_url("storefront")`` is the base URL of that fixture site."""
    servers: dict[str, tuple[ThreadingHTTPServer, threading.Thread]] = {}

    def url(name: str) -> str:
        if name not in servers:
            servers[name] = serve(SITES / name)
        return f"http://127.0.0.1:{servers[name][0].server_address[1]}"

    yield url
    for server, thread in servers.values():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def storefront_report(site_url: Callable[[str], str]) -> AuditReport:
    """The storefront journey audited at desktop and mobile, two workers."""
    script = load_script(SCRIPTS / "storefront.yaml")
    script = script.with_overrides(base_url=site_url("storefront"))
    return run_audit(script, workers=2)


@pytest.fixture(scope="session")
def faulty_report(site_url: Callable[[str], str]) -> AuditReport:
    """The faulty site audited at desktop and mobile, one worker."""
    script = load_script(SCRIPTS / "faulty.yaml")
    script = script.with_overrides(base_url=site_url("faulty"))
    return run_audit(script, fail_on="none")
