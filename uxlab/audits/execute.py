"""One attempt at one run, in a process of its own, forked from the worker.

Started by a worker (see :func:`uxlab.audits.queue._supervise`), which renews
the lease and kills this process's group at the time limit. The fork starts
warm (the worker has imported Playwright, axe and the report templates
already) and makes its own database connections. It replays the script,
stores progress as it goes and the report at the end, every write naming its
attempt, and ends itself when the worker that started it is gone, so a killed
worker never leaves a run going that another worker then takes.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from uxlab.audit.findings import PageAudit, TaskRun
from uxlab.audit.report import render_html, report_dict, report_screenshots
from uxlab.audit.runner import run_audit
from uxlab.audit.script import parse_script
from uxlab.audits import runs as run_store
from uxlab.errors import AuditError
from uxlab.models import AuditProject, AuditProjectRun

__all__ = ["child_main", "execute"]


def _watch_parent(parent: int) -> None:
    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(3)
            time.sleep(0.25)

    threading.Thread(target=watch, daemon=True).start()


def child_main(database_url: str, run_id: int, attempt: int, parent: int) -> None:
    """The forked process's body: its own session and engine, then the audit."""
    from uxlab.db import make_engine

    os.setsid()  # its own group, so the worker can kill it with its browser
    _watch_parent(parent)
    engine = make_engine(database_url)
    try:
        execute(engine, run_id, attempt)
    finally:
        engine.dispose()


def execute(engine: Any, run_id: int, attempt: int) -> None:
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
        report = run_audit(script, fail_on=fail_on, progress=progress)
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
