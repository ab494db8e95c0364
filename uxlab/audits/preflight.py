"""Pre-flight a study: replay its tasks in Chromium before participants see them.

A task can be pre-flighted when it has a start URL and a success a machine can
check (a URL pattern or an element). Each is replayed from the researcher's
pre-flight script, where it has a task named after the study task's title or
id, or else from the script ``uxlab audit --from-study`` generates (open the
start URL); either way the study's own success criterion is checked at the
end. The replay is a run of the study's pre-flight project (an audit project
of its own, not listed with the workspace's projects), queued and run by the
audit workers like any other run.

Pre-flight says which tasks cannot be completed and why, which pages have
critical accessibility findings, and for each completed task the pages and
steps it took and the machine's time. The latest finished pre-flight's pages
are the baseline for lostness when the study file gives no ``shortest_path``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlmodel import Session, col, select

from uxlab.audit.script import AuditScript, parse_script
from uxlab.audit.studies import script_from_study
from uxlab.db import begin_write
from uxlab.errors import AuditScriptError, UxlabError
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    RunStatus,
    Study,
    Task,
)
from uxlab.tokens import hash_token, new_token

__all__ = [
    "CHECKABLE",
    "PageFindings",
    "Preflight",
    "PreflightError",
    "TaskCheck",
    "baseline_label",
    "latest_preflight",
    "preflight_baseline",
    "preflight_project",
    "preflight_runs",
    "preflight_script",
    "queue_preflight",
    "why_not_checked",
]

#: Success kinds a machine can check at the end of a replay.
CHECKABLE = ("url_matches", "element")
#: Run statuses of a pre-flight that finished its replay.
_DONE = (RunStatus.passed, RunStatus.failed)


class PreflightError(UxlabError):
    """A study that cannot be pre-flighted, with the reason."""

    code = "preflight_impossible"


def why_not_checked(task: Task) -> str | None:
    """Why pre-flight cannot replay ``task``; None when it can."""
    if task.success_kind == "first_click":
        return "a first-click task on an image: there is no site to replay"
    if task.success_kind not in CHECKABLE:
        return "success is self-reported: nothing a machine can check"
    if not task.start_url:
        return "no start URL"
    return None


def _tasks(db: Session, study: Study) -> list[Task]:
    return list(
        db.exec(
            select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
        ).all()
    )


def _success_step(task: Task) -> dict[str, Any]:
    """The step checking the study's own success criterion."""
    if task.success_kind == "url_matches":
        return {"expect_url": {"regex": task.success_value}}
    return {"expect_visible": {"css": task.success_value}}


def preflight_script(
    db: Session, study: Study, *, base_url: str, own_yaml: str = ""
) -> str:
    """The script a pre-flight replays, as YAML.

    ``own_yaml`` is the researcher's pre-flight script ("" for none); its
    tasks are matched to the study's by title or id, and its ``base_url``
    replaces ``base_url``. A mistake in it raises
    :class:`~uxlab.errors.AuditScriptError` naming the line.
    """
    own: AuditScript | None = (
        parse_script(own_yaml, source="script") if own_yaml.strip() else None
    )
    base = (own.base_url if own is not None else None) or base_url
    tasks = _tasks(db, study)
    checked = [t for t in tasks if why_not_checked(t) is None]
    if not checked:
        raise PreflightError(
            "no task to pre-flight: a task needs a start URL and a success "
            "a machine can check (url_matches or element)"
        )
    given = {t.name: t for t in own.tasks} if own is not None else {}
    names = {t.title for t in tasks} | {t.key for t in tasks}
    unknown = [name for name in given if name not in names]
    if unknown:
        raise AuditScriptError(
            f"script: task {unknown[0]!r} is not a task of this study; name each "
            "task after a study task's title or id"
        )
    # The same generated steps as `uxlab audit --from-study`, one task per
    # task with a start URL, in the study's order.
    generated = script_from_study(db, study.slug, base_url=base)
    with_start = [t for t in tasks if t.start_url]
    steps_of = {t.key: s for t, s in zip(with_start, generated.tasks, strict=True)}
    specs = []
    for task in checked:
        mine = given.get(task.title) or given.get(task.key)
        source = mine if mine is not None else steps_of[task.key]
        steps = [step.model_dump(exclude_none=True) for step in source.steps]
        specs.append({"name": task.title, "steps": [*steps, _success_step(task)]})
    data = {
        "name": f"Pre-flight: {study.title}",
        "base_url": base,
        "viewports": ["desktop"],
        "tasks": specs,
        "checks": ["accessibility"],
        "thresholds": "none",
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def preflight_project(db: Session, study: Study) -> AuditProject | None:
    """The study's pre-flight project, if it was ever pre-flighted."""
    return db.exec(
        select(AuditProject).where(AuditProject.study_id == study.id)
    ).first()


def queue_preflight(
    db: Session,
    study: Study,
    *,
    base_url: str,
    own_yaml: str | None = None,
    researcher_id: int | None = None,
) -> AuditProjectRun:
    """Save the researcher's script (when given) and add a queued pre-flight run.

    ``own_yaml`` None keeps the script saved last time. The caller enqueues
    the run. Nothing is saved when the script or the study cannot be replayed.
    """
    project = preflight_project(db, study)
    kept = project.script_yaml if project is not None else ""
    own = kept if own_yaml is None else own_yaml.strip()
    script_yaml = preflight_script(db, study, base_url=base_url, own_yaml=own)
    # What the worker will read; its base URL is the run's (the script's own
    # when the researcher gave one).
    script = parse_script(script_yaml, source="pre-flight script")
    base_url = script.base_url or base_url
    begin_write(db)
    project = preflight_project(db, study)
    if project is None:
        assert study.id is not None
        project = AuditProject(
            workspace_id=study.workspace_id,
            study_id=study.id,
            name=f"Pre-flight: {study.title}"[:200],
            script_yaml=own,
            base_url=base_url[:2000],
            thresholds={"fail_on": "none", "perf_regression_pct": 20},
            badge_token_hash=hash_token(new_token()),
            created_by=researcher_id,
        )
    elif project.script_yaml != own:
        project.script_yaml = own
        project.script_version += 1
    db.add(project)
    db.flush()
    assert project.id is not None
    run = AuditProjectRun(
        project_id=project.id,
        script_yaml=script_yaml,
        script_version=project.script_version,
        started_by="person",
        researcher_id=researcher_id,
        base_url=base_url[:2000],
    )
    db.add(run)
    db.commit()
    db.refresh(run)
    return run


def preflight_runs(db: Session, study: Study, *, limit: int = 10) -> list[Any]:
    """The study's pre-flight runs, newest first."""
    project = preflight_project(db, study)
    if project is None:
        return []
    return list(
        db.exec(
            select(AuditProjectRun)
            .where(AuditProjectRun.project_id == project.id)
            .order_by(col(AuditProjectRun.id).desc())
            .limit(limit)
        ).all()
    )


# ------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class TaskCheck:
    """One study task in a pre-flight."""

    task: Task
    #: None when the task was not replayed (see ``reason``).
    completed: bool | None
    reason: str = ""
    #: The different pages the replay visited, and the steps it took.
    pages: int | None = None
    steps: int | None = None
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class PageFindings:
    """A page with critical accessibility findings."""

    url: str
    count: int
    rules: tuple[str, ...]


@dataclass(slots=True)
class Preflight:
    """The latest pre-flight of a study and what it found."""

    project: AuditProject
    run: AuditProjectRun
    tasks: list[TaskCheck] = field(default_factory=list)
    critical: list[PageFindings] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.run.status in _DONE


def _page_count(urls: list[str]) -> int:
    from uxlab.clicks import page_key

    return len({page_key(url) for url in urls})


def _task_results(run: AuditProjectRun) -> dict[str, dict[str, Any]]:
    """The run's task results by task name (the study task's title).

    Each carries ``planned_steps``: the steps its script gave it, the last
    being the success check.
    """
    try:
        script = yaml.safe_load(run.script_yaml) or {}
    except yaml.YAMLError:
        script = {}
    planned = {
        str(t.get("name")): len(t.get("steps") or [])
        for t in script.get("tasks", [])
        if isinstance(t, dict)
    }
    found: dict[str, dict[str, Any]] = {}
    for entry in (run.results or {}).get("tasks", []):
        name = str(entry.get("name"))
        if name not in found:
            found[name] = {**entry, "planned_steps": planned.get(name)}
    return found


def _check(task: Task, entry: dict[str, Any] | None) -> TaskCheck:
    why = why_not_checked(task)
    if why is not None:
        return TaskCheck(task, None, f"not replayed: {why}")
    if entry is None:
        return TaskCheck(task, None, "not replayed: added after this pre-flight")
    steps = entry.get("steps") or []
    if entry.get("success"):
        return TaskCheck(
            task,
            True,
            pages=_page_count(list(entry.get("pages") or [])),
            # The last step is the success check, not something a user does.
            steps=max(len(steps) - 1, 0),
            seconds=entry.get("seconds"),
        )
    error = str(entry.get("error") or "it did not finish")
    failed, planned = entry.get("failed_step"), entry.get("planned_steps")
    if failed is not None and planned and failed == planned - 1:
        error = f"the success criterion was not met: {error}"
    return TaskCheck(task, False, error, seconds=entry.get("seconds"))


def _critical(run: AuditProjectRun) -> list[PageFindings]:
    pages: dict[str, list[str]] = {}
    for finding in (run.results or {}).get("findings", []):
        if finding.get("severity") == "critical" and finding.get("check") in (
            "accessibility",
            None,
        ):
            pages.setdefault(str(finding.get("url")), []).append(
                str(finding.get("rule"))
            )
    return [
        PageFindings(url, len(rules), tuple(sorted(set(rules))))
        for url, rules in pages.items()
    ]


def latest_preflight(db: Session, study: Study) -> Preflight | None:
    """The study's latest pre-flight (queued, running or ended), read for the page."""
    runs = preflight_runs(db, study, limit=1)
    project = preflight_project(db, study)
    if not runs or project is None:
        return None
    run = runs[0]
    found = Preflight(project, run)
    if run.status in _DONE:
        results = _task_results(run)
        found.tasks = [_check(t, results.get(t.title)) for t in _tasks(db, study)]
        found.critical = _critical(run)
    return found


def baseline_label(when: datetime) -> str:
    """How a results page names a pre-flight baseline."""
    return f"baseline from pre-flight of {when:%Y-%m-%d %H:%M} UTC"


def preflight_baseline(db: Session, task: Task) -> tuple[int, datetime] | None:
    """Pages the latest finished pre-flight needed for ``task``, and when it ran.

    None when no finished pre-flight completed the task.
    """
    study = db.get(Study, task.study_id)
    project = preflight_project(db, study) if study is not None else None
    if project is None:
        return None
    run = db.exec(
        select(AuditProjectRun)
        .where(
            AuditProjectRun.project_id == project.id,
            col(AuditProjectRun.status).in_(list(_DONE)),
        )
        .order_by(col(AuditProjectRun.id).desc())
        .limit(1)
    ).first()
    if run is None or run.finished_at is None:
        return None
    check = _check(task, _task_results(run).get(task.title))
    if not check.completed or not check.pages:
        return None
    return check.pages, run.finished_at
