"""Schema migrations with Alembic, run against the app's database.

``upgrade()`` takes a copy of a SQLite database file before it applies anything,
so a failed migration can be undone by hand, and applies migrations in one
transaction per revision (SQLite batch mode keeps every row when a table is
rebuilt).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url

from uxlab.db import get_engine

__all__ = ["alembic_config", "current_revisions", "pending_revisions", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for the migrations shipped in uxlab/migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def current_revisions(engine: Engine | None = None) -> tuple[str, ...]:
    """The revisions the database is at (empty for a new database)."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def pending_revisions(engine: Engine | None = None) -> list[str]:
    """Revisions not yet applied, oldest first."""
    engine = engine or get_engine()
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    current = set(current_revisions(engine))
    applied: set[str] = set()
    for rev in current:
        applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return [
        r.revision
        for r in reversed(list(script.walk_revisions()))
        if r.revision not in applied
    ]


def upgrade(revision: str = "heads", engine: Engine | None = None) -> str:
    """Bring the schema up to ``revision``; returns the revisions now current."""
    engine = engine or get_engine()
    url = engine.url.render_as_string(hide_password=False)
    pending = pending_revisions(engine)
    if pending and current_revisions(engine):
        _backup(url)
    config = alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if not current_revisions(engine) and inspect(conn).has_table("study"):
            # Made from the models directly (uxlab.db.create_schema): already current.
            command.stamp(config, "heads")
        else:
            command.upgrade(config, revision)
    return ", ".join(current_revisions(engine)) or "base"


def _backup(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    path = Path(parsed.database)
    if path.exists():
        shutil.copy2(path, path.with_name(path.name + ".before-upgrade"))
        if current_app:
            current_app.logger.info("Copied %s before migrating it", path)
