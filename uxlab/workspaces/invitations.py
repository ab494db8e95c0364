"""Team invitations: a one-time link, valid for :data:`INVITE_TTL_DAYS` days,
that makes its email address a member with the invited role.

Not to be confused with :mod:`uxlab.invites`, the participants' study links.
Only a token's hash is stored, so the link is shown (and mailed) once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import (
    Membership,
    Researcher,
    Workspace,
    WorkspaceInvite,
    WorkspaceRole,
    utcnow,
)
from uxlab.tokens import hash_token, new_token
from uxlab.workspaces.activity_log import record
from uxlab.workspaces.memberships import MembershipError, role_in
from uxlab.workspaces.roles import with_article

__all__ = [
    "INVITE_TTL_DAYS",
    "InviteError",
    "accept_invite",
    "invite_by_token",
    "invite_member",
    "pending_invites",
    "revoke_invite",
]

#: Days a workspace invite link stays valid.
INVITE_TTL_DAYS = 7


class InviteError(UxlabError):
    """A workspace invite link that is unknown, used, revoked or expired."""

    code = "invite_invalid"
    status = 410


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def invite_member(
    session: Session,
    workspace: Workspace,
    email: str,
    role: WorkspaceRole,
    *,
    by: int | None,
    ttl_days: int = INVITE_TTL_DAYS,
) -> tuple[WorkspaceInvite, str]:
    """Invite ``email`` to join with ``role``; returns the invite and its token.

    Only the token's hash is stored, so the link can be shown (and mailed) once.
    An earlier pending invite for the same address stops working.
    """
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise UxlabError(f"{email!r} is not an email address")
    begin_write(session)
    try:
        assert workspace.id is not None
        existing = session.exec(
            select(Membership)
            .join(Researcher, col(Researcher.id) == col(Membership.researcher_id))
            .where(Membership.workspace_id == workspace.id, Researcher.email == email)
        ).first()
        if existing is not None:
            raise MembershipError(
                f"{email} is already {with_article(existing.role)} of "
                f"workspace “{workspace.name}”; nothing was sent"
            )
        now = utcnow()
        for old in _pending(session, workspace, now):
            if old.email == email:
                old.revoked_at = now
                session.add(old)
        token = new_token()
        invite = WorkspaceInvite(
            workspace_id=workspace.id,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=by,
            created_at=now,
            expires_at=now + timedelta(days=ttl_days),
        )
        session.add(invite)
        record(session, workspace, by, "invited", email, role=role)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return invite, token


def _pending(
    session: Session, workspace: Workspace, now: datetime
) -> list[WorkspaceInvite]:
    return list(
        session.exec(
            select(WorkspaceInvite)
            .where(WorkspaceInvite.workspace_id == workspace.id)
            .where(col(WorkspaceInvite.accepted_at).is_(None))
            .where(col(WorkspaceInvite.revoked_at).is_(None))
            .where(col(WorkspaceInvite.expires_at) > now)
            .order_by(col(WorkspaceInvite.id))
        ).all()
    )


def pending_invites(session: Session, workspace: Workspace) -> list[WorkspaceInvite]:
    """Invites not yet accepted, revoked or expired, oldest first."""
    return _pending(session, workspace, utcnow())


def invite_by_token(session: Session, token: str) -> tuple[WorkspaceInvite, Workspace]:
    """The invite a link carries, if it can still be accepted."""
    invite = session.exec(
        select(WorkspaceInvite).where(WorkspaceInvite.token_hash == hash_token(token))
    ).first()
    if invite is None:
        raise InviteError(
            "This invite link is not valid: check it was copied whole, or ask the "
            "workspace's owner for a new one."
        )
    workspace = session.get(Workspace, invite.workspace_id)
    assert workspace is not None
    if invite.accepted_at is not None:
        raise InviteError(
            f"This invite link to workspace “{workspace.name}” has been used "
            "already. Each link works once: ask its owner for a new one."
        )
    if invite.revoked_at is not None:
        raise InviteError(
            f"This invite link to workspace “{workspace.name}” was withdrawn. "
            "Ask its owner for a new one."
        )
    if invite.expires_at <= utcnow():
        raise InviteError(
            f"This invite link to workspace “{workspace.name}” expired on "
            f"{invite.expires_at:%Y-%m-%d}. Ask its owner for a new one."
        )
    return invite, workspace


def accept_invite(
    session: Session, token: str, researcher_id: int
) -> tuple[Workspace, WorkspaceRole]:
    """Join the invite's workspace as the logged-in researcher, whose email it names."""
    begin_write(session)
    try:
        invite, workspace = invite_by_token(session, token)
        researcher = session.get(Researcher, researcher_id)
        if researcher is None:
            raise NotFoundError(f"no researcher {researcher_id}")
        if researcher.email != invite.email:
            raise InviteError(
                f"This invite is for {invite.email}, and you are logged in as "
                f"{researcher.email}. Log out, then open the link again and log in "
                f"as {invite.email} (or create that account)."
            )
        assert workspace.id is not None
        role = role_in(session, workspace.id, researcher_id)
        if role is not None:
            raise MembershipError(
                f"You are already {with_article(role)} of workspace "
                f"“{workspace.name}”; the invite was not needed."
            )
        invite.accepted_at = utcnow()
        session.add(invite)
        session.add(
            Membership(
                workspace_id=workspace.id,
                researcher_id=researcher_id,
                role=invite.role,
            )
        )
        record(
            session, workspace, researcher_id, "joined", invite.email, role=invite.role
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return workspace, invite.role


def revoke_invite(
    session: Session, workspace: Workspace, invite_id: int, *, by: int | None = None
) -> WorkspaceInvite:
    """Stop a pending invite link from working."""
    begin_write(session)
    try:
        invite = session.get(WorkspaceInvite, invite_id)
        if invite is None or invite.workspace_id != workspace.id:
            raise NotFoundError(
                f"no invite {invite_id} in workspace {workspace.slug!r}"
            )
        if invite.accepted_at is None and invite.revoked_at is None:
            invite.revoked_at = utcnow()
            session.add(invite)
            record(session, workspace, by, "invite_revoked", invite.email)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return invite
