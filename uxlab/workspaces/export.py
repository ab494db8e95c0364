"""A workspace as one JSON document: members, studies, invites, activity.

Each study's participant-level data has its own export (:mod:`uxlab.export`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from uxlab.models import Researcher, Study, Workspace, WorkspaceInvite, utcnow
from uxlab.workspaces.activity_log import activity
from uxlab.workspaces.memberships import members

__all__ = ["export_workspace"]


def export_workspace(session: Session, workspace: Workspace) -> dict[str, Any]:
    """The workspace as one JSON document: members, studies, invites, activity.

    No tokens or participant data: those stay in each study's own export.
    """
    studies = session.exec(
        select(Study, Researcher.email)
        .join(Researcher, col(Researcher.id) == col(Study.researcher_id))
        .where(Study.workspace_id == workspace.id)
        .order_by(col(Study.id))
    ).all()
    invites = session.exec(
        select(WorkspaceInvite)
        .where(WorkspaceInvite.workspace_id == workspace.id)
        .order_by(col(WorkspaceInvite.id))
    ).all()
    now = utcnow()

    def state(invite: WorkspaceInvite) -> str:
        if invite.accepted_at is not None:
            return "accepted"
        if invite.revoked_at is not None:
            return "revoked"
        return "expired" if invite.expires_at <= now else "pending"

    return {
        "workspace": {
            "slug": workspace.slug,
            "name": workspace.name,
            "personal": workspace.personal,
            "created_at": workspace.created_at.isoformat(),
        },
        "members": [
            {
                "email": m.email,
                "name": m.name,
                "role": str(m.role),
                "since": m.since.isoformat(),
            }
            for m in members(session, workspace)
        ],
        "studies": [
            {
                "slug": s.slug,
                "title": s.title,
                "status": str(s.status),
                "mode": str(s.mode),
                "created_by": email,
                "created_at": s.created_at.isoformat(),
            }
            for s, email in studies
        ],
        "invites": [
            {
                "email": i.email,
                "role": str(i.role),
                "state": state(i),
                "created_at": i.created_at.isoformat(),
                "expires_at": i.expires_at.isoformat(),
            }
            for i in invites
        ],
        "activity": [row.as_dict() for row in activity(session, workspace)],
    }
