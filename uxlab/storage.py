"""When the database refuses writes: a full disk, a read-only file or volume.

Such a fault is the host's, not the request's, and it passes: every write it
stops is answered 503 with ``Retry-After`` (the recorder keeps its queue and
sends again; a participant's form can be sent again), never 500. One line is
logged when the fault starts and one when writes work again, not a traceback
per request. A connection that saw the fault is dropped with the rest of the
pool, since SQLite keeps a connection opened on a read-only file read-only
for good: the next request opens fresh ones, so the app recovers by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from uxlab.errors import UxlabError

__all__ = [
    "RETRY_AFTER_S",
    "StorageUnavailableError",
    "episode",
    "refused",
    "storage_fault",
    "watch_engine",
]

log = logging.getLogger("uxlab.storage")

#: Seconds a client is asked to wait before sending again.
RETRY_AFTER_S = 30

#: What SQLite says when it cannot write (sqlite3 has no error codes before 3.11's).
_SQLITE_FAULTS = (
    "database or disk is full",
    "attempt to write a readonly database",
    "disk i/o error",
    "unable to open database file",
)
#: PostgreSQL's SQLSTATEs for the same: disk full, out of memory or other
#: resources (class 53), I/O error, a read-only transaction (a standby).
_POSTGRES_FAULTS = ("53100", "53200", "53300", "58030", "25006")


class StorageUnavailableError(UxlabError):
    """The database cannot take writes now; the client should send again later."""

    status = 503
    code = "storage_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "uxlab cannot store anything right now: the server's storage refuses "
            f"writes. Nothing was lost on your side; try again in {RETRY_AFTER_S} "
            "seconds."
        )


def storage_fault(error: BaseException | None) -> str | None:
    """Why the database refused a write, when ``error`` is such a fault; else None.

    >>> import sqlite3
    >>> storage_fault(sqlite3.OperationalError("database or disk is full"))
    'database or disk is full'
    >>> storage_fault(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    True
    """
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, exc.DBAPIError):
            if error.orig is None:
                return None
            error = error.orig
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate in _POSTGRES_FAULTS:
            return str(error).strip().splitlines()[0]
        text = str(error).strip().lower()
        if type(error).__name__ == "OperationalError":
            for fault in _SQLITE_FAULTS:
                if text.startswith(fault):
                    return fault
        error = error.__cause__ or error.__context__
        seen += 1
    return None


class _Episode:
    """One fault from its first refusal to the first write that works again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, reason: str) -> None:
        with self._lock:
            if self._since is not None:
                return
            self._since = time.monotonic()
        log.error(
            "database writes are failing (%s): answering 503 with Retry-After "
            "until they work again",
            reason,
        )

    def succeeded(self) -> None:
        if self._since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            log.warning(
                "database writes work again after %.0f s", time.monotonic() - since
            )


#: This process's fault episode.
episode = _Episode()


def refused(engine: Engine, reason: str) -> None:
    """Note a write the storage refused, and drop the connections that saw it.

    For faults met on a raw DB-API cursor, which :func:`watch_engine`'s hook
    does not see.
    """
    episode.failed(reason)
    engine.dispose()


def watch_engine(engine: Engine) -> None:
    """Drop ``engine``'s pooled connections whenever one meets a storage fault."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        if storage_fault(context.original_exception) is not None:
            # Treated as a lost connection: SQLAlchemy discards the whole pool.
            context.is_disconnect = True

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # While writes fail, no connection is used twice: one opened during
        # the fault may keep it after it clears (SQLite's read-only opening).
        if episode.ongoing and record.info.get("used"):
            raise exc.DisconnectionError("opened before or during a storage fault")
        record.info["used"] = True
