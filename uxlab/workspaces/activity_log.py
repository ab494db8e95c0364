"""The activity log: who published, closed, deleted, excluded, exported,
invited or changed a role in a workspace, and when.

:func:`record` adds an entry to the caller's transaction, so an action and its
entry commit (or roll back) together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.models import ActivityEntry, Researcher, Study, Workspace

__all__ = ["ActivityRow", "activity", "record", "record_export"]


def record(
    session: Session,
    workspace: Workspace | int,
    researcher_id: int | None,
    action: str,
    subject: str = "",
    **detail: Any,
) -> None:
    """Add an activity entry to the caller's transaction (the caller commits)."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    assert workspace_id is not None
    session.add(
        ActivityEntry(
            workspace_id=workspace_id,
            researcher_id=researcher_id,
            action=action,
            subject=subject[:254],
            detail={k: str(v) for k, v in detail.items()},
        )
    )


def record_export(
    session: Session, study: Study, researcher_id: int | None, what: str
) -> None:
    """Log that a researcher downloaded a study's participant-level data.

    The export has just read the whole study in one transaction. On SQLite that
    read cannot turn into a write once participants have committed meanwhile
    ("database is locked" at once, whatever the busy timeout), so the entry is
    written in a write transaction of its own.
    """
    workspace_id, slug = study.workspace_id, study.slug
    begin_write(session)
    record(session, workspace_id, researcher_id, "exported", slug, format=what)
    session.commit()


@dataclass(frozen=True, slots=True)
class ActivityRow:
    at: datetime
    who: str
    action: str
    subject: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "who": self.who,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
        }


def activity(
    session: Session, workspace: Workspace, *, limit: int | None = None
) -> list[ActivityRow]:
    """The workspace's activity log, newest first."""
    query = (
        select(ActivityEntry, Researcher.email)
        .join(
            Researcher,
            col(Researcher.id) == col(ActivityEntry.researcher_id),
            isouter=True,
        )
        .where(ActivityEntry.workspace_id == workspace.id)
        .order_by(col(ActivityEntry.at).desc(), col(ActivityEntry.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        ActivityRow(e.at, email or "uxlab", e.action, e.subject, dict(e.detail))
        for e, email in session.exec(query).all()
    ]
