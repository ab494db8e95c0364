"""Rate-limit counters in the database, shared by every app process and host.

Flask-Limiter keeps its counters in a :mod:`limits` storage. Its memory storage
lives in one process, so with several processes a login limit of 10 a minute
would allow 10 a minute *per process*. :class:`DatabaseStorage` keeps them in
the ``ratelimitcounter`` table instead, for the fixed-window strategy uxlab
uses. A hit is one statement, an upsert that adds to the count or starts a new
window when the old one has run out::

    INSERT ... ON CONFLICT (key) DO UPDATE SET count = CASE ... END ...
    RETURNING count

so two processes counting at once both count, on SQLite as on PostgreSQL,
without taking the application's write lock.

:func:`storage_url` picks where the counters live: the setting
``RATELIMIT_STORAGE_URL`` when given (``redis://host:6379/0``, ``memory://``,
or ``uxlab-db://`` for this database), else the database on PostgreSQL (where
several processes may serve) and memory on SQLite (one process).
"""

from __future__ import annotations

import hashlib
import itertools
import time
import urllib.parse
import weakref
from collections.abc import Mapping
from typing import Any

from limits.storage import Storage
from sqlalchemy import case, delete, exc, select
from sqlalchemy.engine import Engine

from uxlab.db import insert_for
from uxlab.models import RateLimitCounter

__all__ = [
    "SCHEME",
    "DatabaseStorage",
    "engine_url",
    "limiter_storage",
    "storage_url",
]

#: The storage URL that names the app's own database.
SCHEME = "uxlab-db"
#: Longest key stored (the column's length); longer ones are shortened.
MAX_KEY = 400
#: Seconds between sweeps of counters whose window ended long ago.
SWEEP_EVERY = 300.0

_TABLE = RateLimitCounter.__table__  # type: ignore[attr-defined]


def storage_url(config: Mapping[str, Any], database_backend: str) -> str:
    """Where rate-limit counters live, as a :mod:`limits` storage URL.

    >>> storage_url({"RATELIMIT_STORAGE_URL": "redis://cache:6379/0"}, "sqlite")
    'redis://cache:6379/0'
    >>> storage_url({}, "postgresql"), storage_url({}, "sqlite")
    ('uxlab-db://', 'memory://')
    """
    chosen = config.get("RATELIMIT_STORAGE_URL")
    if chosen:
        return str(chosen)
    return f"{SCHEME}://" if database_backend == "postgresql" else "memory://"


def limiter_storage(config: Mapping[str, Any], engine: Engine) -> str:
    """The storage URL to give Flask-Limiter for an app on ``engine``."""
    url = storage_url(config, engine.dialect.name)
    if urllib.parse.urlsplit(url).scheme == SCHEME:
        return engine_url(engine)
    return url


def _key(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return key[: MAX_KEY - len(digest) - 1] + "#" + digest


_ENGINES: weakref.WeakValueDictionary[str, Engine] = weakref.WeakValueDictionary()
_names = itertools.count(1)


def engine_url(engine: Engine) -> str:
    """A storage URL naming ``engine``, for Flask-Limiter to build the storage.

    Flask-Limiter builds its storage from a URL string (and options it keeps
    for every later app); the engine itself is looked up by name instead.
    """
    name = f"engine-{next(_names)}"
    _ENGINES[name] = engine
    return f"{SCHEME}://{name}"


class DatabaseStorage(Storage):
    """A :mod:`limits` storage in the app's database (fixed windows only).

    Flask-Limiter builds it from a URL made by :func:`engine_url`.
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **_: Any
    ) -> None:
        name = urllib.parse.urlsplit(uri or "").netloc
        engine = _ENGINES.get(name)
        if engine is None:
            raise ValueError(f"no engine is registered as {uri!r}")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine = engine
        self._swept = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count ``amount`` hits on ``key``; a window that ran out starts again."""
        now = time.time()
        insert = insert_for(self.engine.dialect.name, _TABLE)
        ended = _TABLE.c.expires_at <= now
        upsert = (
            insert.values(key=_key(key), count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.key],
                # Both read the stored row as it was: a window that ran out
                # starts again from this hit.
                set_={
                    "count": case((ended, amount), else_=_TABLE.c.count + amount),
                    "expires_at": case(
                        (ended, now + expiry), else_=_TABLE.c.expires_at
                    ),
                },
            )
            .returning(_TABLE.c.count)
        )
        with self.engine.begin() as conn:
            count = int(conn.execute(upsert).scalar_one())
            if now - self._swept > SWEEP_EVERY:
                self._swept = now
                conn.execute(delete(_TABLE).where(_TABLE.c.expires_at < now - expiry))
        return count

    def get(self, key: str) -> int:
        """The count of ``key`` in its current window (0 when it ran out)."""
        with self.engine.connect() as conn:
            count = conn.execute(
                select(_TABLE.c.count).where(
                    _TABLE.c.key == _key(key), _TABLE.c.expires_at > time.time()
                )
            ).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        """When the window of ``key`` ends, in seconds since the epoch."""
        now = time.time()
        with self.engine.connect() as conn:
            expires = conn.execute(
                select(_TABLE.c.expires_at).where(_TABLE.c.key == _key(key))
            ).scalar()
        return float(expires) if expires is not None and expires > now else now

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; returns how many there were."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(_TABLE)).rowcount)

    def clear(self, key: str) -> None:
        """Forget the counter of ``key``."""
        with self.engine.begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.key == _key(key)))
