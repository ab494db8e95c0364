"""Move an instance to another database: SQLite to PostgreSQL when a team outgrows
one machine, or back.

:func:`copy_database` brings the target's schema to the source's revision with the
same migrations ``uxlab db upgrade`` runs, then copies every table in foreign-key
order, in one transaction, and checks the row counts table by table before it
commits. Rows are copied as they are: token hashes, invite nonces and ids stay
the same, so every link made before the move opens after it, as long as the new
instance uses the same secret key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from uxlab.db import describe_url
from uxlab.errors import DatabaseError
from uxlab.migrate import require_current, upgrade

__all__ = ["TableCopy", "copy_database"]

_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's row count in the source and, after the copy, in the target."""

    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def _tables() -> list[Table]:
    from uxlab import models  # noqa: F401  (registers the tables)

    return list(SQLModel.metadata.sorted_tables)


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def copy_database(
    source: Engine,
    target: Engine,
    *,
    replace: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> list[TableCopy]:
    """Copy every row of ``source`` into ``target``; returns the counts per table.

    The target must hold no rows unless ``replace`` is given, in which case its
    rows are deleted first (in the same transaction as the copy). Nothing is
    committed unless every table's count matches.
    """
    if source.url == target.url:
        raise DatabaseError("the source and the target are the same database")
    require_current(source)
    upgrade(engine=target)
    tables = _tables()
    with source.connect() as src, target.begin() as dst:
        held = {t.name: n for t in tables if (n := _count(dst, t))}
        if held and not replace:
            listing = ", ".join(f"{n} in {name}" for name, n in sorted(held.items()))
            raise DatabaseError(
                f"the {describe_url(target.url)} already holds data ({listing}); "
                "pass --replace to delete it and copy over it"
            )
        for table in reversed(tables):
            if table.name in held:
                dst.execute(table.delete())
        copies: list[TableCopy] = []
        for table in tables:
            order = list(table.primary_key.columns)
            result = src.execution_options(yield_per=_CHUNK).execute(
                select(table).order_by(*order)
            )
            for chunk in result.mappings().partitions(_CHUNK):
                dst.execute(table.insert(), [dict(row) for row in chunk])
            copies.append(TableCopy(table.name, _count(src, table), _count(dst, table)))
            if progress is not None:
                progress(table.name, copies[-1].target)
        if target.dialect.name == "postgresql":
            _restart_sequences(dst, tables)
        wrong = [c for c in copies if not c.ok]
        if wrong:
            listing = ", ".join(f"{c.table} {c.source}≠{c.target}" for c in wrong)
            raise DatabaseError(f"row counts differ after the copy ({listing})")
    return copies


def _restart_sequences(conn: Connection, tables: list[Table]) -> None:
    """Make PostgreSQL's id sequences continue after the ids just copied."""
    for table in tables:
        for column in table.primary_key.columns:
            if not column.autoincrement or column.type.python_type is not int:
                continue
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence(%(t)s, %(c)s), "
                f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, '
                "false)",
                {"t": f'"{table.name}"', "c": column.name},
            )
