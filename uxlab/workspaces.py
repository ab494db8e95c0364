"""Workspaces: who may do what to a team's studies, invitations, the activity log.

Every study belongs to a workspace, and every member of a workspace has one
role. :data:`NEEDS` is the one place that says which role each
:class:`Permission` needs; the web layer and the CLI ask :func:`allows`.

Functions take a ``Session`` and know nothing of Flask. Writes start with
:func:`uxlab.db.begin_write` and commit once, so a refusal changes nothing.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import (
    ActivityEntry,
    Membership,
    Researcher,
    Study,
    Workspace,
    WorkspaceInvite,
    WorkspaceRole,
    utcnow,
)
from uxlab.tokens import hash_token, new_token

__all__ = [
    "INVITE_TTL_DAYS",
    "NEEDS",
    "ActivityRow",
    "InviteError",
    "MemberRow",
    "MembershipError",
    "Permission",
    "PermissionDeniedError",
    "WorkspaceRow",
    "accept_invite",
    "activity",
    "add_member",
    "add_personal_workspace",
    "allows",
    "change_role",
    "create_workspace",
    "delete_workspace",
    "export_workspace",
    "get_workspace",
    "invite_by_token",
    "invite_member",
    "list_workspaces",
    "member_workspace",
    "members",
    "own_workspace",
    "pending_invites",
    "personal_workspace",
    "record",
    "record_export",
    "researcher_by_email",
    "remove_member",
    "revoke_invite",
    "role_in",
    "study_access",
    "workspaces_of",
]

#: Days a workspace invite link stays valid.
INVITE_TTL_DAYS = 7


class Permission(enum.StrEnum):
    """Something a member may do; :data:`NEEDS` says which role it takes."""

    #: Study pages, results, charts, Compare, Plan, notes and reports.
    view = "view"
    #: Create, edit, publish, close, reopen and delete studies; participant links.
    edit = "edit"
    #: Schedule and run moderated sessions, observer links.
    moderate = "moderate"
    #: Exclude participants from the results, or include them again.
    exclude = "exclude"
    #: Participant-level downloads: zip, JSON, XLSX, notes CSV.
    export = "export"
    #: Participant codes and names on pages (quality checks, notes, sessions).
    participant_data = "participant_data"
    #: Members, invitations, roles, the activity log, the workspace's export.
    manage = "manage"


#: The least role each permission needs; every higher role has it too.
NEEDS: dict[Permission, WorkspaceRole] = {
    Permission.view: WorkspaceRole.viewer,
    Permission.edit: WorkspaceRole.editor,
    Permission.moderate: WorkspaceRole.editor,
    Permission.exclude: WorkspaceRole.editor,
    Permission.export: WorkspaceRole.editor,
    Permission.participant_data: WorkspaceRole.editor,
    Permission.manage: WorkspaceRole.owner,
}

_RANK = {WorkspaceRole.viewer: 0, WorkspaceRole.editor: 1, WorkspaceRole.owner: 2}

#: What each permission is, for the refusal's message.
_DOING = {
    Permission.view: "Reading this workspace's studies",
    Permission.edit: "Creating and changing studies",
    Permission.moderate: "Running moderated sessions",
    Permission.exclude: "Excluding participants",
    Permission.export: "Downloading participant-level data",
    Permission.participant_data: "Seeing participant codes and names",
    Permission.manage: "Managing members and the activity log",
}


def allows(role: WorkspaceRole | None, permission: Permission) -> bool:
    """Whether a member with ``role`` has ``permission`` (None: not a member)."""
    return role is not None and _RANK[role] >= _RANK[NEEDS[permission]]


def _a(role: WorkspaceRole) -> str:
    """ "a viewer", "an editor", "an owner"."""
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


def _roles_from(role: WorkspaceRole) -> str:
    """ "an editor or owner", "an owner": who has a permission needing ``role``."""
    names = [r.value for r in WorkspaceRole if _RANK[r] >= _RANK[role]]
    return f"{_a(role).split()[0]} {' or '.join(names)}"


# -------------------------------------------------------------------- errors


class PermissionDeniedError(UxlabError):
    """A member whose role does not allow the action (HTTP 403)."""

    code = "forbidden"
    status = 403

    def __init__(
        self, permission: Permission, role: WorkspaceRole, workspace: Workspace
    ) -> None:
        self.permission = permission
        self.needed = NEEDS[permission]
        self.role = role
        super().__init__(
            f"{_DOING[permission]} needs the {self.needed} role: only "
            f"{_roles_from(self.needed)} of workspace “{workspace.name}” can do "
            f"that, and you are {_a(role)} there."
        )


class MembershipError(UxlabError):
    """A member change that would break the workspace (e.g. no owner left)."""

    code = "membership_error"
    status = 409


class InviteError(UxlabError):
    """A workspace invite link that is unknown, used, revoked or expired."""

    code = "invite_invalid"
    status = 410


# ------------------------------------------------------------------- finding


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "workspace"


def _unique_slug(session: Session, wanted: str) -> str:
    base = _slugify(wanted)
    taken = set(
        session.exec(
            select(Workspace.slug).where(col(Workspace.slug).startswith(base))
        ).all()
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def get_workspace(session: Session, slug: str) -> Workspace:
    """A workspace by slug."""
    workspace = session.exec(select(Workspace).where(Workspace.slug == slug)).first()
    if workspace is None:
        raise NotFoundError(f"no workspace {slug!r}")
    return workspace


def role_in(
    session: Session, workspace_id: int, researcher_id: int
) -> WorkspaceRole | None:
    """The researcher's role in the workspace, or None for a non-member."""
    role = session.exec(
        select(Membership.role).where(
            Membership.workspace_id == workspace_id,
            Membership.researcher_id == researcher_id,
        )
    ).first()
    return WorkspaceRole(role) if role is not None else None


def member_workspace(
    session: Session, slug: str, researcher_id: int, need: Permission
) -> tuple[Workspace, WorkspaceRole]:
    """A workspace the researcher belongs to, if their role has ``need``.

    A workspace they do not belong to is not found (404), like one that does
    not exist; a member without the right gets :class:`PermissionDeniedError`.
    """
    workspace = session.exec(select(Workspace).where(Workspace.slug == slug)).first()
    role = (
        role_in(session, workspace.id, researcher_id)
        if workspace is not None and workspace.id is not None
        else None
    )
    if workspace is None or role is None:
        raise NotFoundError(f"no workspace {slug!r}")
    if not allows(role, need):
        raise PermissionDeniedError(need, role, workspace)
    return workspace, role


def study_access(
    session: Session, ref: str, researcher_id: int, need: Permission
) -> tuple[Study, WorkspaceRole]:
    """A study by slug or id, with the researcher's role in its workspace.

    A study in a workspace the researcher does not belong to is not found; a
    member whose role lacks ``need`` gets :class:`PermissionDeniedError`.
    """
    study = session.exec(select(Study).where(Study.slug == ref)).first()
    if study is None and ref.isdigit():
        study = session.get(Study, int(ref))
    role = (
        role_in(session, study.workspace_id, researcher_id)
        if study is not None
        else None
    )
    if study is None or role is None:
        raise NotFoundError(f"no study {ref!r}")
    if not allows(role, need):
        workspace = session.get(Workspace, study.workspace_id)
        assert workspace is not None
        raise PermissionDeniedError(need, role, workspace)
    return study, role


def personal_workspace(session: Session, researcher_id: int) -> Workspace:
    """The researcher's own workspace (the first they own, for older accounts)."""
    query = (
        select(Workspace)
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(Membership.researcher_id == researcher_id)
        .where(Membership.role == WorkspaceRole.owner)
        .order_by(col(Workspace.personal).desc(), col(Workspace.id))
    )
    workspace = session.exec(query).first()
    if workspace is None:
        raise NotFoundError(f"researcher {researcher_id} has no workspace of their own")
    return workspace


@dataclass(frozen=True, slots=True)
class WorkspaceRow:
    slug: str
    name: str
    personal: bool
    role: WorkspaceRole | None
    members: int
    studies: int


def workspaces_of(session: Session, researcher_id: int) -> list[WorkspaceRow]:
    """The workspaces a researcher belongs to: their personal one first."""
    mine = session.exec(
        select(Workspace, Membership.role)
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(Membership.researcher_id == researcher_id)
        .order_by(col(Workspace.personal).desc(), col(Workspace.name))
    ).all()
    return [_row(session, w, WorkspaceRole(role)) for w, role in mine]


def list_workspaces(session: Session) -> list[WorkspaceRow]:
    """Every workspace (for the CLI), by slug."""
    found = session.exec(select(Workspace).order_by(col(Workspace.slug))).all()
    return [_row(session, w, None) for w in found]


def _row(session: Session, workspace: Workspace, role: WorkspaceRole | None) -> Any:
    n_members = session.exec(
        select(func.count()).where(Membership.workspace_id == workspace.id)
    ).one()
    n_studies = session.exec(
        select(func.count()).where(Study.workspace_id == workspace.id)
    ).one()
    return WorkspaceRow(
        workspace.slug,
        workspace.name,
        workspace.personal,
        role,
        int(n_members),
        int(n_studies),
    )


# ------------------------------------------------------------------ creating


def add_personal_workspace(session: Session, researcher: Researcher) -> Workspace:
    """Give a new researcher a workspace they own (flushed, not committed)."""
    assert researcher.id is not None
    local = researcher.email.split("@")[0]
    workspace = Workspace(
        slug=_unique_slug(session, local),
        name=researcher.name or researcher.email,
        personal=True,
    )
    session.add(workspace)
    session.flush()
    assert workspace.id is not None
    session.add(
        Membership(
            workspace_id=workspace.id,
            researcher_id=researcher.id,
            role=WorkspaceRole.owner,
        )
    )
    session.flush()
    return workspace


def own_workspace(session: Session, researcher: Researcher) -> Workspace:
    """The researcher's personal workspace, made now for an account without one."""
    assert researcher.id is not None
    try:
        return personal_workspace(session, researcher.id)
    except NotFoundError:
        return add_personal_workspace(session, researcher)


def researcher_by_email(session: Session, email: str) -> Researcher:
    """The researcher with this email (any case)."""
    return _researcher(session, email)


def _researcher(session: Session, email: str) -> Researcher:
    found = session.exec(
        select(Researcher).where(Researcher.email == email.strip().lower())
    ).first()
    if found is None:
        raise NotFoundError(f"no researcher with email {email.strip()!r}")
    return found


def create_workspace(
    session: Session, name: str, *, owner_email: str, slug: str | None = None
) -> Workspace:
    """Create a shared workspace owned by the researcher with ``owner_email``."""
    name = name.strip()
    if not name or len(name) > 200:
        raise UxlabError("a workspace needs a name of 1 to 200 characters")
    if slug is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", slug):
        raise UxlabError(
            f"slug ({slug!r}) must be lower-case letters, digits and dashes"
        )
    begin_write(session)
    try:
        owner = _researcher(session, owner_email)
        if (
            slug is not None
            and session.exec(select(Workspace.id).where(Workspace.slug == slug)).first()
        ):
            raise UxlabError(f"a workspace with slug {slug!r} already exists")
        workspace = Workspace(slug=slug or _unique_slug(session, name), name=name)
        session.add(workspace)
        session.flush()
        assert workspace.id is not None and owner.id is not None
        session.add(
            Membership(
                workspace_id=workspace.id,
                researcher_id=owner.id,
                role=WorkspaceRole.owner,
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return workspace


def delete_workspace(session: Session, workspace: Workspace) -> None:
    """Delete a shared workspace that holds no studies (personal ones stay)."""
    begin_write(session)
    try:
        session.refresh(workspace)
        if workspace.personal:
            raise MembershipError("a personal workspace cannot be deleted")
        n = session.exec(
            select(func.count()).where(Study.workspace_id == workspace.id)
        ).one()
        if n:
            raise MembershipError(
                f"workspace “{workspace.name}” still holds {n} stud"
                f"{'y' if n == 1 else 'ies'}; delete them first"
            )
        session.delete(workspace)
        session.commit()
    except BaseException:
        session.rollback()
        raise


# ------------------------------------------------------------------- members


@dataclass(frozen=True, slots=True)
class MemberRow:
    researcher_id: int
    email: str
    name: str
    role: WorkspaceRole
    since: datetime


def members(session: Session, workspace: Workspace) -> list[MemberRow]:
    """The workspace's members: owners first, then by email."""
    rows = session.exec(
        select(Membership, Researcher)
        .join(Researcher, col(Researcher.id) == col(Membership.researcher_id))
        .where(Membership.workspace_id == workspace.id)
        .order_by(col(Researcher.email))
    ).all()
    out = [MemberRow(r.id or 0, r.email, r.name, m.role, m.created_at) for m, r in rows]
    return sorted(out, key=lambda m: -_RANK[m.role])


def _owners(session: Session, workspace_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).where(
                Membership.workspace_id == workspace_id,
                Membership.role == WorkspaceRole.owner,
            )
        ).one()
    )


def _membership(session: Session, workspace: Workspace, researcher_id: int) -> Any:
    found = session.exec(
        select(Membership).where(
            Membership.workspace_id == workspace.id,
            Membership.researcher_id == researcher_id,
        )
    ).first()
    if found is None:
        raise NotFoundError(
            f"no member {researcher_id} in workspace {workspace.slug!r}"
        )
    return found


def _email(session: Session, researcher_id: int | None) -> str:
    found = session.get(Researcher, researcher_id) if researcher_id else None
    return found.email if found is not None else ""


def add_member(
    session: Session,
    workspace: Workspace,
    email: str,
    role: WorkspaceRole,
    *,
    by: int | None = None,
) -> Membership:
    """Add an existing researcher to the workspace with ``role``."""
    begin_write(session)
    try:
        researcher = _researcher(session, email)
        assert researcher.id is not None and workspace.id is not None
        current = role_in(session, workspace.id, researcher.id)
        if current is not None:
            raise MembershipError(
                f"{researcher.email} is already {_a(current)}"
                f" of workspace “{workspace.name}”"
            )
        membership = Membership(
            workspace_id=workspace.id, researcher_id=researcher.id, role=role
        )
        session.add(membership)
        record(session, workspace, by, "member_added", researcher.email, role=role)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return membership


def change_role(
    session: Session,
    workspace: Workspace,
    researcher_id: int,
    role: WorkspaceRole,
    *,
    by: int | None = None,
) -> Membership:
    """Give a member another role; the last owner cannot be demoted."""
    begin_write(session)
    try:
        membership = _membership(session, workspace, researcher_id)
        before = membership.role
        if before == role:
            session.rollback()
            return membership  # type: ignore[no-any-return]
        assert workspace.id is not None
        if before == WorkspaceRole.owner and _owners(session, workspace.id) == 1:
            raise MembershipError(
                f"{_email(session, researcher_id)} is the last owner of workspace "
                f"“{workspace.name}”: make someone else an owner first"
            )
        membership.role = role
        session.add(membership)
        record(
            session,
            workspace,
            by,
            "role_changed",
            _email(session, researcher_id),
            before=before,
            after=role,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return membership  # type: ignore[no-any-return]


def remove_member(
    session: Session, workspace: Workspace, researcher_id: int, *, by: int | None = None
) -> None:
    """Take a member out of the workspace (or let them leave); never the last owner."""
    begin_write(session)
    try:
        membership = _membership(session, workspace, researcher_id)
        assert workspace.id is not None
        email = _email(session, researcher_id)
        if (
            membership.role == WorkspaceRole.owner
            and _owners(session, workspace.id) == 1
        ):
            raise MembershipError(
                f"{email} is the last owner of workspace “{workspace.name}” and "
                "cannot leave it: make someone else an owner first"
            )
        if workspace.personal and membership.role == WorkspaceRole.owner:
            personal_owner = session.exec(
                select(Membership.researcher_id)
                .where(Membership.workspace_id == workspace.id)
                .order_by(col(Membership.id))
            ).first()
            if personal_owner == researcher_id:
                raise MembershipError(
                    f"{email} cannot leave their own personal workspace"
                )
        session.delete(membership)
        action = "left" if by == researcher_id else "member_removed"
        record(session, workspace, by, action, email, role=membership.role)
        session.commit()
    except BaseException:
        session.rollback()
        raise


# ------------------------------------------------------------------- invites


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
                f"{email} is already {_a(existing.role)} of "
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
                f"You are already {_a(role)} of workspace "
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


# ------------------------------------------------------------------ activity


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
    """Log that a researcher downloaded a study's participant-level data."""
    record(
        session, study.workspace_id, researcher_id, "exported", study.slug, format=what
    )
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
