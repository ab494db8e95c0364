"""Audit projects on a real database, run by real `uxlab worker` processes.

Workers are subprocesses started with the test's database URL; they replay
scripts in Debian's Chromium against the fixture sites of tests/audit/, served
on 127.0.0.1. Leases are short (3 s) so a stopped worker's run comes back
within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.audit.conftest import site_url  # noqa: F401  (a fixture)
from uxlab.accounts import create_researcher
from uxlab.audits.projects import NewProject, ProjectSettings, create_project
from uxlab.models import AuditProjectRun, Workspace

#: Seconds a run's lease lasts in these tests (the default is 30).
LEASE_SECONDS = 3

#: One page at one viewport: the least a run can be.
ONE_PAGE = """\
name: Home page
viewports: [desktop]
tasks:
  - name: Open the home page
    steps:
      - goto: /
checks: [accessibility, console, links]
"""

#: Three slow steps (each page answers after 2 s): a run that takes a while.
SLOW = """\
name: Slow pages
viewports: [desktop]
tasks:
  - name: Walk the slow pages
    steps:
      - goto: /slow?delay=2000
      - goto: /wide?delay=2000
      - goto: /?delay=2000
      - goto: /slow?delay=2001
checks: [accessibility]
"""


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Workers:
    """`uxlab worker` processes on the test's database, stopped at the end."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.env = dict(
            os.environ,
            UXLAB_DATABASE_URL=database_url,
            UXLAB_SECRET_KEY="test-secret",
            UXLAB_AUDIT_LEASE_SECONDS=str(LEASE_SECONDS),
            UXLAB_AUDIT_QUEUE_PATH=str(tmp_path / "queue.sqlite"),
        )
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def start(self, threads: int = 1) -> subprocess.Popen[bytes]:
        log = open(self.tmp_path / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115
        self._logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "uxlab", "worker", "--threads", str(threads)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")
            for p in sorted(self.tmp_path.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()


@pytest.fixture(name="queue_app")
def queue_app_fixture(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app, its queue in the same place the workers read theirs."""
    from uxlab import create_app
    from uxlab.db import get_engine

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "AUDIT_LEASE_SECONDS": LEASE_SECONDS,
            "AUDIT_QUEUE_PATH": str(tmp_path / "queue.sqlite"),
        }
    )
    yield app
    queue = app.extensions["uxlab"].get("audit_queue")
    if queue is not None:
        queue.close()
    get_engine(app).dispose()


@pytest.fixture(name="workers")
def workers_fixture(database_url: str, tmp_path: Path) -> Iterator[Workers]:
    workers = Workers(database_url, tmp_path)
    try:
        yield workers
    finally:
        workers.stop()


@pytest.fixture(name="db")
def db_fixture(queue_app: Flask) -> Iterator[Session]:
    from uxlab.db import get_engine

    with Session(get_engine(queue_app), expire_on_commit=False) as session:
        yield session


@pytest.fixture(name="workspace")
def workspace_fixture(db: Session) -> Workspace:
    researcher = create_researcher(db, email="a@example.com", password="password-a")
    workspace = db.exec(select(Workspace)).one()
    assert researcher.id is not None
    return workspace


def make_project(
    db: Session, workspace: Workspace, script: str, base_url: str, **settings: Any
) -> NewProject:
    assert workspace.id is not None
    return create_project(
        db,
        workspace.id,
        ProjectSettings(
            name=settings.pop("name", "Shop"), base_url=base_url, **settings
        ),
        script,
    )


def fresh(db: Session, run_id: int) -> AuditProjectRun:
    """The run as the database holds it now."""
    db.rollback()
    db.expire_all()
    run = db.get(AuditProjectRun, run_id)
    assert run is not None
    return run


@pytest.fixture(name="queue_server")
def queue_server_fixture(queue_app: Flask) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1 and a free port."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, queue_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
