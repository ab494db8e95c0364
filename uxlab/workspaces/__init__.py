"""Workspaces: who may do what to a team's studies, invitations, the activity log.

Every study belongs to a workspace, and every member of a workspace has one
role. The package reads as one room per concept:

- :mod:`~uxlab.workspaces.roles`: the role table (:data:`NEEDS`),
  :func:`allows` and the refusal, :class:`PermissionDeniedError`;
- :mod:`~uxlab.workspaces.memberships`: finding and creating workspaces, and
  adding, changing and removing members;
- :mod:`~uxlab.workspaces.invitations`: one-time invite links for colleagues
  (participants' study links are :mod:`uxlab.invites`);
- :mod:`~uxlab.workspaces.activity_log`: who did what, and when;
- :mod:`~uxlab.workspaces.export`: the workspace as one JSON document.

Functions take a ``Session`` and know nothing of Flask. Writes start with
:func:`uxlab.db.begin_write` and commit once, so a refusal changes nothing.
Everything public is importable from here.
"""

from __future__ import annotations

from uxlab.workspaces.activity_log import (
    ActivityRow,
    activity,
    record,
    record_export,
)
from uxlab.workspaces.export import export_workspace
from uxlab.workspaces.invitations import (
    INVITE_TTL_DAYS,
    InviteError,
    accept_invite,
    invite_by_token,
    invite_member,
    pending_invites,
    revoke_invite,
)
from uxlab.workspaces.memberships import (
    MemberRow,
    MembershipError,
    WorkspaceRow,
    add_member,
    add_personal_workspace,
    change_role,
    create_workspace,
    delete_workspace,
    get_workspace,
    list_workspaces,
    member_workspace,
    members,
    own_workspace,
    personal_workspace,
    remove_member,
    researcher_by_email,
    role_in,
    study_access,
    workspaces_of,
)
from uxlab.workspaces.roles import NEEDS, Permission, PermissionDeniedError, allows

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
