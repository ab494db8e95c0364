"""Who may use a researcher route: each view states its permission once.

Views declare it with :func:`requires`.

The check runs before the view, so a refusal reads and writes nothing:

- a route naming a study (``<slug>``) is checked against the researcher's role
  in the study's workspace: a study of a workspace they are not in is "not
  found" (404), a role without the right is "forbidden" (403, naming the role
  needed);
- a route naming a workspace (``<workspace>``) is checked against that one;
- any other route against the current workspace (kept in the session cookie,
  by default the researcher's personal one).

Opening a page of a study or a workspace the researcher belongs to makes that
workspace the current one (even when the page refuses them), so the switcher,
the study list, Compare and Plan follow the page they came from.

The role table itself is :data:`uxlab.workspaces.roles.NEEDS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, g, session
from flask_login import current_user
from sqlmodel import select

from uxlab import workspaces
from uxlab.db import get_session
from uxlab.models import Study, Workspace, WorkspaceRole
from uxlab.web.auth import current_researcher_id
from uxlab.workspaces import Permission, PermissionDeniedError

__all__ = [
    "can",
    "current_study",
    "current_workspace",
    "init_app",
    "permission_of",
    "requires",
    "switch_workspace",
]

View = Callable[..., Any]
#: Session cookie key holding the current workspace's slug.
_KEY = "workspace"


def requires(permission: Permission) -> Callable[[View], View]:
    """Let the view run only for a member whose role has ``permission``.

    Goes below ``login_required`` (or the JSON routes' own log-in check).
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            db = get_session()
            researcher = current_researcher_id()
            try:
                if "slug" in kwargs:
                    g.study, g.role = workspaces.study_access(
                        db, kwargs["slug"], researcher, permission
                    )
                    home = db.get(Workspace, g.study.workspace_id)
                    assert home is not None
                    _make_current(home, g.role)
                elif "workspace" in kwargs:
                    g.workspace, g.role = workspaces.member_workspace(
                        db, kwargs["workspace"], researcher, permission
                    )
                    _make_current(g.workspace, g.role)
            except PermissionDeniedError as exc:
                # A member refused here is still on a page of that workspace.
                _make_current(exc.workspace, exc.role)
                raise
            if "slug" not in kwargs and "workspace" not in kwargs:
                workspace, role = current_workspace()
                if not workspaces.allows(role, permission):
                    raise PermissionDeniedError(permission, role, workspace)
                g.role = role
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate


def _make_current(workspace: Workspace, role: WorkspaceRole) -> None:
    """Make the workspace of the page being opened the current one."""
    if session.get(_KEY) != workspace.slug:
        session[_KEY] = workspace.slug
    g.current_workspace = (workspace, role)


def permission_of(view: View) -> Permission | None:
    """The permission a view function was declared with (None: not a member route)."""
    found = getattr(view, "permission", None)
    return found if isinstance(found, Permission) else None


def current_study() -> Study:
    """The study the current route names, as checked by :func:`requires`."""
    study: Study = g.study
    return study


def current_workspace() -> tuple[Workspace, WorkspaceRole]:
    """The researcher's current workspace and role there.

    The one chosen in the switcher, while they still belong to it; otherwise
    their personal workspace.
    """
    if "current_workspace" in g:
        found: tuple[Workspace, WorkspaceRole] = g.current_workspace
        return found
    db = get_session()
    researcher = current_researcher_id()
    slug = session.get(_KEY)
    chosen: tuple[Workspace, WorkspaceRole] | None = None
    if isinstance(slug, str):
        workspace = db.exec(select(Workspace).where(Workspace.slug == slug)).first()
        if workspace is not None and workspace.id is not None:
            role = workspaces.role_in(db, workspace.id, researcher)
            if role is not None:
                chosen = (workspace, role)
    if chosen is None:
        workspace = workspaces.personal_workspace(db, researcher)
        assert workspace.id is not None
        role = workspaces.role_in(db, workspace.id, researcher)
        assert role is not None
        chosen = (workspace, role)
    g.current_workspace = chosen
    return chosen


def switch_workspace(slug: str) -> Workspace:
    """Make the workspace the researcher's current one (they must belong to it)."""
    workspace, role = workspaces.member_workspace(
        get_session(), slug, current_researcher_id(), Permission.view
    )
    session[_KEY] = workspace.slug
    g.current_workspace = (workspace, role)
    return workspace


def can(permission: str) -> bool:
    """Whether the researcher's role on this page has ``permission`` (templates)."""
    role = g.get("role")
    if role is None and current_user.is_authenticated:
        role = current_workspace()[1]
    return workspaces.allows(role, Permission(permission))


def _template_helpers() -> dict[str, Any]:
    def nav() -> dict[str, Any]:
        current, role = current_workspace()
        return {
            "current": current,
            "role": role,
            "all": workspaces.workspaces_of(get_session(), current_researcher_id()),
        }

    return {"can": can, "workspace_nav": nav}


def init_app(app: Flask) -> None:
    app.context_processor(_template_helpers)
