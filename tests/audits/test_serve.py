"""`uxlab serve` on the embedded SQLite default runs audits with no other service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.audits.conftest import ONE_PAGE, fresh, make_project, wait_for
from tests.conftest import only_sqlite
from tests.test_serve_processes import children, free_port
from uxlab import create_app
from uxlab.accounts import create_researcher
from uxlab.audits.queue import audit_queue
from uxlab.audits.runs import FINAL, queue_run
from uxlab.db import get_engine
from uxlab.migrate import upgrade
from uxlab.models import RunStatus, Workspace

pytestmark = [pytest.mark.browser, only_sqlite]


def test_serve_starts_a_worker_that_runs_audits_and_stops_with_it(
    tmp_path: Path, site_url: Callable[[str], str]
) -> None:
    database = f"sqlite:///{tmp_path / 'uxlab.sqlite'}"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database}
    )
    upgrade(engine=get_engine(app))
    env = dict(os.environ, UXLAB_DATABASE_URL=database, UXLAB_SECRET_KEY="test")
    env.pop("UXLAB_AUDIT_QUEUE_PATH", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "uxlab", "serve", "--port", str(free_port())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        [worker] = wait_for(
            "the embedded worker", lambda: children(server.pid) or None, 60
        )
        with Session(get_engine(app), expire_on_commit=False) as db:
            create_researcher(db, email="a@example.com", password="password-a")
            workspace = db.exec(select(Workspace)).one()
            project = make_project(db, workspace, ONE_PAGE, site_url("faulty")).project
            run = queue_run(db, project, started_by="person")
            assert run.id is not None
            # The app's queue: a file beside the database, as serve's worker reads.
            audit_queue(app).enqueue(run.id)
            done = wait_for(
                "the run to finish",
                lambda: (r := fresh(db, run.id or 0)).status in FINAL and r,
                120,
            )
            assert done.status == RunStatus.failed, done.error
        assert (tmp_path / "uxlab.sqlite-queue").exists()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        audit_queue(app).close()
        get_engine(app).dispose()
    # The worker goes with the server.
    wait_for("the worker to stop", lambda: not Path(f"/proc/{worker}").exists(), 30)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("stop", "started_ignoring_sigint"),
    [
        # `uxlab serve &` in a script: the shell starts it with SIGINT ignored
        (signal.SIGINT, True),
        # a service manager's stop
        (signal.SIGTERM, False),
    ],
)
def test_serve_stops_cleanly_on_sigint_and_sigterm_with_its_worker(
    tmp_path: Path, stop: signal.Signals, started_ignoring_sigint: bool
) -> None:
    database = f"sqlite:///{tmp_path / 'uxlab.sqlite'}"
    env = dict(os.environ, UXLAB_DATABASE_URL=database, UXLAB_SECRET_KEY="test")
    env.pop("UXLAB_AUDIT_QUEUE_PATH", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "uxlab", "serve", "--port", str(free_port())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_ignore_sigint if started_ignoring_sigint else None,  # noqa: PLW1509
    )
    try:
        [worker] = wait_for(
            "the embedded worker", lambda: children(server.pid) or None, 60
        )
        server.send_signal(stop)
        assert server.wait(timeout=30) == 0  # stopped by itself, not killed
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    wait_for("the worker to stop", lambda: not Path(f"/proc/{worker}").exists(), 30)
