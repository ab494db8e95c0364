from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from uxlab import create_app
from uxlab.accounts import create_researcher
from uxlab.db import begin_write, get_engine, get_session, make_engine
from uxlab.migrate import pending_revisions, upgrade
from uxlab.models import Researcher


def test_session_is_reused_within_a_request_and_closed_after(app) -> None:
    with app.test_request_context():
        first = get_session()
        assert get_session() is first
    with app.test_request_context():
        assert get_session() is not first


def test_sqlite_runs_in_wal_with_busy_timeout(app) -> None:
    with get_engine(app).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_begin_write_takes_the_write_lock_at_once(app, tmp_path: Path) -> None:
    path = tmp_path / "uxlab.sqlite"
    with Session(get_engine(app)) as session:
        begin_write(session)
        session.exec(select(Researcher)).all()
        # A second writer that does not wait is refused while we hold the lock.
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            raise AssertionError("the write lock was not held")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
        finally:
            other.close()
        session.rollback()


def test_orm_joins_a_transaction_begun_on_the_dbapi_connection(app) -> None:
    """The ORM's work rolls back and commits with the raw transaction it joins."""
    engine = get_engine(app)
    for finish, kept in (("rollback", []), ("commit", ["joined@example.org"])):
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            raw.execute("BEGIN IMMEDIATE")
            orm = Session(bind=conn)
            orm.add(Researcher(email="joined@example.org", password_hash="x"))
            orm.flush()  # would fail if the ORM issued a BEGIN of its own
            getattr(orm, finish)()
            orm.close()
            assert not raw.in_transaction
        with Session(engine) as check:
            assert check.exec(select(Researcher.email)).all() == kept


def test_migrations_create_exactly_the_models_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(engine=engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert pending_revisions(engine) == []


def test_upgrade_keeps_rows_and_copies_the_file_first(tmp_path: Path) -> None:
    db_file = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{db_file}")
    upgrade(revision="0001_initial", engine=engine)
    with Session(engine) as session:
        create_researcher(session, email="kept@example.org", password="long-enough")
    pending = pending_revisions(engine)
    upgrade(engine=engine)
    with Session(engine) as session:
        assert session.exec(select(Researcher.email)).all() == ["kept@example.org"]
    assert pending_revisions(engine) == []
    # A copy is taken only when there was something to apply to existing data.
    assert (tmp_path / "live.db.before-upgrade").exists() == bool(pending)


def test_db_upgrade_command(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    )
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Database is at" in result.output
    with get_engine(app).connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert {"study", "participant", "taskattempt", "response", "event"} <= tables
    again = app.test_cli_runner().invoke(args=["db", "current"])
    assert again.exit_code == 0, again.output
    assert pending_revisions(get_engine(app)) == []
    assert again.output.strip() in result.output
