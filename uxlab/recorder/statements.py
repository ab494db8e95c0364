"""The ingest's SQL, prepared once per dialect and batch size."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Dialect, Integer, bindparam, text
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

from uxlab.db import insert_for
from uxlab.recorder.base import (
    _ATTEMPT,
    _EVENT,
    _LOCKS_GUARD,
)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A statement compiled once for an engine's dialect, run on a DB-API cursor.

    Ingest runs a few fixed statements for every batch. SQLAlchemy writes each
    once, in the dialect's SQL and paramstyle, and says which values its types
    process (SQLite's datetimes become text); each run then goes to the
    driver through the DB-API (PEP 249) that every driver implements. The
    execution layer's work per statement (cache keys, events, result typing)
    cost five times what SQLite took to run it. A driver's error comes out as
    SQLAlchemy's, as from any other statement.
    """

    sql: str
    keys: tuple[str, ...]
    positional: bool
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def of(
        cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] = ()
    ) -> _Prepared:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or compiled.binds)
        processors = {}
        for name in names:
            bound = compiled.binds[name].type.dialect_impl(dialect)
            process = bound.bind_processor(dialect)
            if process is not None:
                processors[name] = process
        return cls(str(compiled), names, compiled.positional, processors)

    def params(self, values: dict[str, Any], *, processed: Collection[str] = ()) -> Any:
        """``values`` (changed in place) as the driver takes them: tuple or dict.

        Values named in ``processed`` are in the driver's form already.
        """
        for key, process in self.processors.items():
            if key not in processed:
                values[key] = process(values[key])
        if self.positional:
            return tuple([values[k] for k in self.keys])
        return values

    def process(self, key: str, value: Any) -> Any:
        """``value`` of ``key`` in the driver's form."""
        process = self.processors.get(key)
        return value if process is None else process(value)

    def rows(self, conn: Connection, values: dict[str, Any]) -> list[Sequence[Any]]:
        """The rows the statement reads, as the driver gives them."""
        params = self.params(values)
        with _cursor(conn, self.sql, params) as cursor:
            cursor.execute(self.sql, params)
            return list(cursor.fetchall())

    def run_many(
        self,
        conn: Connection,
        rows: Iterable[dict[str, Any]],
        *,
        processed: Collection[str] = (),
    ) -> int:
        """Run the statement once for each of ``rows``; the rows it changed."""
        params = [self.params(row, processed=processed) for row in rows]
        with _cursor(conn, self.sql, params) as cursor:
            cursor.executemany(self.sql, params)
            return int(cursor.rowcount)


@contextmanager
def _cursor(conn: Connection, sql: str, params: Any) -> Iterator[DBAPICursor]:
    """A DB-API cursor in ``conn``'s transaction; driver errors as SQLAlchemy's."""
    cursor = conn.connection.cursor()
    try:
        yield cursor
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            sql, params, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


_PREPARED: weakref.WeakKeyDictionary[Engine, dict[tuple[str, int], _Prepared]] = (
    weakref.WeakKeyDictionary()
)


def _prepared(conn: Connection, name: str, size: int = 1) -> _Prepared:
    """Statement ``name`` (for ``size`` values, where it takes a list) for ``conn``."""
    engine = conn.engine
    with _LOCKS_GUARD:
        cache = _PREPARED.setdefault(engine, {})
    found = cache.get((name, size))
    if found is None:
        found = cache[name, size] = _STATEMENTS[name](engine.dialect, size)
    return found


#: How many values one statement of a list lookup takes on SQLite: longer
#: lists are padded up to one of these sizes, so lookups share a few dozen
#: statements.
_SIZES = (*range(1, 65), 128, 256, 512, 1024)
_KEY_NAMES = tuple(f"k{i}" for i in range(_SIZES[-1]))


def _sized(values: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """``values`` as the parameters of lookups of a prepared size."""
    for start in range(0, len(values), _SIZES[-1]):
        part = values[start : start + _SIZES[-1]]
        size = next(s for s in _SIZES if s >= len(part))
        # Repeating a value pads the list without changing what it finds.
        padded = [*part, *[part[0]] * (size - len(part))]
        yield size, dict(zip(_KEY_NAMES, padded, strict=False))


def _lookup(conn: Connection, name: str, values: Sequence[str]) -> list[Sequence[Any]]:
    """The rows lookup ``name`` finds for ``values``.

    PostgreSQL takes the list as one array parameter: one statement, prepared
    once, whatever its length. SQLite has no arrays; there the list is padded
    to one of a few sizes.
    """
    if not values:
        return []
    if conn.dialect.name == "postgresql":
        return _prepared(conn, name).rows(conn, {"keys": list(values)})
    return [
        row
        for size, keys in _sized(values)
        for row in _prepared(conn, name, size).rows(conn, keys)
    ]


def _in(dialect: Dialect, column: str, size: int) -> str:
    """``column`` is one of the lookup's values, in the dialect's spelling."""
    if dialect.name == "postgresql":
        return f"{column} = ANY(CAST(:keys AS VARCHAR[]))"
    return f"{column} IN ({', '.join(f':k{i}' for i in range(size))})"


def _context_lookup(dialect: Dialect, size: int) -> _Prepared:
    where = _in(dialect, "token_hash", size)
    return _Prepared.of(text(_CONTEXT_SQL.format(where=where)), dialect)


def _owner_lookup(dialect: Dialect, size: int) -> _Prepared:
    where = _in(dialect, "event_id", size)
    return _Prepared.of(
        text(f"SELECT event_id, attempt_id FROM event WHERE {where}"), dialect
    )


def _event_insert(dialect: Dialect, _size: int) -> _Prepared:
    """``INSERT ... ON CONFLICT (event_id) DO NOTHING`` in the dialect's spelling."""
    statement = (
        insert_for(dialect.name, _EVENT)
        .values(payload=bindparam("encoded", type_=_EncodedJSON()))
        .on_conflict_do_nothing(index_elements=[_EVENT.c.event_id])
    )
    return _Prepared.of(statement, dialect, _EVENT_KEYS)


def _count_update(dialect: Dialect, _size: int) -> _Prepared:
    statement = (
        sql_update(_ATTEMPT)
        .where(_ATTEMPT.c.id == bindparam("attempt", type_=Integer()))
        .values(
            duplicate_events=_ATTEMPT.c.duplicate_events
            + bindparam("duplicates", type_=Integer()),
            rejected_events=_ATTEMPT.c.rejected_events
            + bindparam("rejected", type_=Integer()),
        )
    )
    return _Prepared.of(statement, dialect)


#: PostgreSQL's insert of a whole write: one statement whatever the number of
#: rows, given as one JSON array. psycopg adapts a list parameter in Python,
#: escaping each item; one string goes to the server as it is. Each event's
#: data goes in as the text of its JSON, a string in the array: as a nested
#: value, any ``\u0000`` in it would fail the whole array, where the ``json``
#: type stores it. It answers with the ids it stored; any other was stored
#: before, or by a transaction that committed while this one waited for it.
_STORE_SQL = """
INSERT INTO event (event_id, participant_id, attempt_id, type, seq, client_ts,
                   received_at, url, payload, recording)
SELECT e.event_id, e.participant_id, e.attempt_id, e.type, e.seq, e.client_ts,
       CAST(:received_at AS TIMESTAMPTZ), e.url, CAST(e.payload AS JSON),
       COALESCE(e.recording, '')
FROM json_to_recordset(CAST(:events AS JSON))
     AS e(event_id VARCHAR, participant_id INTEGER, attempt_id INTEGER,
          type VARCHAR, seq INTEGER, client_ts TIMESTAMPTZ, url VARCHAR,
          payload TEXT, recording VARCHAR)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


def _event_store(dialect: Dialect, _size: int) -> _Prepared:
    return _Prepared.of(text(_STORE_SQL), dialect)


_STATEMENTS: dict[str, Callable[[Dialect, int], _Prepared]] = {
    "contexts": _context_lookup,
    "owners": _owner_lookup,
    "insert": _event_insert,
    "store": _event_store,
    "count": _count_update,
}


_EVENT_KEYS = (
    "event_id",
    "participant_id",
    "attempt_id",
    "type",
    "seq",
    "client_ts",
    "received_at",
    "url",
    "recording",
)


def _owners(conn: Connection, event_ids: Sequence[str]) -> dict[str, int]:
    """The attempt each of ``event_ids`` already stored belongs to."""
    return {
        event_id: attempt_id
        for event_id, attempt_id in _lookup(conn, "owners", event_ids)
    }


class _EncodedJSON(TypeDecorator[Any]):
    """The ``payload`` column, bound as the JSON text :func:`validate_event` made.

    Each event's data is encoded once, to check its size; the driver is given
    that text (PostgreSQL casts it to ``json``) rather than a second encoding.
    """

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


_CONTEXT_SQL = """
SELECT a.id, a.participant_id, p.study_id, a.task_id, s.status, s.settings,
       a.started_at, a.ended_at, a.outcome, a.judged_by,
       t.success_kind, t.success_value, t.time_limit_s, a.token_hash
FROM taskattempt AS a
JOIN participant AS p ON p.id = a.participant_id
JOIN task AS t ON t.id = a.task_id
JOIN study AS s ON s.id = p.study_id
WHERE a.{where}
"""
# Plain SQL, the same on both databases: the ORM's overhead would be most of
# its cost. Values come back as the driver gives them (SQLite: text for
# datetimes and JSON), which _context_of reads.
_CONTEXT_BY_TOKEN = text(_CONTEXT_SQL.format(where="token_hash = :key"))
_CONTEXT_BY_ID = text(_CONTEXT_SQL.format(where="id = :key"))
