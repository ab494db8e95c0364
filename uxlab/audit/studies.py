"""Build an audit script from a study's tasks (``uxlab audit --from-study``).

A study's tasks say where each task starts and how success is judged for a
human participant (a URL pattern, an element, a self-report or a first
click), not the clicks in between. So each task becomes one audit task that
opens its start URL; it succeeds when the page loads. The pages are audited as
usual.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from uxlab.audit.script import AuditScript
from uxlab.errors import AuditScriptError, NotFoundError
from uxlab.models import Study, Task

__all__ = ["script_from_study"]


def script_from_study(
    session: Session, slug: str, *, base_url: str | None = None
) -> AuditScript:
    """An audit script that opens the start URL of each of the study's tasks."""
    study = session.exec(select(Study).where(Study.slug == slug)).first()
    if study is None:
        raise NotFoundError(f"no study with slug {slug!r}")
    tasks = session.exec(
        select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
    ).all()
    specs = []
    for task in tasks:
        if not task.start_url:
            continue
        if not urlsplit(task.start_url).scheme and base_url is None:
            raise AuditScriptError(
                f"study {slug!r}, task {task.key!r}: start_url {task.start_url!r} "
                "is relative; pass --base-url"
            )
        specs.append({"name": task.title, "steps": [{"goto": task.start_url}]})
    if not specs:
        raise AuditScriptError(f"study {slug!r} has no task with a start_url to audit")
    return AuditScript.model_validate(
        {"name": f"Study: {study.title}", "base_url": base_url, "tasks": specs}
    )
