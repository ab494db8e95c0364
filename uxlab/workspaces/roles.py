"""Roles and permissions: the one table saying which role each action needs.

Every member of a workspace has one :class:`~uxlab.models.WorkspaceRole`.
:data:`NEEDS` names the least role each :class:`Permission` takes; the web
layer and the CLI ask :func:`allows`, and a member without the right gets
:class:`PermissionDeniedError`, whose message names the role needed.
"""

from __future__ import annotations

import enum

from uxlab.errors import UxlabError
from uxlab.models import Workspace, WorkspaceRole

__all__ = ["NEEDS", "Permission", "PermissionDeniedError", "allows"]


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

#: Roles from least to most: a role has every permission of those below it.
RANK = {WorkspaceRole.viewer: 0, WorkspaceRole.editor: 1, WorkspaceRole.owner: 2}

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
    return role is not None and RANK[role] >= RANK[NEEDS[permission]]


def with_article(role: WorkspaceRole) -> str:
    """The role as in a sentence: "a viewer", "an editor", "an owner"."""
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


def _roles_from(role: WorkspaceRole) -> str:
    """ "an editor or owner", "an owner": who has a permission needing ``role``."""
    names = [r.value for r in WorkspaceRole if RANK[r] >= RANK[role]]
    return f"{with_article(role).split()[0]} {' or '.join(names)}"


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
        self.workspace = workspace
        super().__init__(
            f"{_DOING[permission]} needs the {self.needed} role: only "
            f"{_roles_from(self.needed)} of workspace “{workspace.name}” can do "
            f"that, and you are {with_article(role)} there."
        )
