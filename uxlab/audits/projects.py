"""Audit projects: a workspace's audit scripts, each with its base URL and schedule."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

from sqlmodel import Session, col, select

from uxlab.audit.findings import FAIL_ON_LEVELS
from uxlab.audit.script import parse_script
from uxlab.audits.schedules import check_schedule
from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    AuditRunScreenshot,
    utcnow,
)
from uxlab.tokens import hash_token, new_token

__all__ = [
    "LIMITS",
    "SETTING_NAMES",
    "NewProject",
    "ProjectError",
    "ProjectSettings",
    "create_project",
    "get_project",
    "get_run",
    "list_projects",
    "list_runs",
    "new_upload_token",
    "prune_screenshots",
    "save_script",
    "settings_of",
    "update_settings",
]

#: The whole-number settings and the (lowest, highest) value each may take.
#: Forms and the API's description read their ranges from here.
LIMITS: dict[str, tuple[int, int]] = {
    "concurrency": (1, 50),
    "timeout_seconds": (1, 86_400),
    "perf_regression_pct": (1, 500),
}
#: The longest each text setting may be (its column's length).
_MAX_LENGTHS = {
    "name": 200,
    "base_url": 2000,
    "schedule": 120,
    "timezone": 64,
    "webhook_url": 2000,
}
_LIMIT_LABELS = {
    "concurrency": "concurrency",
    "timeout_seconds": "time limit",
    "perf_regression_pct": "performance threshold",
}


class ProjectError(UxlabError):
    """A project setting that cannot be saved."""

    code = "invalid_project"


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    name: str
    base_url: str
    schedule: str | None = None
    timezone: str = "UTC"
    fail_on: str = "serious"
    retention_days: int = 90
    #: Runs of the project that may run at once, across all workers.
    concurrency: int = 1
    #: Seconds a run may take before it is stopped and ends as "error".
    timeout_seconds: int = 900
    webhook_url: str | None = None
    #: A performance figure that grew by more than this (in %) counts as worse.
    perf_regression_pct: int = 20


@dataclass(frozen=True, slots=True)
class NewProject:
    """A project just made, with the badge secret shown this once."""

    project: AuditProject
    badge_token: str


def _check(settings: ProjectSettings) -> None:
    if not settings.name.strip():
        raise ProjectError("the project needs a name")
    for name, most in _MAX_LENGTHS.items():
        if len(getattr(settings, name) or "") > most:
            label = name.replace("_", " ").replace("url", "URL")
            raise ProjectError(f"{label} is longer than {most} characters")
    if not settings.base_url.startswith(("http://", "https://")):
        raise ProjectError(
            f"base URL {settings.base_url!r} must start with http:// or https://"
        )
    if settings.webhook_url and not settings.webhook_url.startswith(
        ("http://", "https://")
    ):
        raise ProjectError(
            f"webhook URL {settings.webhook_url!r} must start with http:// or https://"
        )
    if settings.fail_on not in FAIL_ON_LEVELS:
        raise ProjectError(
            f"fail on ({settings.fail_on!r}) must be one of {list(FAIL_ON_LEVELS)}"
        )
    if settings.schedule:
        check_schedule(settings.schedule, settings.timezone)
    if settings.retention_days < 1:
        raise ProjectError(
            f"retention days ({settings.retention_days}) must be at least 1"
        )
    for name, (low, high) in LIMITS.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise ProjectError(
                f"{_LIMIT_LABELS[name]} ({value}) must be between {low} and {high}"
            )


def settings_of(project: AuditProject) -> ProjectSettings:
    """The project's settings as they are now (to change some and keep the rest)."""
    return ProjectSettings(
        name=project.name,
        base_url=project.base_url,
        schedule=project.schedule,
        timezone=project.timezone,
        fail_on=project.thresholds.get("fail_on", "serious"),
        retention_days=project.retention_days,
        concurrency=project.concurrency,
        timeout_seconds=project.timeout_seconds,
        webhook_url=project.webhook_url,
        perf_regression_pct=int(project.thresholds.get("perf_regression_pct", 20)),
    )


#: The names of :class:`ProjectSettings`, in order.
SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ProjectSettings))


def create_project(
    db: Session,
    workspace_id: int,
    settings: ProjectSettings,
    script_yaml: str,
    *,
    researcher_id: int | None = None,
) -> NewProject:
    """Validate the settings and the script (line-level errors), then save."""
    _check(settings)
    parse_script(script_yaml, source="script")
    begin_write(db)
    token = new_token()
    project = AuditProject(
        workspace_id=workspace_id,
        name=settings.name.strip(),
        script_yaml=script_yaml,
        base_url=settings.base_url,
        thresholds={
            "fail_on": settings.fail_on,
            "perf_regression_pct": settings.perf_regression_pct,
        },
        schedule=settings.schedule or None,
        timezone=settings.timezone,
        schedule_since=utcnow() if settings.schedule else None,
        retention_days=settings.retention_days,
        concurrency=settings.concurrency,
        timeout_seconds=settings.timeout_seconds,
        webhook_url=settings.webhook_url or None,
        badge_token_hash=hash_token(token),
        created_by=researcher_id,
    )
    db.add(project)
    db.commit()
    db.refresh(project)
    return NewProject(project, token)


def update_settings(
    db: Session, project: AuditProject, settings: ProjectSettings
) -> None:
    """Change a project's settings; a schedule set or changed fires from now on.

    Every setting is replaced: start from :func:`settings_of` to change a few.
    """
    _check(settings)
    begin_write(db)
    schedule = settings.schedule or None
    if (schedule, settings.timezone) != (project.schedule, project.timezone):
        project.schedule_since = utcnow() if schedule else None
    project.name = settings.name.strip()
    project.base_url = settings.base_url
    project.schedule = schedule
    project.timezone = settings.timezone
    project.thresholds = {
        **project.thresholds,
        "fail_on": settings.fail_on,
        "perf_regression_pct": settings.perf_regression_pct,
    }
    project.retention_days = settings.retention_days
    project.concurrency = settings.concurrency
    project.timeout_seconds = settings.timeout_seconds
    project.webhook_url = settings.webhook_url or None
    db.add(project)
    db.commit()


def new_upload_token(db: Session, project: AuditProject) -> str:
    """Make the project's upload token (replacing any before); shown once."""
    token = new_token()
    begin_write(db)
    project.upload_token_hash = hash_token(token)
    db.add(project)
    db.commit()
    return token


def save_script(db: Session, project: AuditProject, script_yaml: str) -> bool:
    """Save a new script version; an invalid one raises and nothing is saved.

    Returns whether anything changed.
    """
    parse_script(script_yaml, source="script")
    if script_yaml == project.script_yaml:
        return False
    begin_write(db)
    project.script_yaml = script_yaml
    project.script_version += 1
    db.add(project)
    db.commit()
    return True


def list_projects(db: Session, workspace_id: int) -> list[AuditProject]:
    """The workspace's audit projects (studies' pre-flights are on their pages)."""
    return list(
        db.exec(
            select(AuditProject)
            .where(
                AuditProject.workspace_id == workspace_id,
                col(AuditProject.study_id).is_(None),
            )
            .order_by(col(AuditProject.name))
        ).all()
    )


def get_project(db: Session, workspace_id: int, project_id: int) -> AuditProject:
    """The workspace's project, or "not found" (also for another workspace's)."""
    project = db.get(AuditProject, project_id)
    if project is None or project.workspace_id != workspace_id:
        raise NotFoundError(f"no audit project {project_id} in this workspace")
    return project


def get_run(db: Session, project: AuditProject, run_id: int) -> AuditProjectRun:
    run = db.get(AuditProjectRun, run_id)
    if run is None or run.project_id != project.id:
        raise NotFoundError(f"no run {run_id} in project {project.name!r}")
    return run


def list_runs(
    db: Session, project: AuditProject, *, limit: int = 100
) -> list[AuditProjectRun]:
    """The project's runs, newest first."""
    return list(
        db.exec(
            select(AuditProjectRun)
            .where(AuditProjectRun.project_id == project.id)
            .order_by(col(AuditProjectRun.id).desc())
            .limit(limit)
        ).all()
    )


def prune_screenshots(db: Session) -> int:
    """Delete screenshots of runs older than their project's retention period.

    Findings, numbers and the report are kept. Returns the runs pruned.
    """
    now = utcnow()
    pruned = 0
    begin_write(db)
    for project in db.exec(select(AuditProject)).all():
        cutoff = now - timedelta(days=project.retention_days)
        runs = db.exec(
            select(AuditProjectRun).where(
                AuditProjectRun.project_id == project.id,
                col(AuditProjectRun.finished_at) < cutoff,
                col(AuditProjectRun.screenshots_pruned_at).is_(None),
            )
        ).all()
        for run in runs:
            for shot in db.exec(
                select(AuditRunScreenshot).where(AuditRunScreenshot.run_id == run.id)
            ).all():
                db.delete(shot)
            run.screenshots_pruned_at = now
            db.add(run)
            pruned += 1
    db.commit()
    return pruned
