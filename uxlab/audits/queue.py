"""Audit runs as jobs on Huey, on the database uxlab already has.

Huey is a maintained job queue with a consumer, delayed jobs and periodic
jobs, and storage on SQLite (a file beside the embedded database: ``uxlab
serve`` needs no other service) or on PostgreSQL (its own ``huey_*`` tables in
the team database, woken by LISTEN/NOTIFY), so every ``uxlab worker`` on any
host takes jobs from the same place.

Huey hands a job to one consumer and forgets it, so a worker killed mid-run
would lose it. The run's row therefore carries a lease (see
:mod:`uxlab.audits.runs`): when a run is claimed, a lease check is scheduled
for when the lease would end; a worker that stopped renewing it has its run
queued again, at most once more. A periodic job, run when a worker starts
and once a minute, checks every lease too, enqueues again a run that has been
queued for longer than a lease with no job in the queue (its job was never
enqueued, or lost), queues the run for a schedule's latest slot due (so a slot missed
while everything was down runs once) and schedules a job at each slot of the
coming minute and a half (so a slot starts on time).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, PostgresHuey, SqliteHuey, crontab
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col, select

from uxlab.audits import runs as run_store
from uxlab.audits.diff import baseline_for, diff_runs
from uxlab.audits.notify import WebhookError, email_body, post_webhook, webhook_payload
from uxlab.audits.projects import prune_screenshots
from uxlab.audits.schedules import latest_slot, slots_between
from uxlab.db import get_engine, session_scope
from uxlab.mail import MailError, send_mail
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    Researcher,
    RunStatus,
    Workspace,
    utcnow,
)

__all__ = ["WEBHOOK_RETRIES", "AuditQueue", "Runner", "audit_queue", "run_link"]

_log = logging.getLogger("uxlab.audits")
#: How long a run waits before asking again when its project is at its limit.
_BUSY_RETRY_SECONDS = 2
#: Slots within this many seconds are scheduled by each minute's check.
_PLAN_AHEAD = timedelta(seconds=90)
#: Tries of a webhook after the first, each twice as long after the last.
WEBHOOK_RETRIES = 3


def _make_huey(app: Flask) -> Huey:
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "postgresql":
        return PostgresHuey(
            "uxlab-audits",
            results=False,
            utc=True,
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database,
        )
    path = app.config.get("AUDIT_QUEUE_PATH")
    if not path:
        database = url.database
        if not database or database == ":memory:":
            database = str(Path(app.instance_path) / "uxlab.sqlite")
        path = f"{database}-queue"
    return SqliteHuey("uxlab-audits", results=False, utc=True, filename=str(path))


class AuditQueue:
    """The app's Huey instance and the audit jobs registered on it."""

    #: The CX jobs: new follow-ups' webhooks, hourly retention (:mod:`uxlab.cx.jobs`).
    followup_webhook_job: Any
    retention_job: Any
    participant_sessions_job: Any

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey = _make_huey(app)
        self.lease_seconds = float(app.config["AUDIT_LEASE_SECONDS"])
        self.runs_per_process = int(app.config["AUDIT_RUNS_PER_PROCESS"])
        self.run_job = self.huey.task(name="audit_run")(self._run)
        self.lease_job = self.huey.task(name="audit_lease")(self._check_lease)
        self.slot_job = self.huey.task(name="audit_slot")(self._fire_slot)
        self.minute_job = self.huey.periodic_task(crontab(), name="audit_minute")(
            self._every_minute
        )
        # Four tries in all, 1, 2 and 4 s apart.
        self.webhook_job = self.huey.task(
            name="audit_webhook",
            retries=WEBHOOK_RETRIES,
            retry_delay=1,
            retry_backoff=2,
            context=True,
        )(self._webhook)
        # Hourly: participant-session rows whose cookies have expired.
        self.participant_sessions_job = self.huey.periodic_task(
            crontab(minute="43"), name="participant_sessions_prune"
        )(self._prune_participant_sessions)
        from uxlab.cx.jobs import register

        register(self)  # new follow-ups' webhooks, on the same queue

    @property
    def engine(self) -> Engine:
        return get_engine(self.app)

    # ------------------------------------------------------------ enqueueing

    def enqueue(self, run_id: int, *, delay: float | None = None) -> None:
        """Hand a queued run to the workers."""
        if delay:
            self.run_job.schedule((run_id,), delay=delay)
        else:
            self.run_job(run_id)

    def close(self) -> None:
        """Close the queue's database connection (it reopens on next use)."""
        self.huey.storage.close()

    # ------------------------------------------------------------------ jobs

    def _run(self, run_id: int) -> None:
        worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        claim = run_store.claim_run(self.engine, run_id, worker, self.lease_seconds)
        if claim == "busy":
            self.enqueue(run_id, delay=_BUSY_RETRY_SECONDS)
            return
        if isinstance(claim, str):
            return
        self.lease_job.schedule(
            (run_id, claim.attempt),
            eta=claim.lease_until + timedelta(seconds=1),
        )
        runner = Runner.for_thread(self.engine, self.runs_per_process)
        runner.supervise(self.engine, claim, self.lease_seconds)
        self.after_run(run_id)

    def after_run(self, run_id: int) -> None:
        """Compare a finished run with the one before; on a regression, notify."""
        with session_scope(self.engine) as db:
            run = db.get(AuditProjectRun, run_id)
            if run is None or run.status not in (RunStatus.passed, RunStatus.failed):
                return
            project = db.get(AuditProject, run.project_id)
            assert project is not None
            found = diff_runs(db, project, run, baseline_for(db, run))
            webhook = project.webhook_url
            creator = (
                db.get(Researcher, project.created_by) if project.created_by else None
            )
            link = run_link(self.app, db, project, run)
            body = email_body(project, run, found, link)
        if not found.regression:
            return
        if webhook:
            self.webhook_job(run_id)
        smtp_url = self.app.config.get("SMTP_URL")
        if smtp_url and creator is not None:
            # After the webhook is queued, and never raising: a mail that fails
            # must not lose the webhook, fail the worker's job or the upload.
            try:
                send_mail(
                    str(smtp_url),
                    to=creator.email,
                    subject=f"uxlab audit regressed: {project.name} run #{run_id}",
                    body=body,
                )
            except MailError as exc:
                _note(self.engine, run_id, f"email failed: {exc}")
            except Exception as exc:
                # An SMTP_URL whose port is not a number, credentials smtplib
                # cannot encode, …: send_mail lets these through as they are.
                _log.exception("mailing run %s's regression failed", run_id)
                _note(self.engine, run_id, f"email failed: {type(exc).__name__}")
            else:
                _note(self.engine, run_id, f"email sent to {creator.email}")

    def _webhook(self, run_id: int, task: Any = None) -> None:
        with session_scope(self.engine) as db:
            run = db.get(AuditProjectRun, run_id)
            project = db.get(AuditProject, run.project_id) if run else None
            if run is None or project is None or not project.webhook_url:
                return
            found = diff_runs(db, project, run, baseline_for(db, run))
            payload = webhook_payload(
                project, run, found, run_link(self.app, db, project, run)
            )
            url = project.webhook_url
        tried = WEBHOOK_RETRIES + 1 - (task.retries if task is not None else 0)
        try:
            post_webhook(url, payload)
        except WebhookError as exc:
            if task is not None and task.retries > 0:
                _note(
                    self.engine, run_id, f"webhook try {tried} failed: {exc}; retrying"
                )
                raise
            _note(self.engine, run_id, f"webhook failed after {tried} tries: {exc}")
            return
        _note(self.engine, run_id, f"webhook delivered (try {tried})")

    def _check_lease(self, run_id: int, attempt: int) -> None:
        with session_scope(self.engine) as db:
            run = db.get(AuditProjectRun, run_id)
            if run is None or run.status != RunStatus.running:
                return
            if run.attempts != attempt:
                return
            lease_until = run.lease_until
        if lease_until is not None and lease_until > utcnow():
            self.lease_job.schedule(
                (run_id, attempt), eta=lease_until + timedelta(seconds=1)
            )
            return
        for again in run_store.requeue_expired(
            self.engine, [run_id], hold=timedelta(seconds=self.lease_seconds)
        ):
            _log.warning("run %s lost its worker; queued again", again)
            self.enqueue(again)

    def _fire_slot(self, project_id: int, slot_iso: str) -> None:
        from datetime import datetime

        run_id = run_store.queue_slot(
            self.engine, project_id, datetime.fromisoformat(slot_iso)
        )
        if run_id is not None:
            self.enqueue(run_id)

    def recover(self) -> list[int]:
        """Hand to the queue again the runs whose job is gone; their ids.

        A running run whose worker stopped renewing its lease is queued again
        (or ends as "error" after :data:`~uxlab.audits.runs.MAX_ATTEMPTS`). A
        run queued for longer than the lease with no job for it in the queue
        (the process that queued it stopped before enqueueing, or the queue
        lost the job) is enqueued again. Each is claimed in the database
        first, so however many workers look at once, one job is enqueued.
        """
        hold = timedelta(seconds=self.lease_seconds)
        again = run_store.requeue_expired(self.engine, hold=hold)
        for run_id in again:
            _log.warning("run %s lost its worker; queued again", run_id)
            self.enqueue(run_id)
        candidates = run_store.lost_candidates(self.engine, hold)
        if not candidates:
            return again
        # Read after the candidates: a job enqueued meanwhile is seen here.
        carried = self._queued_run_ids()
        lost = run_store.claim_lost(
            self.engine, [r for r in candidates if r not in carried], hold
        )
        for run_id in lost:
            _log.warning("run %s was queued with no job for it; enqueued", run_id)
            self.enqueue(run_id)
        return again + lost

    def _queued_run_ids(self) -> set[int]:
        """The runs an ``audit_run`` job waits for in the queue, now or later."""
        jobs = [*self.huey.pending(), *self.huey.scheduled()]
        return {int(job.args[0]) for job in jobs if job.name == self.run_job.name}

    def _prune_participant_sessions(self) -> None:
        from uxlab.participant_sessions import prune_expired

        lifetime = self.app.permanent_session_lifetime
        with session_scope(self.engine) as db:
            deleted = prune_expired(db, lifetime)
        if deleted:
            _log.info("deleted %s participant sessions past their cookies", deleted)

    def _every_minute(self) -> None:
        self.recover()
        now = utcnow()
        with session_scope(self.engine) as db:
            projects = db.exec(
                select(AuditProject).where(col(AuditProject.schedule).is_not(None))
            ).all()
            plans = [(p.id, p.schedule, p.timezone, p.schedule_since) for p in projects]
            prune_screenshots(db)
        for project_id, schedule, timezone, since in plans:
            assert project_id is not None and schedule is not None
            latest = latest_slot(schedule, timezone, now)
            if since is None or latest >= since:
                self._fire_slot(project_id, latest.isoformat())
            for slot in slots_between(schedule, timezone, now, now + _PLAN_AHEAD):
                self.slot_job.schedule((project_id, slot.isoformat()), eta=slot)

    # ---------------------------------------------------------------- worker

    def run_worker(self, *, threads: int) -> None:
        """Take jobs until stopped (SIGINT/SIGTERM finish the current ones)."""
        # An idle worker looks at a SQLite queue once a second at most (Huey's
        # default backs off to 10 s); PostgreSQL wakes it by NOTIFY.
        import uxlab.audits.execute  # noqa: F401  (forked runs start warm)

        consumer = self.huey.create_consumer(
            workers=threads, worker_type="thread", periodic=True, max_delay=1.0
        )
        consumer.run()


#: Between the notes of a run's webhook and of its email.
_NOTE_SEPARATOR = " · "


def _note(engine: Engine, run_id: int, note: str) -> None:
    """Record how notifying about the run went.

    A note replaces the run's earlier note of its kind (its first word:
    ``webhook`` or ``email``) and keeps the other kind's, so the webhook's
    outcome and the email's are both kept, whichever is recorded last.
    """
    note = note.replace(_NOTE_SEPARATOR, " - ")
    kind = note.split(" ", 1)[0]
    with session_scope(engine, write=True) as db:
        run = db.get(AuditProjectRun, run_id)
        if run is not None:
            kept = [
                part
                for part in (run.notified or "").split(_NOTE_SEPARATOR)
                if part and part.split(" ", 1)[0] != kind
            ]
            run.notified = _NOTE_SEPARATOR.join([*kept, note])[:2000]
            db.add(run)


def run_link(app: Flask, db: Any, project: AuditProject, run: AuditProjectRun) -> str:
    """The run page's address, on ``PUBLIC_URL`` when it is set."""
    workspace = db.get(Workspace, project.workspace_id)
    slug = workspace.slug if workspace is not None else ""
    path = f"/workspaces/{slug}/audits/{project.id}/runs/{run.id}"
    return str(app.config.get("PUBLIC_URL") or "").rstrip("/") + path


def audit_queue(app: Flask) -> AuditQueue:
    """The app's :class:`AuditQueue`, made on first use."""
    extensions: dict[str, Any] = app.extensions.setdefault("uxlab", {})
    if "audit_queue" not in extensions:
        extensions["audit_queue"] = AuditQueue(app)
    found: AuditQueue = extensions["audit_queue"]
    return found


class Runner:
    """The audit process of one worker thread, started on first use.

    A process of its own gives each run a hard time limit: the process and its
    browser are killed as a group, which a thread could not be. The process
    stays up from run to run with its Chromium warm (see
    :mod:`uxlab.audits.execute`), so a run does not wait for a fork and a
    browser start; a killed or ended process is replaced at the next run. It
    is forked, so it starts with everything the worker has imported.
    """

    _local = threading.local()

    def __init__(self, engine: Engine, runs_per_process: int) -> None:
        self.database_url = engine.url.render_as_string(hide_password=False)
        self.runs_per_process = max(1, runs_per_process)
        self.process: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None

    @classmethod
    def for_thread(cls, engine: Engine, runs_per_process: int) -> Runner:
        """This thread's runner (one per worker thread)."""
        runner: Runner | None = getattr(cls._local, "runner", None)
        if runner is None:
            runner = cls(engine, runs_per_process)
            cls._local.runner = runner
            atexit.register(runner.stop)
        return runner

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _start(self) -> Connection:
        from uxlab.audits.execute import runner_main

        if self.process is not None and self.process.is_alive() and self.conn:
            return self.conn
        self.stop()
        ours, theirs = multiprocessing.Pipe()
        process = multiprocessing.get_context("fork").Process(
            target=runner_main,
            args=(self.database_url, theirs, os.getpid(), self.runs_per_process),
            daemon=True,
        )
        process.start()
        theirs.close()
        self.process, self.conn = process, ours
        return ours

    def stop(self, *, wait: float = 0) -> None:
        """Kill the process and its browser (nothing if none is running).

        With ``wait``, a process that is ending by itself is given that many
        seconds to close its browser first.
        """
        process, self.process = self.process, None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if process is None:
            return
        if wait:
            process.join(wait)
        if process.exitcode is None and process.pid is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.join()
        process.close()

    def supervise(self, engine: Engine, claim: run_store.Claim, lease: float) -> None:
        """Have the process run ``claim``, renewing the lease, within the time limit."""
        heartbeat = max(lease / 6, 0.5)
        started = time.monotonic()
        conn = self._start()
        why: str | None = None
        try:
            conn.send((claim.run_id, claim.attempt))
            while True:
                if conn.poll(heartbeat):
                    answer = conn.recv()
                    why = "" if answer in ("done", "last") else None
                    if answer == "last":
                        self.stop(wait=10)
                    break
                if time.monotonic() - started > claim.timeout_seconds:
                    limit = claim.timeout_seconds
                    why = f"stopped after {limit} s, the project's time limit"
                    break
                if (
                    run_store.renew_lease(engine, claim.run_id, claim.attempt, lease)
                    is None
                ):
                    why = ""  # cancelled, or no longer ours: stop without a word
                    self.stop()
                    break
        except (EOFError, OSError):
            why = None  # the process ended mid-run (it crashed)
        if why is None or why:
            self.stop()
        if why:
            run_store.fail_run(engine, claim.run_id, claim.attempt, why)
        elif why is None:
            # A process that ended without storing anything (it crashed): say so.
            run_store.fail_run(
                engine,
                claim.run_id,
                claim.attempt,
                "the audit process stopped before storing its report",
            )
