"""The ``uxlab`` command line.

Every command is thin: it parses its arguments, calls one library function and
prints the result. Domain errors become one line on stderr and exit status 1.
"""

from __future__ import annotations

import functools
import gc
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from uxlab.errors import ConfigError, UxlabError

__all__ = ["QueueDepthSummary", "cli", "register_commands"]

F = TypeVar("F", bound=Callable[..., Any])


class _ConfigException(click.ClickException):
    """A setting or database the command cannot work with: exit status 2."""

    exit_code = 2


def domain_errors(func: F) -> F:
    """Turn a UxlabError into a one-line ClickException (status 2 for settings)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise _ConfigException(str(exc)) from exc
        except UxlabError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def _create_app() -> Flask:
    from uxlab.app import create_app
    from uxlab.db import check_connection, get_engine

    try:
        app = create_app()
        if get_engine(app).dialect.name != "sqlite":
            check_connection(get_engine(app))
    except ConfigError as exc:
        # A setting the instance cannot start with: one line, exit status 2.
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from None
    return app


class _UxlabGroup(FlaskGroup):
    """Flask's group, with uxlab's commands and options only.

    Flask's ``--app``, ``--env-file`` and ``--debug`` options and the commands
    extensions add to the app (Flask-Limiter's ``limiter``) stay with
    ``flask --app uxlab``. A database's refusal becomes one line, exit status
    2: a role without rights on the schema, a dropped table or a full disk
    would otherwise end any command in a traceback.
    """

    _FLASK_OPTIONS: Final = frozenset({"env_file", "app", "debug"})

    def __init__(self, **extra: Any) -> None:
        super().__init__(**extra)
        self.params = [p for p in self.params if p.name not in self._FLASK_OPTIONS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            # Only a command that loaded SQLAlchemy can meet its errors: the
            # others (audit, --help) start without importing it.
            exc_module = sys.modules.get("sqlalchemy.exc")
            if exc_module is None or not isinstance(error, exc_module.DBAPIError):
                raise
            from flask.cli import ScriptInfo

            from uxlab.db import describe_error, get_engine

            url = get_engine(ctx.ensure_object(ScriptInfo).load_app()).url
            raise _ConfigException(
                f"refused by {describe_error(error, url)}"
            ) from error


@click.group(
    cls=_UxlabGroup,
    create_app=_create_app,
    add_version_option=False,
    # Flask's run/shell/routes stay with `flask --app uxlab`; `uxlab serve`
    # is the way to run it.
    add_default_commands=False,
)
@click.version_option(package_name="uxlab")
def cli() -> None:
    """uxlab: usability studies, UX statistics and automated UX audits."""


# ---------------------------------------------------------------- database


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


# ------------------------------------------------------------------- studies


@click.group("study")
def study_group() -> None:
    """Validate, import and list studies."""


@study_group.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@domain_errors
def study_validate(path: Path) -> None:
    """Check a study file without importing it."""
    from uxlab.studies import load_study_file

    spec = load_study_file(path)
    click.echo(
        f"{path}: valid {spec.mode} study '{spec.title}' "
        f"with {len(spec.tasks)} task(s)."
    )


@study_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--owner",
    default=None,
    help="Email of the researcher who creates the study (an editor or owner of "
    "--workspace; default: the workspace's first owner).",
)
@click.option(
    "--workspace",
    default=None,
    metavar="SLUG",
    help="Workspace to import into (default: the owner's personal one).",
)
@click.option("--slug", default=None, help="URL name (default: from the title).")
@click.option("--publish", is_flag=True, help="Make the study live right away.")
@with_appcontext
@domain_errors
def study_import(
    path: Path,
    owner: str | None,
    workspace: str | None,
    slug: str | None,
    publish: bool,
) -> None:
    """Import a study file as a new draft study."""
    from uxlab.db import get_session
    from uxlab.studies import import_study_file

    if owner is None and workspace is None:
        raise click.UsageError("give --owner, --workspace or both")
    study = import_study_file(
        get_session(),
        path,
        owner_email=owner,
        workspace=workspace,
        slug=slug,
        publish=publish,
    )
    click.echo(f"Imported '{study.title}' as {study.slug} ({study.status}).")


@study_group.command("list")
@click.option("--owner", default=None, help="Only this researcher's studies.")
@with_appcontext
def study_list(owner: str | None) -> None:
    """List studies with their status and participants."""
    from uxlab.db import get_session
    from uxlab.studies import list_studies

    rows = list_studies(get_session(), owner_email=owner)
    if not rows:
        click.echo("No studies.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for name, justify in (
        ("study", "left"),
        ("status", "left"),
        ("mode", "left"),
        ("finished", "right"),
        ("started", "right"),
        ("title", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            row.slug,
            str(row.status),
            str(row.mode),
            str(row.finished),
            str(row.started),
            row.title,
        )
    # Never wrapped or cut, in a terminal or a pipe.
    Console(width=10_000, highlight=False).print(table)


# -------------------------------------------------------------------- export


@click.command("export")
@click.argument("study")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="Tidy CSV files or one JSON bundle.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write into (created if missing).",
)
@with_appcontext
@domain_errors
def export_command(study: str, fmt: str, output: Path) -> None:
    """Export a study's data (STUDY is its slug or id)."""
    from uxlab.db import get_session
    from uxlab.export import write_export
    from uxlab.studies import get_study_by_ref

    session = get_session()
    found = get_study_by_ref(session, study)
    for path in write_export(session, found, output, fmt=fmt):
        click.echo(f"Wrote {path}")


# ------------------------------------------------------------------ serving


class QueueDepthSummary(logging.Filter):
    """Let waitress's queue-depth warning through once per ``interval`` seconds.

    Waitress warns "Task queue depth is N" for every request that has to wait
    for a free thread: under a steady load that is hundreds of lines a second,
    and writing them slows the busy server further. The line let through names
    the deepest queue seen since the last one.
    """

    def __init__(
        self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__("waitress.queue")
        self.interval = interval
        self._clock = clock
        self._next = -math.inf
        self._deepest = 0

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        depth = args[0] if args and isinstance(args[0], int) else 0
        self._deepest = max(self._deepest, depth)
        now = self._clock()
        if now < self._next:
            return False
        record.msg = "Task queue depth reached %d (requests waiting for a thread)"
        record.args = (self._deepest,)
        self._deepest = 0
        self._next = now + self.interval
        return True


def _serve_processes(
    app: Flask, host: str, port: int, threads: int, processes: int
) -> None:
    """Run ``app`` in ``processes`` gunicorn workers until stopped.

    gunicorn, a pre-fork server kept up for over a decade, starts the workers,
    restarts one that dies and stops them all on SIGTERM or Ctrl+C: a process
    manager uxlab does not have to write. Its threaded worker gives each
    process ``threads`` threads, as waitress does.
    """
    from gunicorn.app.base import BaseApplication

    from uxlab.db import get_engine

    engine = get_engine(app)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {
                "bind": [f"{host}:{port}"],
                "workers": processes,
                "worker_class": "gthread",
                "threads": threads,
                # The app is made once, here, before the workers are forked.
                "preload_app": True,
                "graceful_timeout": 10,
                "post_fork": _after_fork,
                # gunicorn's control socket has one default path per user, so
                # two servers on a host would remove each other's.
                "control_socket_disable": True,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    def _after_fork(_server: Any, _worker: Any) -> None:
        # Connections are the parent's; a worker opens its own. Threads (the
        # recorder's lane among them) start in the worker on first use.
        engine.dispose(close=False)

    engine.dispose()
    # Objects made so far live as long as the server (see below); frozen
    # before the fork, they also stay shared with the workers' memory.
    gc.freeze()
    click.echo(
        f"uxlab is serving on http://{host}:{port}/ with {processes} processes "
        "(Ctrl+C to stop)"
    )
    Server().run()


def _warn_about_links(app: Flask, host: str) -> None:
    """Say where links will point when no public address is set."""
    from uxlab.web.links import LOOPBACK_HOSTS

    if app.config.get("PUBLIC_URL"):
        return
    if host not in LOOPBACK_HOSTS:
        click.echo(
            f"Warning: serving on {host} without UXLAB_PUBLIC_URL: links in pages, "
            "exports and invitations use a request's host only when it is in "
            "UXLAB_TRUSTED_HOSTS, else 127.0.0.1. Set UXLAB_PUBLIC_URL to the "
            "address participants use.",
            err=True,
        )


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind."
)
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option(
    "--threads",
    default=16,
    show_default=True,
    help="Worker threads per process; live pages stream on at most half of them.",
)
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="App processes; more than one needs PostgreSQL and runs under gunicorn.",
)
@with_appcontext
@domain_errors
def serve_command(host: str, port: int, threads: int, processes: int) -> None:
    """Serve uxlab with a production WSGI server.

    One process (the default) is served by waitress. With --processes N and
    a PostgreSQL database, gunicorn runs N app processes of --threads threads
    each, restarting any that dies. The same with gunicorn's own command line,
    after `uxlab db upgrade` and with UXLAB_DATABASE_URL and UXLAB_SECRET_KEY
    set:

    \b
        gunicorn --workers 4 --worker-class gthread --threads 16 \\
            --preload --bind 127.0.0.1:5000 'uxlab:create_app()'
    """
    from flask import current_app

    from uxlab.db import get_engine
    from uxlab.migrate import require_current, upgrade

    if get_engine().dialect.name == "sqlite":
        if processes > 1:
            # Several processes would queue on SQLite's one write lock through
            # its busy timeout, and live pages would not hear each other.
            click.echo(
                f"Error: --processes {processes} needs PostgreSQL; SQLite serves "
                "one process (set UXLAB_DATABASE_URL to a PostgreSQL database).",
                err=True,
            )
            raise SystemExit(2)
        upgrade()  # the embedded default migrates itself (copying the file first)
    else:
        require_current()  # a shared database is upgraded once, by its operator
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Live pages stream on at most half the threads; the rest serve pages.
    if not app.config.get("LIVE_STREAMS"):
        app.config["LIVE_STREAMS"] = max(1, threads // 2)
    _warn_about_links(app, host)
    try:
        # Bind once first: waitress, failing to bind, leaves sockets behind.
        socket.create_server((host, port)).close()
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: "
            f"{os.strerror(exc.errno) if exc.errno else exc}"
            " (is another server running there? try --port)"
        ) from None
    if processes > 1:
        _serve_processes(app, host, port, threads, processes)
        return
    from uxlab.audits.worker import start_embedded_worker

    # Set before the worker starts, so a stop asked for from then on stops it.
    _stop_on_signals()
    queue_log = logging.getLogger("waitress.queue")
    summary = QueueDepthSummary()
    queue_log.addFilter(summary)
    worker = None
    try:
        # The embedded default runs audits in a worker of its own; team
        # servers run `uxlab worker` where they choose (the app hosts need no
        # browser).
        if get_engine().dialect.name == "sqlite":
            worker = start_embedded_worker(app.config["DATABASE_URL"])
        _run_waitress(app, host, port, threads)
    except KeyboardInterrupt:
        pass
    finally:
        queue_log.removeFilter(summary)
        if worker is not None:
            _stop_worker(worker)


def _run_waitress(app: Any, host: str, port: int, threads: int) -> None:
    """Serve ``app`` with waitress until interrupted."""
    from waitress.server import create_server

    # Lookahead keeps reading each connection while its request runs, so a
    # live page's stream learns at once that its page has gone.
    # ident="": no `Server: waitress` header telling a scanner what runs here.
    # Browsers keep their connections open, up to six per site, and each
    # participant has the study's tab and the site's: waitress's default of
    # 100 connections left the hundred-and-first participant unanswered.
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_request_lookahead=1,
        connection_limit=_connection_limit(),
        ident="",
    )
    # Everything loaded so far (Flask, SQLAlchemy, numpy, scipy, matplotlib:
    # some 200,000 objects) lives as long as the server. Frozen, it is left out
    # of the collector's full passes, each of which would otherwise stop every
    # thread for over 100 ms.
    gc.freeze()
    click.echo(f"uxlab is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        server.run()
    finally:
        server.close()


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Stop as on Ctrl+C on SIGINT and on SIGTERM (a service manager's stop).

    A shell without job control starts a background command (``uxlab serve
    &``) with SIGINT ignored, and Python keeps an ignored SIGINT ignored: the
    server would then never stop on it. SIGTERM's default ends the process at
    once, leaving its audit worker to notice by itself.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)


def _stop_worker(worker: subprocess.Popen[bytes], wait: float = 10) -> None:
    """Ask the embedded worker to stop; kill it if it has not within ``wait``
    seconds (its audit process, in a group of its own, then ends with it)."""
    worker.terminate()
    try:
        worker.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


#: Open connections one ``uxlab serve`` process keeps at most.
CONNECTION_LIMIT: Final = 1000


def _connection_limit() -> int:
    """CONNECTION_LIMIT, within this process's open-file limit (raised if it may)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return CONNECTION_LIMIT
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + 100  # the database, logs and the worker's pipes
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raise_to = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raise_to, hard))
            soft = raise_to
        except (OSError, ValueError):
            pass
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(100, min(CONNECTION_LIMIT, soft - 100))


@click.command("demo")
@click.option(
    "--participants", default=30, show_default=True, help="Simulated participants."
)
@click.option(
    "--seed", default=7, show_default=True, help="Random seed for the simulation."
)
@with_appcontext
@domain_errors
def demo_command(participants: int, seed: int) -> None:
    """Create a demo researcher and studies with simulated participants."""
    from uxlab.db import get_session
    from uxlab.demo import seed_demo
    from uxlab.migrate import upgrade

    upgrade()
    result = seed_demo(get_session(), participants=participants, seed=seed)
    for line in result.lines():
        click.echo(line)


_COMMANDS: tuple[click.Command, ...] = (
    db_group,
    researcher_group,
    workspace_group,
    study_group,
    export_command,
    serve_command,
    demo_command,
)

for _command in _COMMANDS:
    cli.add_command(_command)


def register_commands(app: Flask) -> None:
    """Make the commands available as ``flask --app uxlab ...`` too."""
    for name, command in cli.commands.items():
        if name not in app.cli.commands:
            app.cli.add_command(command, name)


# Commands of optional subsystems are registered below.
from uxlab.audit.cli import audit_command  # noqa: E402
from uxlab.audits.worker import worker_command  # noqa: E402

cli.add_command(audit_command)
cli.add_command(worker_command)


_REPORT_EXTENSIONS: Final = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def _report_format(output: Path, fmt: str | None) -> str:
    """The report format named by ``--format`` or, without it, by the extension.

    >>> _report_format(Path("r.PDF"), None), _report_format(Path("r.txt"), None)
    ('pdf', 'html')
    """
    implied = _REPORT_EXTENSIONS.get(output.suffix.lower())
    if fmt is not None and implied is not None and fmt != implied:
        raise click.UsageError(
            f"--format {fmt} contradicts the file name {output.name}: "
            f"name it {output.stem}.{fmt} or leave out --format"
        )
    return fmt or implied or "html"


@click.command("report")
@click.argument("study")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="File to write, e.g. report.html or report.pdf.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf"]),
    default=None,
    help="Self-contained HTML, or PDF printed by headless Chromium "
    "(default: from the file's extension, else html).",
)
@click.option(
    "--confidence",
    type=click.Choice(["0.8", "0.9", "0.95", "0.99"]),
    default="0.95",
    show_default=True,
    help="Confidence level of every interval.",
)
@click.option(
    "--include-excluded", is_flag=True, help="Count excluded participants too."
)
@with_appcontext
@domain_errors
def report_command(
    study: str, output: Path, fmt: str | None, confidence: str, include_excluded: bool
) -> None:
    """Write a study's results report (STUDY is its slug or id).

    The format follows the file's extension: report.pdf is a PDF, report.html
    an HTML file.
    """
    from uxlab.db import get_session
    from uxlab.report import write_report
    from uxlab.studies import get_study_by_ref

    fmt = _report_format(output, fmt)
    session = get_session()
    path = write_report(
        session,
        get_study_by_ref(session, study),
        output,
        fmt=fmt,
        confidence_level=float(confidence),
        include_excluded=include_excluded,
    )
    click.echo(f"Wrote {path}")


cli.add_command(report_command)
