"""Audit runs, in a process of its own forked from the worker, in a warm Chromium.

Each worker thread has one such process (see :class:`uxlab.audits.queue.Runner`),
which takes run after run over a pipe: ``(run_id, attempt)`` in, ``"done"``
out. It launches Chromium once and opens each run in fresh browser contexts
(new cookies, storage and cache, as for a new visitor), so a run does not pay
for a process and a browser start. After :data:`RUNS_PER_PROCESS` runs (the
``AUDIT_RUNS_PER_PROCESS`` setting) it
ends and the next run starts a fresh one, so no memory builds up. The worker
renews the lease and kills this process's group, browser included, at a run's
time limit or when the run is cancelled.

The fork starts warm (the worker has imported Playwright, axe and the report
templates already) and makes its own database connections. It replays the
script, stores progress as it goes and the report at the end, every write
naming its attempt, and ends itself when the worker that started it is gone,
so a killed worker never leaves a run going that another worker then takes.
"""

from __future__ import annotations

import os
import threading
import time
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from uxlab.audit.findings import PageAudit, TaskRun
from uxlab.audit.report import render_html, report_dict, report_screenshots
from uxlab.audit.runner import run_audit
from uxlab.audit.script import parse_script
from uxlab.audits import runs as run_store
from uxlab.errors import AuditError
from uxlab.models import AuditProject, AuditProjectRun

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

__all__ = ["RUNS_PER_PROCESS", "execute", "runner_main"]

#: Runs one audit process takes before it ends and a fresh one starts.
RUNS_PER_PROCESS = 25


def _watch_parent(parent: int) -> None:
    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(3)
            time.sleep(0.25)

    threading.Thread(target=watch, daemon=True).start()


class _WarmBrowser:
    """One Chromium, launched on first use and again if it has gone."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        from playwright.sync_api import Error, sync_playwright

        from uxlab.browser import launch_options

        if self._browser is not None and self._browser.is_connected():
            return self._browser
        if self._playwright is None:
            self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(**launch_options())
        except Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "error"
            raise AuditError(f"could not start Chromium: {first}") from exc
        return self._browser

    def close(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()


def runner_main(
    database_url: str, conn: Connection, parent: int, runs: int = RUNS_PER_PROCESS
) -> None:
    """The forked process's body: take runs from ``conn`` until told to stop.

    Each message is ``(run_id, attempt)``, answered once the run is stored
    with ``"done"``, or ``"last"`` when the process ends after it; ``None``
    (or the pipe closing) ends the process.
    """
    from uxlab.db import make_engine

    os.setsid()  # its own group, so the worker can kill it with its browser
    _watch_parent(parent)
    engine = make_engine(database_url)
    browser = _WarmBrowser()
    try:
        for taken in range(1, runs + 1):
            try:
                message = conn.recv()
            except EOFError:
                return
            if message is None:
                return
            run_id, attempt = message
            execute(engine, run_id, attempt, browser=browser)
            conn.send("last" if taken == runs else "done")
    finally:
        browser.close()
        engine.dispose()


def execute(
    engine: Any, run_id: int, attempt: int, *, browser: _WarmBrowser | None = None
) -> None:
    """Run the audit and store it (or one line saying why it could not run)."""
    from uxlab.db import session_scope

    with session_scope(engine) as db:
        run = db.get(AuditProjectRun, run_id)
        if run is None:
            return
        project = db.get(AuditProject, run.project_id)
        assert project is not None
        script_yaml, base_url = run.script_yaml, run.base_url
        fail_on = str(project.thresholds.get("fail_on", "serious"))
    try:
        script = parse_script(script_yaml, source="script").with_overrides(
            base_url=base_url
        )
    except AuditError as exc:
        run_store.fail_run(engine, run_id, attempt, str(exc))
        return
    done = 0

    def progress(kind: str, payload: Any) -> None:
        nonlocal done
        if kind == "start":
            run_store.record_progress(engine, run_id, attempt, total=int(payload))
        elif kind == "task" and isinstance(payload, TaskRun):
            done += 1
            run_store.record_progress(engine, run_id, attempt, done=done)
        elif kind == "page" and isinstance(payload, PageAudit):
            run_store.record_progress(engine, run_id, attempt, current_url=payload.url)

    try:
        report = run_audit(
            script,
            fail_on=fail_on,
            progress=progress,
            browser=browser.get() if browser is not None else None,
        )
    except AuditError as exc:
        # The site did not answer, or Chromium would not start: one line.
        run_store.fail_run(engine, run_id, attempt, str(exc))
        return
    shots = [(s.filename, s.mime, s.data) for s in report_screenshots(report)]
    run_store.finish_run(
        engine,
        run_id,
        attempt,
        passed=report.passed,
        results=report_dict(report),
        report_html=render_html(report),
        screenshots=shots,
    )
