"""Audit runs taken by real `uxlab worker` processes from the real queue.

Each test starts workers as subprocesses on the test's database (SQLite by
default, PostgreSQL under `make test-postgres`) and audits a fixture site in
Chromium.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from tests.audits.conftest import (
    LEASE_SECONDS,
    ONE_PAGE,
    SLOW,
    Workers,
    fresh,
    make_project,
    wait_for,
)
from uxlab.audits.queue import audit_queue
from uxlab.audits.runs import FINAL, cancel_run, queue_run
from uxlab.db import get_engine, session_scope
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    AuditRunFinding,
    RunStatus,
    Workspace,
    utcnow,
)

pytestmark = pytest.mark.browser


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (a worker's audit processes)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (not gone, not a zombie)."""
    found = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.add(pid)
    return found


#: Two slow steps (each page answers after 2 s): long enough to stop the run
#: between them, and the first page (the faulty home page) has findings.
TWO_SLOW = """\
name: Two slow pages
viewports: [desktop]
tasks:
  - name: Walk two slow pages
    steps:
      - goto: /?delay=2000
      - goto: /wide?delay=2000
checks: [accessibility]
"""

#: Two slow steps (the first page's image answers after 1.6 s more) and only
#: the console check: a run that takes a while but little work.
SLOW_LIGHT = """\
name: Slow pages, lightly checked
viewports: [desktop]
tasks:
  - name: Walk the slow pages
    steps:
      - goto: /slow?delay=2000
      - goto: /wide?delay=2000
checks: [console]
"""


def start_run(app: Flask, db: Session, project: AuditProject, **kw: str) -> int:
    run = queue_run(db, project, started_by="person", **kw)
    assert run.id is not None
    audit_queue(app).enqueue(run.id)
    return run.id


def finished(db: Session, run_id: int) -> AuditProjectRun | None:
    run = fresh(db, run_id)
    return run if run.status in FINAL else None


def test_a_worker_without_chromium_refuses_to_start(workers: Workers) -> None:
    env = dict(workers.env, UXLAB_CHROMIUM="/nonexistent/chromium")
    result = subprocess.run(
        [sys.executable, "-m", "uxlab", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: no Chromium to run audits with: install it (Debian: apt-get install "
        "chromium; elsewhere: python -m playwright install chromium) or set "
        "UXLAB_CHROMIUM to its path (/nonexistent/chromium cannot be run)"
    ]


def test_a_worker_runs_a_queued_run_and_stores_its_report(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(db, workspace, ONE_PAGE, site_url("faulty")).project
    run_id = start_run(queue_app, db, project)
    workers.start()
    run = wait_for("the run to finish", lambda: finished(db, run_id), 120)
    assert run.status == RunStatus.failed, (run.error, workers.logs())
    assert (run.attempts, run.done, run.total) == (1, 1, 1)
    assert run.script_version == 1 and run.started_by == "person"
    stored = db.exec(
        select(AuditRunFinding).where(AuditRunFinding.run_id == run_id)
    ).all()
    # The faulty site's home page has the findings tests/audit/ asserts on.
    assert {f.rule for f in stored} >= {"image-alt"}
    assert len(stored) == len(run.results["findings"])
    assert run.summary["findings"] == run.results["summary"]["findings"]
    assert run.report_html is not None and "Home page" in run.report_html


def test_runs_one_after_another_share_a_warm_browser_but_not_its_visitor(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    """The second run is audited by the same process and browser, as a new visitor.

    The page shows a returning visitor (cookie or localStorage from an earlier
    visit) an image without alt text, so a run that inherited the first run's
    cookies or storage would find ``image-alt`` where the first found nothing.
    """
    project = make_project(db, workspace, ONE_PAGE, site_url("visitor")).project
    worker = workers.start()
    first = start_run(queue_app, db, project)
    run = wait_for("the first run to finish", lambda: finished(db, first), 120)
    assert run.status == RunStatus.passed, (run.error, workers.logs())
    audit = children(worker.pid)
    assert len(audit) == 1, "the audit process stays up, its browser warm"
    second = start_run(queue_app, db, project)
    again = wait_for("the second run to finish", lambda: finished(db, second), 120)
    assert again.status == RunStatus.passed, (again.error, workers.logs())
    assert children(worker.pid) == audit
    assert [f["rule"] for f in run.results["findings"]] == []
    assert [f["rule"] for f in again.results["findings"]] == []


def test_the_audit_process_and_its_browser_end_after_their_share_of_runs(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    """With AUDIT_RUNS_PER_PROCESS=1, each run's process (and Chromium) ends
    after its run, and the next run starts a fresh one."""
    project = make_project(db, workspace, ONE_PAGE, site_url("visitor")).project
    workers.env["UXLAB_AUDIT_RUNS_PER_PROCESS"] = "1"
    worker = workers.start()
    for n in (1, 2):
        run_id = start_run(queue_app, db, project)
        run = wait_for(f"run {n} to finish", partial(finished, db, run_id), 120)
        assert run.status == RunStatus.passed, (run.error, workers.logs())
        wait_for(
            f"the audit process of run {n} to end with its browser",
            lambda: not children(worker.pid),
            30,
        )


def test_an_unreachable_base_url_ends_as_error_with_one_line(
    queue_app: Flask, db: Session, workspace: Workspace, workers: Workers
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    project = make_project(db, workspace, ONE_PAGE, "http://127.0.0.1:9").project
    run_id = start_run(queue_app, db, project, base_url=closed)
    workers.start()
    run = wait_for("the run to finish", lambda: finished(db, run_id), 120)
    assert run.status == RunStatus.error
    assert run.base_url == closed
    assert run.error is not None and "\n" not in run.error
    assert run.error.startswith(f"{closed} did not answer")
    assert db.exec(select(AuditRunFinding)).all() == []


def test_a_run_whose_worker_is_killed_runs_again_once_on_another(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(db, workspace, TWO_SLOW, site_url("faulty")).project
    first, second = workers.start(), workers.start()
    run_id = start_run(queue_app, db, project)
    running = wait_for(
        "the run to start",
        lambda: (
            (r := fresh(db, run_id)).status == RunStatus.running
            and r.done == 0
            and r.current_url is not None
            and r
        ),
        120,
    )
    victim = first if f":{first.pid}:" in (running.worker or "") else second
    survivor = second if victim is first else first
    assert f":{victim.pid}:" in (running.worker or "")
    audit = children(victim.pid)
    assert audit, "the worker runs the audit in a process of its own"
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    victim.wait()
    # Its audit process ends with it: the run is never executed twice at once.
    wait_for("the killed worker's audit to stop", lambda: not alive(audit), 5)

    # Picked up again within the lease, the lease check's second and the time
    # to claim: stated as LEASE_SECONDS + 10 s here (30 s + 10 s by default).
    again = wait_for(
        "the run to be taken again",
        lambda: (r := fresh(db, run_id)).attempts == 2 and r,
        LEASE_SECONDS + 10,
    )
    assert time.monotonic() - killed_at < LEASE_SECONDS + 10
    assert f":{survivor.pid}:" in (again.worker or "")
    run = wait_for("the run to finish", lambda: finished(db, run_id), 120)
    assert run.status in (RunStatus.passed, RunStatus.failed), (
        run.error,
        workers.logs(),
    )
    assert run.attempts == 2
    # Counted once: one run, its findings stored once.
    assert len(db.exec(select(AuditProjectRun)).all()) == 1
    stored = db.exec(
        select(AuditRunFinding).where(AuditRunFinding.run_id == run_id)
    ).all()
    assert len(stored) == len(run.results["findings"]) > 0


def test_a_cancelled_run_stops_and_stays_cancelled(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(db, workspace, SLOW, site_url("faulty")).project
    worker = workers.start()
    run_id = start_run(queue_app, db, project)
    wait_for("the run to start", lambda: fresh(db, run_id).current_url, 120)
    audit = children(worker.pid)
    assert audit
    assert cancel_run(db, fresh(db, run_id))
    wait_for("its audit to stop", lambda: not alive(audit), LEASE_SECONDS + 5)
    time.sleep(1)
    run = fresh(db, run_id)
    assert run.status == RunStatus.cancelled
    assert run.results == {} and run.report_html is None


def test_a_project_runs_at_most_its_concurrency_at_once(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    busy = make_project(db, workspace, SLOW_LIGHT, site_url("faulty")).project
    other = make_project(
        db, workspace, ONE_PAGE, site_url("faulty"), name="Other"
    ).project
    workers.start(threads=2)
    runs = [start_run(queue_app, db, busy) for _ in range(2)]
    other_run = start_run(queue_app, db, other)
    most = 0
    other_done_while_busy = False
    while not all(finished(db, r) for r in [*runs, other_run]):
        db.rollback()
        statuses = [fresh(db, r).status for r in runs]
        most = max(most, statuses.count(RunStatus.running))
        if finished(db, other_run) and RunStatus.running in statuses:
            other_done_while_busy = True
        time.sleep(0.2)
    assert most == 1
    # The other project's run did not wait behind the busy project's queue.
    assert other_done_while_busy


#: A slot every ten seconds: croniter reads a sixth field as seconds. Projects
#: are refused such a schedule (five fields, see check_schedule), but the
#: workers compute and fire its slots with the same code as a minute's, so the
#: test sees a next slot within seconds instead of at the next wall-clock minute.
EVERY_TEN_SECONDS = "* * * * * */10"
TEN_SECONDS = timedelta(seconds=10)


def test_a_schedule_slot_fires_once_with_two_workers(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(
        db, workspace, ONE_PAGE, site_url("faulty"), schedule="* * * * *"
    ).project
    project.schedule = EVERY_TEN_SECONDS
    # Everything was down for ten minutes: sixty slots were missed.
    project.schedule_since = utcnow() - timedelta(minutes=10)
    db.add(project)
    db.commit()
    started = utcnow()
    workers.start()
    workers.start()

    def slots() -> list[AuditProjectRun]:
        db.rollback()
        return list(
            db.exec(
                select(AuditProjectRun)
                .where(AuditProjectRun.project_id == project.id)
                .order_by(col(AuditProjectRun.slot))
            ).all()
        )

    # The missed slots run once, not once per slot missed or per worker: the
    # first run is for the latest slot missed, and each slot after it has one
    # run, whichever worker's job gets there first.
    wait_for("the next slot's run", lambda: len(slots()) >= 2, 60)
    # No slots from here on: the runs fired so far are all there is to check.
    db.rollback()
    with session_scope(get_engine(queue_app), write=True) as writing:
        stopped = writing.get(AuditProject, project.id)
        assert stopped is not None
        stopped.schedule = None
    wait_for(
        "the runs to finish",
        lambda: all(finished(db, r.id or 0) for r in slots()),
        120,
    )
    runs = slots()
    assert all(r.started_by == "schedule" for r in runs)
    missed = runs[0].slot
    assert missed is not None
    assert started - TEN_SECONDS < missed <= utcnow()
    assert [r.slot for r in runs] == [
        missed + n * TEN_SECONDS for n in range(len(runs))
    ]
    before, after = runs[0], runs[1]
    assert after.slot is not None and before.finished_at is not None
    # It starts when its slot comes, or when the run before it ends if that
    # is later (one run at a time); the benchmark measures how closely.
    due = max(after.slot, before.finished_at)
    assert (after.started_at or utcnow()) - due < timedelta(seconds=30)


def test_a_run_past_its_time_limit_is_stopped_as_error(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(
        db, workspace, SLOW, site_url("faulty"), timeout_seconds=4
    ).project
    worker = workers.start()
    run_id = start_run(queue_app, db, project)
    audit = wait_for("the run's audit process", lambda: children(worker.pid), 120)
    run = wait_for("the run to end", lambda: finished(db, run_id), 60)
    assert run.status == RunStatus.error
    assert run.error == "stopped after 4 s, the project's time limit"
    assert run.results == {}
    # Stopped at the limit, give or take one lease renewal (LEASE_SECONDS / 6).
    assert run.seconds is not None and 4 <= run.seconds < 4 + LEASE_SECONDS
    wait_for("its audit process to be gone", lambda: not alive(audit), 5)


def lost_run(db: Session, project: AuditProject, **values: object) -> int:
    """A run written as queued long ago whose job never reached the queue."""
    run = queue_run(db, project, started_by="person")
    for name, value in {
        "queued_at": utcnow() - timedelta(minutes=5),
        **values,
    }.items():
        setattr(run, name, value)
    db.add(run)
    db.commit()
    assert run.id is not None
    return run.id


def audit_run_jobs(app: Flask) -> list[int]:
    """The run ids of the audit_run jobs waiting in the queue."""
    huey = audit_queue(app).huey
    return sorted(
        t.args[0] for t in [*huey.pending(), *huey.scheduled()] if t.name == "audit_run"
    )


def test_a_lost_queued_run_is_handed_to_the_queue_once_however_many_look(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(db, workspace, ONE_PAGE, site_url("faulty")).project
    lost = lost_run(db, project)
    # Queued just now: its job may be on its way; not touched.
    young = queue_run(db, project, started_by="person").id
    # Waiting in the queue for long, behind other runs: it has its job.
    waiting = lost_run(db, project)
    audit_queue(queue_app).enqueue(waiting)
    queue = audit_queue(queue_app)
    assert queue.recover() == [lost]
    # Another worker looking at the same moment finds nothing left to do.
    assert queue.recover() == []
    assert audit_run_jobs(queue_app) == sorted([lost, waiting])
    assert young is not None and fresh(db, young).status == RunStatus.queued


def test_a_queued_run_that_never_reached_the_queue_is_run_once(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(db, workspace, ONE_PAGE, site_url("faulty")).project
    run_id = lost_run(db, project)
    assert audit_run_jobs(queue_app) == []
    workers.start()
    workers.start()
    run = wait_for("the run to finish", lambda: finished(db, run_id), 120)
    assert run.status == RunStatus.failed, (run.error, workers.logs())
    assert run.attempts == 1
    assert len(run.results["findings"]) == len(
        db.exec(select(AuditRunFinding).where(AuditRunFinding.run_id == run_id)).all()
    )


def test_a_running_run_whose_worker_died_unseen_is_taken_again(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    """Its worker died and the lease check died with the queue: still taken again."""
    project = make_project(db, workspace, ONE_PAGE, site_url("faulty")).project
    run_id = lost_run(
        db,
        project,
        status=RunStatus.running,
        attempts=1,
        worker="gone:1:1",
        started_at=utcnow() - timedelta(minutes=4),
        lease_until=utcnow() - timedelta(minutes=3),
    )
    workers.start()
    run = wait_for("the run to finish", lambda: finished(db, run_id), 120)
    assert run.status == RunStatus.failed, (run.error, workers.logs())
    assert run.attempts == 2


def test_a_run_whose_worker_died_twice_ends_saying_so(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    project = make_project(db, workspace, ONE_PAGE, site_url("faulty")).project
    run_id = lost_run(
        db,
        project,
        status=RunStatus.running,
        attempts=2,
        worker="gone:1:1",
        started_at=utcnow() - timedelta(minutes=4),
        lease_until=utcnow() - timedelta(minutes=3),
    )
    workers.start()
    run = wait_for("the run to end", lambda: finished(db, run_id), 60)
    assert run.status == RunStatus.error
    assert (
        run.error
        == "the worker stopped during each of its 2 attempts; not started again"
    )
    assert run.results == {}
    with queue_app.test_client() as client:
        client.post("/login", data={"email": "a@example.com", "password": "password-a"})
        workspace_slug = workspace.slug
        page = client.get(
            f"/workspaces/{workspace_slug}/audits/{project.id}/runs/{run_id}"
        )
    assert page.status_code == 200
    assert (
        "the worker stopped during each of its 2 attempts; not started again"
        in page.text
    )
