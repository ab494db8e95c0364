"""``uxlab db``: migrate, copy and inspect the database schema."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from uxlab.cli.base import domain_errors

__all__ = ["db_group"]


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
@with_appcontext
@domain_errors
def db_upgrade(revision: str) -> None:
    """Apply schema migrations; existing rows are kept.

    A SQLite file is copied beside itself first. For PostgreSQL, take a backup
    with the pg_dump line this prints before upgrading a database that holds data.
    """
    from uxlab.migrate import backup_command, current_revisions, upgrade

    backup = backup_command()
    if backup and current_revisions():
        click.echo(f"Back up first if you have not: {backup}")
    applied = upgrade(revision=revision)
    click.echo(f"Database is at {applied}.")


@db_group.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Confirm: data in dropped columns is lost.")
@with_appcontext
@domain_errors
def db_downgrade(revision: str, yes: bool) -> None:
    """Take the schema back to REVISION (for example 0003_moderation)."""
    from uxlab.migrate import backup_command, downgrade

    if not yes:
        backup = backup_command()
        advice = f" Back up first: {backup}." if backup else ""
        raise click.UsageError(
            "a downgrade drops the tables and columns of later revisions, with "
            f"their data; run it again with --yes to go ahead.{advice}"
        )
    click.echo(f"Database is at {downgrade(revision)}.")


@db_group.command("copy")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="URL",
    help="Database to copy into, e.g. postgresql+psycopg://user:pass@host/uxlab.",
)
@click.option("--replace", is_flag=True, help="Delete what the target holds first.")
@with_appcontext
@domain_errors
def db_copy(target_url: str, replace: bool) -> None:
    """Copy this instance's database (its configured URL) into another one.

    Checks the row count of every table, and prints them. Links made before the
    move keep working when the new instance uses the same UXLAB_SECRET_KEY.
    """
    from flask import current_app

    from uxlab.db import check_connection, describe_url, get_engine, make_engine
    from uxlab.transfer import copy_database

    source = get_engine()
    target = make_engine(target_url)
    try:
        check_connection(target)
        copies = copy_database(source, target, replace=replace)
    finally:
        target.dispose()
    click.echo(f"Copied {describe_url(source.url)} to {describe_url(target.url)}:")
    width = max(len(c.table) for c in copies)
    click.echo(f"  {'table':<{width}}  {'source':>9}  {'target':>9}")
    for c in copies:
        click.echo(f"  {c.table:<{width}}  {c.source:>9,}  {c.target:>9,}  ok")
    click.echo(f"  {'total':<{width}}  {sum(c.source for c in copies):>9,}")
    key_file = Path(current_app.instance_path) / "secret_key"
    where = (
        f" (this instance's is in {key_file})"
        if key_file.exists() and key_file.read_text().strip() == current_app.secret_key
        else ""
    )
    click.echo(
        "Serve the copy with this instance's UXLAB_SECRET_KEY"
        f"{where}, or links sent before the move stop working."
    )


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's schema revision."""
    from uxlab.migrate import current_revisions

    click.echo(", ".join(current_revisions()) or "empty (run `uxlab db upgrade`)")
