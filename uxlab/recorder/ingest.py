"""Storing a batch exactly once, and ending attempts its events complete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from uxlab.db import begin_write
from uxlab.errors import UxlabError
from uxlab.models import (
    Outcome,
    TaskAttempt,
    utcnow,
)
from uxlab.patterns import url_matches
from uxlab.recorder.attempts import (
    _contexts,
    _end_attempt,
    _state,
    _time_out,
    check_origin,
)
from uxlab.recorder.base import (
    ENDED_GRACE,
    AttemptEndedError,
    IngestResult,
    Rejected,
    _Context,
    _engine,
    _single_writer,
    _Valid,
    _writer_turn,
)
from uxlab.recorder.parsing import (
    _PAYLOAD_JSON,
    validate_event,
)
from uxlab.recorder.statements import (
    _owners,
    _prepared,
)
from uxlab.tokens import hash_token


def _verified(ctx: _Context, event: _Valid) -> bool:
    """Whether a ``task_success`` event really meets the task's criterion."""
    if ctx.success_kind == "url_matches":
        # RE2: linear in the URL, so no pattern can hold the recording lane.
        return url_matches(ctx.success_value, event.url)
    return ctx.success_kind == "element"


def _bound_to(ctx: _Context, bound: Mapping[str, Any]) -> bool:
    own = {
        "attempt_id": ctx.attempt_id,
        "participant_id": ctx.participant_id,
        "study_id": ctx.study_id,
        "task_id": ctx.task_id,
    }
    return all(str(value) == str(own[key]) for key, value in bound.items())


def _row(ctx: _Context, event: _Valid, received: datetime) -> dict[str, Any]:
    """The ``event`` row of ``event``, as the insert binds it."""
    return {
        "event_id": event.id,
        "participant_id": ctx.participant_id,
        "attempt_id": ctx.attempt_id,
        "type": event.type,
        "seq": event.seq,
        "client_ts": event.ts,
        "received_at": received,
        "url": event.url,
        "encoded": event.payload,
        "recording": event.recording,
    }


class _Raced(Exception):
    """An id the insert skipped was gone when looked up, or stored meanwhile."""


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, whose ids the lookup just found not stored (SQLite).

    The write lock held since the lookup means none can be stored now; should
    one be, the rows stored fall short and the write is rolled back and done
    again.
    """
    insert = _prepared(conn, "insert")
    # One receipt time for every row, put in the driver's form once.
    received = insert.process("received_at", rows[0]["received_at"])
    for row in rows:
        row["received_at"] = received
    stored = insert.run_many(conn, rows, processed=("received_at",))
    if stored != len(rows):
        raise _Raced(f"{len(rows) - stored} of {len(rows)} ids were stored meanwhile")


def _store(
    conn: Connection,
    claims: Mapping[str, tuple[_Context, _Valid]],
    received: datetime,
) -> dict[str, int]:
    """Insert every claimed event not stored yet (PostgreSQL); owners of the rest.

    One statement stores the write, and only the ids it skipped, rare (a
    resend, a beacon racing a retry), are looked up: the owner of each, an
    attempt. The insert waits for a transaction storing one of the ids to end,
    and the lookup after it, with a snapshot of its own, sees what that one
    committed. Rows go in in order of id, so two writes sharing ids wait for
    each other in one order and never deadlock.
    """
    ordered = sorted(claims)
    encode = _PAYLOAD_JSON.encode
    rows = []
    for event_id in ordered:
        ctx, event = claims[event_id]
        ts = "null" if event.ts is None else f'"{event.ts.isoformat()}"'
        rows.append(
            f'{{"event_id":{encode(event_id)},'
            f'"participant_id":{ctx.participant_id:d},'
            f'"attempt_id":{ctx.attempt_id:d},"type":{encode(event.type)},'
            f'"seq":{event.seq:d},"client_ts":{ts},"url":{encode(event.url)},'
            f'"payload":{encode(event.payload)},'
            f'"recording":{encode(event.recording)}}}'
        )
    found = _prepared(conn, "store").rows(
        conn, {"received_at": received, "events": f"[{','.join(rows)}]"}
    )
    stored = {row[0] for row in found}
    if len(stored) == len(ordered):
        return {}
    skipped = [event_id for event_id in ordered if event_id not in stored]
    owners = _owners(conn, skipped)
    if len(owners) != len(skipped):  # pragma: no cover - deleted meanwhile
        raise _Raced(f"{len(skipped) - len(owners)} skipped ids are gone")
    return owners


def _sort_out(
    ctx: _Context, valid: list[_Valid], rejected: list[Rejected]
) -> tuple[dict[str, _Valid], int]:
    """A batch's events by id, each once; those naming another attempt rejected.

    Returns the events to store and the number of repeats within the batch.
    """
    unique: dict[str, _Valid] = {}
    duplicates = 0
    for event in valid:
        if event.bound and not _bound_to(ctx, event.bound):
            rejected.append(
                Rejected(
                    event.index,
                    event.id,
                    "foreign_id",
                    "The event names another participant, attempt or study.",
                )
            )
        elif event.id in unique:
            duplicates += 1
        else:
            unique[event.id] = event
    return unique, duplicates


def _admit(
    ctx: _Context,
    unique: Mapping[str, _Valid],
    mine: set[str],
    owners: Mapping[str, int],
    rejected: list[Rejected],
) -> tuple[dict[str, _Valid], list[str], int]:
    """Sort a batch's events: new ones, ones stored before, foreign ones.

    ``mine`` holds the ids this batch's rows store; ``owners`` maps every
    other id of the write to the attempt that holds it. Returns the new events
    by id, the ids to acknowledge (new, and stored before for this attempt)
    and the number of duplicates absorbed; an id stored for another recording
    goes to ``rejected``.
    """
    fresh: dict[str, _Valid] = {}
    acked: list[str] = []
    duplicates = 0
    for event_id, event in unique.items():
        if event_id in mine:
            fresh[event_id] = event
        elif owners[event_id] == ctx.attempt_id:
            duplicates += 1
        else:
            rejected.append(
                Rejected(
                    event.index,
                    event_id,
                    "id_conflict",
                    "This id belongs to another recording.",
                )
            )
            continue
        acked.append(event_id)
    return fresh, acked, duplicates


def _ends(ctx: _Context, events: Iterable[_Valid]) -> _Valid | None:
    """The event that ends an open attempt as a success, if any: the first met."""
    successes = sorted(
        (e for e in events if e.type == "task_success"), key=lambda e: e.seq
    )
    return next((e for e in successes if _verified(ctx, e)), None)


def _may_end(ctx: _Context, events: Iterable[_Valid], now: datetime) -> bool:
    """Whether a batch could end its attempt (its events may be stored before)."""
    if ctx.ended_at is not None:
        return False
    return ctx.overdue(now) or _ends(ctx, events) is not None


def _auto_end(
    session: Session, ctx: _Context, fresh: Mapping[str, _Valid], now: datetime
) -> TaskAttempt | None:
    """End the attempt if its time is up or a new event meets its criterion.

    Returns the attempt ended, or ``None`` when it goes on.
    """
    if ctx.ended_at is not None:
        return None
    if ctx.overdue(now):
        return _time_out(session, ctx)
    met = _ends(ctx, fresh.values())
    if met is None:
        return None
    return _end_attempt(
        session,
        ctx,
        Outcome.success,
        ended_at=now,
        event_at=met.ts or now,
        reason=f"{ctx.success_kind} met",
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """One request's events, as :func:`ingest_many` takes them.

    ``origin`` is the browser's ``Origin`` header (``None`` from other
    clients); ``own`` lists uxlab's own origins, read only when ``origin`` is
    not one of the study's.
    """

    token: str
    events: Sequence[Any]
    origin: str | None = None
    own: Iterable[str] = ()


@dataclass(slots=True)
class _Checked:
    """A batch with its events validated, before anything is read or written."""

    token_hash: str
    origin: str | None
    own: Iterable[str]
    valid: list[_Valid]
    rejected: list[Rejected]


def _check(batch: Batch) -> _Checked:
    checked = [validate_event(raw, i) for i, raw in enumerate(batch.events)]
    return _Checked(
        token_hash=hash_token(batch.token),
        origin=batch.origin,
        own=batch.own,
        valid=[c for c in checked if isinstance(c, _Valid)],
        rejected=[c for c in checked if isinstance(c, Rejected)],
    )


def ingest(
    db: Session | Engine,
    token: str,
    events: Sequence[Any],
    *,
    origin: str | None = None,
    own: Iterable[str] = (),
    now: datetime | None = None,
) -> IngestResult:
    """Store a batch of events for the attempt ``token`` names, each exactly once.

    Every event is validated on its own. Valid events are acknowledged whether
    they are new or were stored before for this attempt (the duplicate is
    counted); an id stored for another attempt is rejected. A ``task_success``
    meeting the task's criterion ends the attempt as a success.

    ``db`` is the engine, or a session whose engine is used: a transaction
    that session has open is ended first, so that what it reads next is
    current. Raises the :class:`~uxlab.errors.UxlabError` that refuses the
    whole batch (a bad token, a closed study, a foreign origin).
    """
    if isinstance(db, Session):
        if db.in_transaction():
            db.commit()
        engine = _engine(db)
    else:
        engine = db
    result = ingest_many(engine, [Batch(token, events, origin, own)], now=now)[0]
    if isinstance(result, Exception):
        raise result
    return result


def ingest_many(
    engine: Engine, batches: Sequence[Batch], *, now: datetime | None = None
) -> list[IngestResult | Exception]:
    """Store several batches, each as :func:`ingest` would, in one transaction.

    Batches that arrive together are written together: one transaction, one
    query for their attempts, one ``INSERT`` (and a query for the ids it
    skipped, if any), whatever the number of batches. Each
    batch gets its own outcome, in order: its :class:`IngestResult`, or the
    :class:`~uxlab.errors.UxlabError` that refuses it while the others are
    stored. Should the shared transaction fail, each batch is written again on
    its own, so one batch's failure (its exception) costs the others nothing.
    """
    if not batches:
        return []
    now = now or utcnow()
    checked = [_check(batch) for batch in batches]
    try:
        return _write(engine, checked, now)
    except Exception as exc:
        if len(checked) == 1:
            return [exc]
    outcomes: list[IngestResult | Exception] = []
    for one in checked:
        try:
            outcomes += _write(engine, [one], now)
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


#: Times a write is done again after another process stored one of its ids.
_RACE_RETRIES = 3


def _write(
    engine: Engine, batches: list[_Checked], now: datetime
) -> list[IngestResult | Exception]:
    """Write ``batches`` in one transaction, again if another one raced it."""
    for _ in range(_RACE_RETRIES - 1):
        try:
            return _write_once(engine, batches, now)
        except _Raced:
            continue
    return _write_once(engine, batches, now)


def _write_once(
    engine: Engine, batches: list[_Checked], now: datetime
) -> list[IngestResult | Exception]:
    """Write ``batches`` in one transaction on a pooled connection.

    Prepared statements on the session's connection; only ending an attempt
    goes through the ORM, in the same transaction. Raises (after rolling back) if
    anything fails but a batch's own refusal.
    """
    outcomes: list[IngestResult | Exception | None] = [None] * len(batches)
    single_writer = _single_writer(engine)
    hashes = [b.token_hash for b in batches]
    with _writer_turn(engine), Session(engine, expire_on_commit=False) as session:
        if single_writer:
            begin_write(session)
        conn = session.connection()
        contexts = _contexts(conn, hashes)
        if not single_writer and any(
            isinstance(ctx, _Context) and _may_end(ctx, b.valid, now)
            for b, ctx in zip(batches, (contexts[h] for h in hashes), strict=True)
        ):
            # Ending an attempt reads and then writes the attempt and its
            # participant, as the participant's own pages do: it takes the
            # same write lock, before any row lock, and reads again under it.
            begin_write(session)
            conn = session.connection()
            contexts = _contexts(conn, hashes)
        taken: list[tuple[int, _Checked, _Context]] = []
        for i, batch in enumerate(batches):
            try:
                ctx = contexts[batch.token_hash]
                if isinstance(ctx, UxlabError):
                    raise ctx
                check_origin(ctx.allowed_origins, batch.origin, batch.own)
                if ctx.ended_at is not None and now > ctx.ended_at + ENDED_GRACE:
                    raise AttemptEndedError(
                        "This task has ended; nothing more is recorded."
                    )
            except UxlabError as exc:
                outcomes[i] = exc
            else:
                taken.append((i, batch, ctx))

        # An id new to the database is stored by the first batch naming it.
        sorted_out = []
        claims: dict[str, tuple[_Context, _Valid]] = {}
        for i, batch, ctx in taken:
            rejected = list(batch.rejected)
            unique, repeats = _sort_out(ctx, batch.valid, rejected)
            for event_id, event in unique.items():
                claims.setdefault(event_id, (ctx, event))
            sorted_out.append((i, ctx, unique, repeats, rejected))
        received = now.astimezone(UTC)
        if not claims:
            owners = {}
        elif single_writer:
            # Under SQLite's write lock nothing is stored meanwhile: the ids
            # looked up first are all there will be.
            owners = _owners(conn, list(claims))
            rows = [
                _row(ctx, event, received)
                for event_id, (ctx, event) in claims.items()
                if event_id not in owners
            ]
            if rows:
                _insert(conn, rows)
        else:
            owners = _store(conn, claims, received)

        # An attempt two batches share is ended once, by the first.
        ended: dict[int, TaskAttempt | None] = {}
        counts: dict[int, list[int]] = {}
        for i, ctx, unique, repeats, rejected in sorted_out:
            mine = {e for e in unique if e not in owners}
            owners.update(dict.fromkeys(mine, ctx.attempt_id))
            fresh, acked, duplicates = _admit(ctx, unique, mine, owners, rejected)
            duplicates += repeats
            if ctx.attempt_id in ended:
                attempt = ended[ctx.attempt_id]
            else:
                attempt = ended[ctx.attempt_id] = _auto_end(session, ctx, fresh, now)
            if duplicates or rejected:
                count = counts.setdefault(ctx.attempt_id, [0, 0])
                count[0] += duplicates
                count[1] += len(rejected)
            rejected.sort(key=lambda r: r.index)
            outcomes[i] = IngestResult(
                acked=acked,
                rejected=rejected,
                stored=len(fresh),
                duplicates=duplicates,
                attempt=_state(ctx, attempt, now),
            )
        if counts:
            _prepared(conn, "count").run_many(
                conn,
                (
                    {"attempt": a, "duplicates": d, "rejected": r}
                    for a, (d, r) in sorted(counts.items())
                ),
            )
        session.commit()  # flushes any ending, then commits every batch
    return [o for o in outcomes if o is not None]
