"""The ``uxlab`` group and what its commands share.

The group is Flask's, trimmed to uxlab's own commands and options; the
``domain_errors`` decorator turns a domain error into one line on stderr.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, Final, TypeVar

import click
from flask import Flask
from flask.cli import FlaskGroup

from uxlab.errors import ConfigError, UxlabError

__all__ = ["cli", "domain_errors"]

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
