"""An audit project's runs: queued, claimed by one worker under a lease, finished.

The job queue (see :mod:`uxlab.audits.queue`) only carries "run N" messages;
the run's row says what is true. A worker claims a queued run with one
conditional ``UPDATE`` (so two workers never both get it), renews its lease
while it runs, and every write it makes names the attempt it claimed: a
worker that lost its lease (stopped, or the run was cancelled) cannot write
over the run afterwards, so a run is never counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from uxlab.audits.diff import baseline_for, diff_runs
from uxlab.db import begin_write, dialect_name, insert_for, session_scope
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    AuditRunFinding,
    AuditRunScreenshot,
    RunStatus,
    utcnow,
)

__all__ = [
    "FINAL",
    "MAX_ATTEMPTS",
    "Claim",
    "cancel_run",
    "claim_lost",
    "claim_run",
    "fail_run",
    "finish_run",
    "lost_candidates",
    "queue_run",
    "queue_slot",
    "record_progress",
    "renew_lease",
    "requeue_expired",
    "store_upload",
]

#: Times a run is started at most: once, and once more when its worker stopped.
MAX_ATTEMPTS = 2
#: Statuses a run ends in.
FINAL = frozenset(
    {RunStatus.passed, RunStatus.failed, RunStatus.error, RunStatus.cancelled}
)


@dataclass(frozen=True, slots=True)
class Claim:
    """A run a worker now holds: the attempt its writes must name."""

    run_id: int
    attempt: int
    project_id: int
    timeout_seconds: int
    lease_until: datetime


def queue_run(
    db: Session,
    project: AuditProject,
    *,
    started_by: str,
    researcher_id: int | None = None,
    base_url: str | None = None,
) -> AuditProjectRun:
    """Add a queued run of the project's current script (the caller enqueues it)."""
    assert project.id is not None
    begin_write(db)
    run = AuditProjectRun(
        project_id=project.id,
        script_yaml=project.script_yaml,
        script_version=project.script_version,
        started_by=started_by,
        researcher_id=researcher_id,
        base_url=base_url or project.base_url,
    )
    db.add(run)
    db.commit()
    db.refresh(run)
    return run


def queue_slot(engine: Engine, project_id: int, slot: datetime) -> int | None:
    """Queue the run for a schedule's slot; None when the slot already has one.

    ``UNIQUE (project_id, slot)`` decides: however many workers fire the same
    slot at once, one insert succeeds.
    """
    with session_scope(engine) as db:
        project = db.get(AuditProject, project_id)
        if project is None or project.schedule is None:
            return None
        table = AuditProjectRun.__table__  # type: ignore[attr-defined]
        statement = (
            insert_for(dialect_name(db), table)
            .values(
                project_id=project_id,
                status=RunStatus.queued.name,
                script_yaml=project.script_yaml,
                script_version=project.script_version,
                started_by="schedule",
                slot=slot,
                base_url=project.base_url,
                done=0,
                total=0,
                queued_at=utcnow(),
                attempts=0,
                summary={},
                results={},
            )
            .on_conflict_do_nothing(index_elements=["project_id", "slot"])
            .returning(table.c.id)
        )
        found = db.connection().execute(statement).scalar()
        return int(found) if found is not None else None


def claim_run(
    engine: Engine, run_id: int, worker: str, lease_seconds: float
) -> Claim | str:
    """Take a queued run for ``worker``, or say why not: "gone" or "busy".

    "busy": the project already runs as many runs as its concurrency allows,
    so this one waits and other projects' runs go first.
    """
    with session_scope(engine, write=True) as db:
        run = db.get(AuditProjectRun, run_id)
        if run is None or run.status != RunStatus.queued:
            return "gone"
        project = db.get(AuditProject, run.project_id)
        if project is None:
            return "gone"
        running = db.exec(
            select(func.count())
            .select_from(AuditProjectRun)
            .where(
                AuditProjectRun.project_id == run.project_id,
                AuditProjectRun.status == RunStatus.running,
            )
        ).one()
        if running >= project.concurrency:
            return "busy"
        now = utcnow()
        lease_until = now + timedelta(seconds=lease_seconds)
        attempt = run.attempts + 1
        claimed = db.connection().execute(
            update(AuditProjectRun)
            .where(
                col(AuditProjectRun.id) == run_id,
                col(AuditProjectRun.status) == RunStatus.queued,
                col(AuditProjectRun.attempts) == run.attempts,
            )
            .values(
                status=RunStatus.running,
                attempts=attempt,
                worker=worker[:200],
                lease_until=lease_until,
                started_at=now,
                done=0,
                current_url=None,
            )
        )
        if claimed.rowcount != 1:
            return "gone"
        return Claim(
            run_id, attempt, run.project_id, project.timeout_seconds, lease_until
        )


def _held(run_id: int, attempt: int) -> Any:
    """The WHERE clause of every write a worker makes to the run it holds."""
    return (
        (col(AuditProjectRun.id) == run_id)
        & (col(AuditProjectRun.attempts) == attempt)
        & (col(AuditProjectRun.status) == RunStatus.running)
    )


def renew_lease(
    engine: Engine, run_id: int, attempt: int, lease_seconds: float
) -> datetime | None:
    """Extend the lease; None when the run is no longer this attempt's."""
    until = utcnow() + timedelta(seconds=lease_seconds)
    with session_scope(engine) as db:
        result = db.connection().execute(
            update(AuditProjectRun)
            .where(_held(run_id, attempt))
            .values(lease_until=until)
        )
        return until if result.rowcount == 1 else None


def record_progress(engine: Engine, run_id: int, attempt: int, **values: Any) -> bool:
    """Store ``done``, ``total`` or ``current_url``; False when the run is lost."""
    if "current_url" in values and values["current_url"] is not None:
        values["current_url"] = str(values["current_url"])[:2000]
    with session_scope(engine) as db:
        result = db.connection().execute(
            update(AuditProjectRun).where(_held(run_id, attempt)).values(**values)
        )
        return bool(result.rowcount == 1)


def fail_run(engine: Engine, run_id: int, attempt: int, error: str) -> bool:
    """End the run as "error" with one line saying why."""
    now = utcnow()
    with session_scope(engine, write=True) as db:
        run = db.get(AuditProjectRun, run_id)
        seconds = (
            (now - run.started_at).total_seconds()
            if run is not None and run.started_at is not None
            else None
        )
        result = db.connection().execute(
            update(AuditProjectRun)
            .where(_held(run_id, attempt))
            .values(
                status=RunStatus.error,
                error=error.strip().splitlines()[0][:2000] if error.strip() else "",
                finished_at=now,
                seconds=seconds,
                lease_until=None,
                current_url=None,
            )
        )
        return bool(result.rowcount == 1)


def finish_run(
    engine: Engine,
    run_id: int,
    attempt: int,
    *,
    passed: bool,
    results: dict[str, Any],
    report_html: str,
    screenshots: list[tuple[str, str, bytes]],
) -> bool:
    """Store a finished run's report, findings and screenshots in one transaction.

    Nothing is stored when the run is no longer this attempt's (cancelled, or
    queued again after this worker lost its lease).
    """
    now = utcnow()
    with Session(engine, expire_on_commit=False) as db:
        begin_write(db)
        run = db.get(AuditProjectRun, run_id)
        if run is None:
            return False
        seconds = (now - run.started_at).total_seconds() if run.started_at else None
        result = db.connection().execute(
            update(AuditProjectRun)
            .where(_held(run_id, attempt))
            .values(
                status=RunStatus.passed if passed else RunStatus.failed,
                summary=results.get("summary", {}),
                results=results,
                report_html=report_html,
                finished_at=now,
                seconds=seconds,
                lease_until=None,
                current_url=None,
                done=run.total,
            )
        )
        if result.rowcount != 1:
            db.rollback()
            return False
        for finding in results.get("findings", []):
            db.add(
                AuditRunFinding(
                    run_id=run_id,
                    rule=finding["rule"],
                    severity=finding["severity"],
                    page=finding["url"],
                    viewport=finding["viewport"],
                    selector=finding["selector"],
                    message=finding["message"],
                )
            )
        for filename, mime, data in screenshots:
            db.add(
                AuditRunScreenshot(
                    run_id=run_id, filename=filename, mime=mime, data=data
                )
            )
        db.flush()
        # Whether it regressed is known as soon as the run is: same transaction.
        db.refresh(run)
        project = db.get(AuditProject, run.project_id)
        assert project is not None
        run.regression = diff_runs(db, project, run, baseline_for(db, run)).regression
        db.add(run)
        db.commit()
        return True


def store_upload(
    db: Session,
    project: AuditProject,
    *,
    client_run_id: str,
    results: dict[str, Any],
    report_html: str,
    screenshots: list[tuple[str, str, bytes]],
) -> tuple[AuditProjectRun, bool]:
    """Store a run uploaded from CI; the same ``client_run_id`` again is one run.

    Returns the run and whether it was made now (False: it was already there).
    """
    begin_write(db)
    existing = db.exec(
        select(AuditProjectRun).where(
            AuditProjectRun.project_id == project.id,
            AuditProjectRun.client_run_id == client_run_id,
        )
    ).first()
    if existing is not None:
        db.commit()
        return existing, False
    assert project.id is not None
    summary = results.get("summary", {})
    now = utcnow()
    tasks = results.get("tasks", [])
    run = AuditProjectRun(
        project_id=project.id,
        status=RunStatus.passed if summary.get("passed") else RunStatus.failed,
        script_yaml="",
        script_version=0,
        started_by="ci",
        client_run_id=client_run_id,
        base_url=str(results.get("script", {}).get("base_url") or "")[:2000],
        done=len(tasks),
        total=len(tasks),
        queued_at=now,
        started_at=now,
        finished_at=now,
        seconds=results.get("run", {}).get("seconds"),
        attempts=1,
        summary=summary,
        results=results,
        report_html=report_html,
    )
    db.add(run)
    db.flush()
    assert run.id is not None
    for finding in results.get("findings", []):
        db.add(
            AuditRunFinding(
                run_id=run.id,
                rule=str(finding["rule"])[:200],
                severity=str(finding["severity"])[:20],
                page=str(finding["url"])[:2000],
                viewport=str(finding["viewport"])[:80],
                selector=finding.get("selector"),
                message=str(finding.get("message", "")),
            )
        )
    for filename, mime, data in screenshots:
        db.add(
            AuditRunScreenshot(run_id=run.id, filename=filename, mime=mime, data=data)
        )
    db.flush()
    run.regression = diff_runs(db, project, run, baseline_for(db, run)).regression
    db.add(run)
    db.commit()
    return run, True


def cancel_run(db: Session, run: AuditProjectRun) -> bool:
    """Cancel a queued or running run; a worker running it stops within seconds."""
    begin_write(db)
    result = db.connection().execute(
        update(AuditProjectRun)
        .where(
            col(AuditProjectRun.id) == run.id,
            col(AuditProjectRun.status).in_([RunStatus.queued, RunStatus.running]),
        )
        .values(
            status=RunStatus.cancelled,
            finished_at=utcnow(),
            lease_until=None,
            error="cancelled",
        )
    )
    db.commit()
    return bool(result.rowcount == 1)


def requeue_expired(
    engine: Engine,
    run_ids: list[int] | None = None,
    *,
    hold: timedelta = timedelta(seconds=30),
) -> list[int]:
    """Queue again the running runs whose lease expired (their worker stopped).

    A run already started :data:`MAX_ATTEMPTS` times ends as "error" instead,
    saying so. Each change is a compare-and-set on the run's status, attempt
    and lease, so of several workers looking at once, one queues it again.
    Returns the ids queued again, for the caller to enqueue; none of them is
    taken for a lost job (see :func:`claim_lost`) for ``hold``.
    """
    now = utcnow()
    again: list[int] = []
    with session_scope(engine) as db:
        query = select(AuditProjectRun.id, AuditProjectRun.attempts).where(
            AuditProjectRun.status == RunStatus.running,
            col(AuditProjectRun.lease_until) < now,
        )
        if run_ids is not None:
            query = query.where(col(AuditProjectRun.id).in_(run_ids))
        expired = db.exec(query).all()
    for run_id, attempts in expired:
        assert run_id is not None
        if attempts < MAX_ATTEMPTS:
            values: dict[str, Any] = {
                "status": RunStatus.queued,
                "worker": None,
                "lease_until": now + hold,
                "current_url": None,
            }
        else:
            values = {
                "status": RunStatus.error,
                "error": (
                    f"the worker stopped during each of its {attempts} attempts; "
                    "not started again"
                ),
                "finished_at": now,
                "lease_until": None,
                "current_url": None,
            }
        with session_scope(engine) as db:
            changed = db.connection().execute(
                update(AuditProjectRun)
                .where(
                    col(AuditProjectRun.id) == run_id,
                    col(AuditProjectRun.status) == RunStatus.running,
                    col(AuditProjectRun.attempts) == attempts,
                    col(AuditProjectRun.lease_until) < now,
                )
                .values(**values)
            )
        if changed.rowcount == 1 and values["status"] == RunStatus.queued:
            again.append(run_id)
    return again


def lost_candidates(engine: Engine, older_than: timedelta) -> list[int]:
    """Runs queued longer than ``older_than`` and not handed over since.

    Their job may have been lost (the process that queued the run stopped
    before enqueueing it, or the queue lost it); the caller checks the queue.
    """
    now = utcnow()
    with session_scope(engine) as db:
        found = db.exec(
            select(AuditProjectRun.id).where(
                AuditProjectRun.status == RunStatus.queued,
                col(AuditProjectRun.queued_at) < now - older_than,
                or_(
                    col(AuditProjectRun.lease_until).is_(None),
                    col(AuditProjectRun.lease_until) < now,
                ),
            )
        ).all()
    return [int(run_id) for run_id in found if run_id is not None]


def claim_lost(engine: Engine, run_ids: list[int], older_than: timedelta) -> list[int]:
    """Claim queued runs no job carries, for the caller to enqueue once each.

    The claim is a compare-and-set of ``lease_until`` (unused while a run is
    queued): it becomes the time after which the run may be handed over
    again, so of several workers looking at once, one enqueues it, and the
    others leave it alone until then. Returns the ids claimed.
    """
    now = utcnow()
    claimed: list[int] = []
    for run_id in run_ids:
        with session_scope(engine) as db:
            changed = db.connection().execute(
                update(AuditProjectRun)
                .where(
                    col(AuditProjectRun.id) == run_id,
                    col(AuditProjectRun.status) == RunStatus.queued,
                    col(AuditProjectRun.queued_at) < now - older_than,
                    or_(
                        col(AuditProjectRun.lease_until).is_(None),
                        col(AuditProjectRun.lease_until) < now,
                    ),
                )
                .values(lease_until=now + older_than)
            )
        if changed.rowcount == 1:
            claimed.append(run_id)
    return claimed
