"""Workspaces and their members: finding, creating, joining, leaving.

A workspace a researcher does not belong to is "not found", like one that does
not exist; a member whose role lacks a permission gets
:class:`~uxlab.workspaces.roles.PermissionDeniedError`. Writes start with
:func:`uxlab.db.begin_write` and commit once, so a refusal changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import Membership, Researcher, Study, Workspace, WorkspaceRole
from uxlab.workspaces.activity_log import record
from uxlab.workspaces.roles import (
    RANK,
    Permission,
    PermissionDeniedError,
    allows,
    with_article,
)

__all__ = [
    "MemberRow",
    "MembershipError",
    "WorkspaceRow",
    "add_member",
    "add_personal_workspace",
    "change_role",
    "create_workspace",
    "delete_workspace",
    "get_workspace",
    "list_workspaces",
    "member_workspace",
    "members",
    "own_workspace",
    "personal_workspace",
    "remove_member",
    "researcher_by_email",
    "role_in",
    "study_access",
    "workspaces_of",
]


class MembershipError(UxlabError):
    """A member change that would break the workspace (e.g. no owner left)."""

    code = "membership_error"
    status = 409


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


def _row(
    session: Session, workspace: Workspace, role: WorkspaceRole | None
) -> WorkspaceRow:
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
    return sorted(out, key=lambda m: -RANK[m.role])


def _owners(session: Session, workspace_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).where(
                Membership.workspace_id == workspace_id,
                Membership.role == WorkspaceRole.owner,
            )
        ).one()
    )


def _membership(
    session: Session, workspace: Workspace, researcher_id: int
) -> Membership:
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
                f"{researcher.email} is already {with_article(current)}"
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
            return membership
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
    return membership


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
