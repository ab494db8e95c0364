"""Schema migrations with Alembic, run against the app's database.

``upgrade()`` takes a copy of a SQLite database file before it applies anything,
so a failed migration can be undone by hand, and applies migrations in one
transaction. On SQLite, batch mode rebuilds a table by copying it and dropping
the old one; with foreign keys enforced, that drop would cascade into every
table pointing at it (a participant's answers, a session's notes). So
migrations run with foreign keys off, and are checked with
``PRAGMA foreign_key_check`` before they commit. A PostgreSQL server's files
cannot be copied from here: :func:`backup_command` gives the ``pg_dump`` line
to run first instead.
"""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from uxlab.db import describe_url, get_engine
from uxlab.errors import DatabaseError, UxlabError
from uxlab.storage import storage_fault

__all__ = [
    "MigrationError",
    "alembic_config",
    "backup_command",
    "current_revisions",
    "downgrade",
    "pending_revisions",
    "require_current",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class MigrationError(UxlabError):
    """A migration failed and was rolled back; the message is one line."""

    @classmethod
    def of(cls, error: BaseException, step: str, backup: Path | None) -> MigrationError:
        """The error for ``error`` in ``step``; its traceback goes to a log file."""
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        where = ""
        if current_app:
            log = Path(current_app.instance_path) / "upgrade-failed.log"
            log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
            current_app.logger.debug("Migration %s failed", step, exc_info=error)
            where = f"; details in {log}"
        copy = f"; a copy from before the upgrade is at {backup}" if backup else ""
        return cls(
            f"migration {step} failed ({reason}); the database is unchanged"
            f"{copy}{where}"
        )


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


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for migrations (see the module's notes)."""
    with engine.connect() as conn:
        raw: sqlite3.Connection | None = None
        if conn.dialect.name == "sqlite":
            raw = conn.connection.driver_connection
            assert raw is not None and not raw.in_transaction
            # Only outside a transaction does this take effect.
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        tables = sorted({str(row[0]) for row in broken})
                        raise MigrationError(
                            "rows would point at nothing in " + ", ".join(tables)
                        )
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(revision: str = "heads", engine: Engine | None = None) -> str:
    """Bring the schema up to ``revision``; returns the revisions now current.

    A migration that fails is rolled back with every step of this upgrade, and
    raises a :class:`MigrationError` naming the step and the copy taken first.
    """
    engine = engine or get_engine()
    url = engine.url.render_as_string(hide_password=False)
    pending = pending_revisions(engine)
    backup = _backup(engine) if pending and current_revisions(engine) else None
    config = alembic_config(url)
    applied: list[str] = []
    config.attributes["on_version_apply"] = lambda **kw: applied.extend(
        kw["step"].up_revision_ids
    )
    try:
        with _migrating(engine) as conn:
            config.attributes["connection"] = conn
            if not current_revisions(engine) and inspect(conn).has_table("study"):
                # Made from the models directly (uxlab.db.create_schema): current.
                command.stamp(config, "heads")
            else:
                command.upgrade(config, revision)
    except Exception as exc:
        if _refuses_writes(exc):
            # The database takes no writes at all (rights, a read-only file, a
            # full disk): no step is at fault, and the CLI says so in one line.
            raise
        left = [r for r in pending if r not in applied]
        raise MigrationError.of(exc, left[0] if left else revision, backup) from exc
    return ", ".join(current_revisions(engine)) or "base"


def _refuses_writes(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing writes, not a step failing."""
    orig = getattr(error, "orig", None)
    # 42501: insufficient privilege (a role that may not create or alter).
    return (
        storage_fault(error) is not None or getattr(orig, "sqlstate", None) == "42501"
    )


def downgrade(revision: str, engine: Engine | None = None) -> str:
    """Take the schema back to ``revision`` (columns and tables it drops are lost)."""
    engine = engine or get_engine()
    url = engine.url.render_as_string(hide_password=False)
    if current_revisions(engine):
        _backup(engine)
    config = alembic_config(url)
    with _migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    return ", ".join(current_revisions(engine)) or "base"


def backup_command(engine: Engine | None = None) -> str | None:
    """The ``pg_dump`` line that backs up a PostgreSQL database (None on SQLite).

    The password is left out: ``pg_dump`` asks for it, or reads ``PGPASSWORD``.

    >>> from sqlalchemy import create_engine
    >>> line = backup_command(create_engine("postgresql+psycopg://ux:pw@db:5433/ux"))
    >>> line.split()[2:]
    ['--file=ux-before-upgrade.dump', '--host=db', '--port=5433', '--username=ux', 'ux']
    """
    engine = engine or get_engine()
    url = engine.url
    if url.get_backend_name() != "postgresql":
        return None
    parts = ["pg_dump", "--format=custom", f"--file={url.database}-before-upgrade.dump"]
    parts.append(f"--host={url.host or 'localhost'}")
    parts.append(f"--port={url.port or 5432}")
    if url.username:
        parts.append(f"--username={url.username}")
    parts.append(str(url.database))
    return " ".join(parts)


def require_current(engine: Engine | None = None) -> None:
    """Refuse a database whose schema is behind the code (or empty)."""
    engine = engine or get_engine()
    pending = pending_revisions(engine)
    if pending:
        raise DatabaseError(
            f"the {describe_url(engine.url)} is {len(pending)} migration(s) behind "
            f"({', '.join(pending)}); run `uxlab db upgrade` first"
        )


def _backup(engine: Engine) -> Path | None:
    """Copy a SQLite database beside itself; the copy's path (None elsewhere).

    SQLite's online backup API copies the database as its connections see it,
    including what is committed to the write-ahead log only; a copy of the
    file alone would leave those rows out.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    path = Path(url.database)
    if not path.exists():
        return None
    target = path.with_name(path.name + ".before-upgrade")
    source = sqlite3.connect(path)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()
    if current_app:
        current_app.logger.info("Copied %s to %s before migrating it", path, target)
    return target
