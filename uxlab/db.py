"""Engine and request-scoped sessions, on SQLite or PostgreSQL.

Every unit of work that reads and then writes starts with :func:`begin_write`,
which gives it the database's write lock before its first query, so two
requests can never both read a state and then both change it:

- SQLite runs in WAL mode with a busy timeout, and the transaction starts with
  ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes fails
  with "database is locked" under concurrent writers however long the busy
  timeout, while an immediate one waits its turn.
- PostgreSQL takes a transaction-level advisory lock
  (``pg_advisory_xact_lock``) as the first statement. It is released at commit
  or rollback, and under READ COMMITTED every statement after it sees what the
  previous holder committed: the same guarantee ``BEGIN IMMEDIATE`` gives, for
  every call site, without each one naming the rows it will touch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Table, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from uxlab.errors import DatabaseError

__all__ = [
    "WRITE_LOCK_KEY",
    "begin_write",
    "check_connection",
    "describe_error",
    "describe_url",
    "normalise_url",
    "dialect_name",
    "insert_for",
    "get_engine",
    "get_session",
    "init_app",
    "make_engine",
    "session_scope",
]

_IMMEDIATE = "uxlab_immediate"

#: The advisory lock every PostgreSQL write transaction takes (``"uxlab"`` in ASCII).
WRITE_LOCK_KEY = 0x75786C6162


def dialect_name(bind: Engine | Connection | Session) -> str:
    """``"sqlite"`` or ``"postgresql"``: the database behind ``bind``."""
    if isinstance(bind, Session):
        engine = bind.get_bind()
        return engine.dialect.name
    return bind.dialect.name


_URL_EXAMPLE = "postgresql+psycopg://user:password@host:5432/uxlab"


def normalise_url(url: str) -> str:
    """Give a PostgreSQL URL without a driver (as hosts hand them out) psycopg.

    >>> normalise_url("postgres://ux:pw@db.example.org/uxlab")
    'postgresql+psycopg://ux:pw@db.example.org/uxlab'
    >>> normalise_url("sqlite:////srv/uxlab.sqlite")
    'sqlite:////srv/uxlab.sqlite'
    """
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url.removeprefix(bare)
    return url


def parse_url(url: str) -> URL:
    """The parsed database URL, or a :class:`DatabaseError` that never echoes it."""
    _, _, rest = url.partition("://")
    if rest.split("?", 1)[0].count("@") > 1:
        # An unencoded "@" in the password: the host would be read from it.
        raise DatabaseError(
            "the database URL has more than one '@': percent-encode the user name "
            "and password ('@' is %40, '/' %2F, ':' %3A, '#' %23)"
        )
    try:
        parsed = make_url(normalise_url(url))
    except (exc.ArgumentError, ValueError):
        raise DatabaseError(
            f"the database URL is malformed; expected one like {_URL_EXAMPLE} "
            "(percent-encode special characters in the password) "
            "or sqlite:////path/to/uxlab.sqlite"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"uxlab runs on SQLite or PostgreSQL, not {parsed.get_backend_name()!r}"
        )
    return parsed


def describe_error(error: exc.DBAPIError, url: URL) -> str:
    """One line for a database's refusal: where, and its first line, no password."""
    reason = str(error.orig or error).strip().splitlines()[0]
    reason = reason.removeprefix("connection failed: ")
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return f"the {describe_url(url)}: {reason}"


def describe_url(url: str | URL) -> str:
    """Where a database is, for messages: host and port or file, never a password.

    >>> describe_url("postgresql+psycopg://ux:secret@db.example.org/uxlab")
    'PostgreSQL database uxlab on db.example.org:5432'
    >>> describe_url("sqlite:////srv/uxlab.sqlite")
    'SQLite file /srv/uxlab.sqlite'
    """
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database or ':memory:'}"
    host = parsed.host or "localhost"
    return f"PostgreSQL database {parsed.database} on {host}:{parsed.port or 5432}"


def check_connection(engine: Engine) -> None:
    """Connect once; an unreachable database is a :class:`DatabaseError`."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except exc.DBAPIError as error:
        raise DatabaseError(
            f"cannot reach {describe_error(error, engine.url)}"
        ) from None


def insert_for(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An ``INSERT`` with ``ON CONFLICT`` clauses, in ``dialect``'s own construct.

    Both dialects have ``on_conflict_do_nothing`` and ``on_conflict_do_update``
    with the same arguments; only the class differs.
    """
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and explicit BEGINs."""
    if parse_url(url).get_backend_name() == "postgresql":
        return create_engine(
            normalise_url(url),
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            connect_args={
                # Stored datetimes are timestamptz; this only fixes how the
                # server prints them, so nothing depends on its own TimeZone.
                "options": "-c timezone=UTC",
                "connect_timeout": 10,
            },
        )
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=10,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the pysqlite recipe).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        driver = conn.connection.driver_connection
        if driver is not None and driver.in_transaction:
            return  # joins a transaction begun on the DB-API connection itself
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a write, holding the write lock.

    Call it before the first query of a unit of work that writes. A read
    transaction already open is ended first, so its snapshot cannot go stale.
    On SQLite this is ``BEGIN IMMEDIATE``; on PostgreSQL the transaction's
    first statement takes :data:`WRITE_LOCK_KEY` as an advisory lock.
    """
    if session.in_transaction():
        session.commit()
    conn = session.connection(execution_options={_IMMEDIATE: True})
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session outside a request (CLI, benchmarks); commits on success."""
    with Session(engine, expire_on_commit=False) as session:
        if write:
            begin_write(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_engine(app: Flask | None = None) -> Engine:
    """The app's engine, kept in ``app.extensions["uxlab"]``."""
    app = app or current_app
    engine: Engine = app.extensions["uxlab"]["engine"]
    return engine


def get_session() -> Session:
    """The request's session, created on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def create_schema(engine: Engine) -> None:
    """Create every table directly from the models (tests and first runs)."""
    from uxlab import models  # noqa: F401  (registers the tables)

    SQLModel.metadata.create_all(engine)


def init_app(app: Flask) -> None:
    """Create the engine for ``app`` and register the session teardown."""
    from uxlab.storage import watch_engine

    engine = make_engine(app.config["DATABASE_URL"])
    watch_engine(engine)
    app.extensions.setdefault("uxlab", {})["engine"] = engine
    app.teardown_appcontext(close_session)
