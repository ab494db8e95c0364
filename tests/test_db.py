from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select

from uxlab import create_app
from uxlab.db import begin_write, get_engine, get_session, make_engine
from uxlab.migrate import pending_revisions, upgrade
from uxlab.models import Researcher

from .conftest import ON_POSTGRES, only_postgres, only_sqlite


def test_session_is_reused_within_a_request_and_closed_after(app) -> None:
    with app.test_request_context():
        first = get_session()
        assert get_session() is first
    with app.test_request_context():
        assert get_session() is not first


@only_sqlite
def test_sqlite_runs_in_wal_with_busy_timeout(app) -> None:
    with get_engine(app).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@only_sqlite
def test_begin_write_takes_the_write_lock_at_once(app) -> None:
    path = get_engine(app).url.database
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


@only_sqlite
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


@pytest.mark.reliability
def test_migrations_create_exactly_the_models_schema(
    new_database: Callable[..., str],
) -> None:
    engine = make_engine(new_database(schema=False))
    upgrade(engine=engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert pending_revisions(engine) == []


@only_sqlite
@pytest.mark.reliability
def test_upgrade_keeps_rows_and_copies_the_file_first(tmp_path: Path) -> None:
    db_file = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{db_file}")
    upgrade(revision="0001_initial", engine=engine)
    with engine.begin() as conn:  # a row as 0001's schema holds it
        conn.exec_driver_sql(
            "INSERT INTO researcher (email, name, password_hash, created_at) "
            "VALUES ('kept@example.org', '', 'x', '2026-11-20 10:00:00.000000')"
        )
    pending = pending_revisions(engine)
    upgrade(engine=engine)
    with Session(engine) as session:
        assert session.exec(select(Researcher.email)).all() == ["kept@example.org"]
    assert pending_revisions(engine) == []
    # A copy is taken only when there was something to apply to existing data.
    assert (tmp_path / "live.db.before-upgrade").exists() == bool(pending)


def test_db_upgrade_command(new_database: Callable[..., str]) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": new_database(schema=False),
        }
    )
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Database is at" in result.output
    with get_engine(app).connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert {"study", "participant", "taskattempt", "response", "event"} <= tables
    again = app.test_cli_runner().invoke(args=["db", "current"])
    assert again.exit_code == 0, again.output
    assert pending_revisions(get_engine(app)) == []
    assert again.output.strip() in result.output


@pytest.mark.reliability
def test_begin_write_serialises_read_then_write_units(app) -> None:
    """Two writers that each read a counter and add one never lose an update.

    Without the write lock, PostgreSQL's READ COMMITTED lets both read the same
    value and the later commit overwrites the earlier one.
    """
    engine = get_engine(app)
    with Session(engine) as session:
        session.add(Researcher(email="count@example.org", name="0", password_hash="x"))
        session.commit()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def add_one(times: int) -> None:
        try:
            barrier.wait()
            for _ in range(times):
                with Session(engine) as session:
                    begin_write(session)
                    row = session.exec(select(Researcher)).one()
                    row.name = str(int(row.name) + 1)
                    session.add(row)
                    session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add_one, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with Session(engine) as session:
        assert session.exec(select(Researcher.name)).one() == "40"


@only_postgres
def test_stored_times_do_not_depend_on_the_servers_time_zone(app) -> None:
    """A timestamptz column keeps the instant; uxlab reads it back in UTC."""
    engine = get_engine(app)
    with Session(engine) as session:
        session.add(Researcher(email="tz@example.org", password_hash="x"))
        session.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'America/New_York'")
        utc = conn.exec_driver_sql(
            "SELECT created_at AT TIME ZONE 'UTC' FROM researcher"
        ).scalar_one()
        kind = conn.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'researcher' AND column_name = 'created_at'"
        ).scalar_one()
    with Session(engine) as session:
        created = session.exec(select(Researcher.created_at)).one()
    assert kind == "timestamp with time zone"
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
    assert created.replace(tzinfo=None) == utc


def test_the_suite_runs_on_the_database_it_was_asked_for(app) -> None:
    assert get_engine(app).dialect.name == ("postgresql" if ON_POSTGRES else "sqlite")


def test_every_datetime_column_stores_aware_utc() -> None:
    """One column type for every timestamp: timestamptz on PostgreSQL, UTC on SQLite.

    A naive datetime would mean "whatever the server's TimeZone is"; none is
    ever stored.
    """
    from sqlalchemy import DateTime
    from sqlmodel.sql.sqltypes import UTCDateTime

    from uxlab import models  # noqa: F401  (registers the tables)

    stamps = [
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, DateTime | UTCDateTime)
    ]
    assert len(stamps) > 20
    wrong = [
        name
        for name in stamps
        if not isinstance(
            SQLModel.metadata.tables[name.split(".")[0]].c[name.split(".")[1]].type,
            UTCDateTime,
        )
    ]
    assert wrong == []


def test_a_naive_datetime_is_refused_not_stored(app) -> None:
    from datetime import datetime

    import pytest
    from sqlalchemy.exc import StatementError

    with Session(get_engine(app)) as session:
        session.add(
            Researcher(
                email="naive@example.org",
                password_hash="x",
                created_at=datetime(2026, 12, 4, 12, 0),
            )
        )
        with pytest.raises(StatementError, match="timezone"):
            session.commit()
