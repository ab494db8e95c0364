"""``uxlab researcher`` and ``uxlab workspace``: accounts and who shares what."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext

from uxlab.cli.base import domain_errors

__all__ = ["researcher_group", "workspace_group"]


# --------------------------------------------------------------- researchers


@click.group("researcher")
def researcher_group() -> None:
    """Manage researcher accounts."""


def _checked(check: Callable[[str], str]) -> Callable[..., str]:
    """A click callback that runs an account check before the next prompt."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
        from uxlab.errors import UxlabError

        try:
            return check(value)
        except UxlabError as exc:
            raise click.BadParameter(str(exc)) from exc

    return callback


def _check_email(value: str) -> str:
    from uxlab.accounts import check_email

    return check_email(value)


def _check_password(value: str) -> str:
    from uxlab.accounts import check_password

    return check_password(value)


@researcher_group.command("create")
@click.argument("email", callback=_checked(_check_email))
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    callback=_checked(_check_password),
    help="Password (prompted for when not given; checked before it is repeated).",
)
@with_appcontext
@domain_errors
def researcher_create(email: str, name: str, password: str) -> None:
    """Create a researcher who can log in and own studies."""
    from uxlab.accounts import create_researcher
    from uxlab.db import get_session

    researcher = create_researcher(
        get_session(), email=email, name=name, password=password
    )
    click.echo(f"Created researcher {researcher.email} (id {researcher.id}).")


@researcher_group.command("set-password")
@click.argument("email")
@click.option(
    "--password",
    prompt="New password",
    hide_input=True,
    confirmation_prompt=True,
    help="New password (prompted for when not given).",
)
@with_appcontext
@domain_errors
def researcher_set_password(email: str, password: str) -> None:
    """Give a researcher a new password, logging them out everywhere."""
    from sqlmodel import select

    from uxlab.accounts import set_password
    from uxlab.db import get_session
    from uxlab.errors import UxlabError
    from uxlab.models import Researcher

    db = get_session()
    researcher = db.exec(
        select(Researcher).where(Researcher.email == email.strip().lower())
    ).first()
    if researcher is None:
        raise UxlabError(f"no researcher has the email {email!r}")
    set_password(db, researcher, password)
    click.echo(f"Password changed for {researcher.email}; its sessions ended.")


@researcher_group.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for (e.g. 'CI').")
@with_appcontext
@domain_errors
def researcher_token(email: str, name: str) -> None:
    """Make a personal token for the JSON API (printed once, stored hashed)."""
    from uxlab.audits.tokens import create_personal_token
    from uxlab.db import get_session
    from uxlab.workspaces import researcher_by_email

    session = get_session()
    token = create_personal_token(session, researcher_by_email(session, email), name)
    click.echo(token)


# ---------------------------------------------------------------- workspaces


@click.group("workspace")
def workspace_group() -> None:
    """Manage workspaces and their members."""


_ROLE = click.Choice(["owner", "editor", "viewer"])


@workspace_group.command("create")
@click.argument("name")
@click.option("--owner", required=True, help="Email of the workspace's first owner.")
@click.option("--slug", default=None, help="URL name (default: from the name).")
@with_appcontext
@domain_errors
def workspace_create(name: str, owner: str, slug: str | None) -> None:
    """Create a shared workspace owned by a researcher."""
    from uxlab.db import get_session
    from uxlab.workspaces import create_workspace

    workspace = create_workspace(get_session(), name, owner_email=owner, slug=slug)
    click.echo(
        f"Created workspace {workspace.slug} ('{workspace.name}'), owner {owner}."
    )


@workspace_group.command("list")
@with_appcontext
def workspace_list() -> None:
    """List workspaces with their members and studies."""
    from uxlab.db import get_session
    from uxlab.workspaces import list_workspaces, members

    session = get_session()
    for row in list_workspaces(session):
        kind = " (personal)" if row.personal else ""
        studies = f"{row.studies} {'study' if row.studies == 1 else 'studies'}"
        click.echo(f"{row.slug}  {row.name}{kind}  {studies}")
        from uxlab.workspaces import get_workspace

        for m in members(session, get_workspace(session, row.slug)):
            click.echo(f"  {m.role:<6}  {m.email}")


@workspace_group.command("add-member")
@click.argument("workspace")
@click.argument("email")
@click.option("--role", type=_ROLE, default="editor", show_default=True, help="Role.")
@with_appcontext
@domain_errors
def workspace_add_member(workspace: str, email: str, role: str) -> None:
    """Add an existing researcher to WORKSPACE (a slug) with a role."""
    from uxlab.db import get_session
    from uxlab.models import WorkspaceRole
    from uxlab.workspaces import add_member, get_workspace

    session = get_session()
    found = get_workspace(session, workspace)
    add_member(session, found, email, WorkspaceRole(role))
    click.echo(f"{email.strip().lower()} is now {role} of {found.slug}.")


@workspace_group.command("remove-member")
@click.argument("workspace")
@click.argument("email")
@with_appcontext
@domain_errors
def workspace_remove_member(workspace: str, email: str) -> None:
    """Remove a researcher from WORKSPACE (never its last owner)."""
    from uxlab.db import get_session
    from uxlab.workspaces import get_workspace, remove_member, researcher_by_email

    session = get_session()
    found = get_workspace(session, workspace)
    researcher = researcher_by_email(session, email)
    assert researcher.id is not None
    remove_member(session, found, researcher.id)
    click.echo(f"{researcher.email} is no longer a member of {found.slug}.")
