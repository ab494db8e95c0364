"""Recorder ingest: events stored exactly once, automatic success, completeness.

The browser recorder (``static/recorder.js``) delivers at least once: it keeps
every event until the server acknowledges its id, so the same event may arrive
twice (a beacon and a retry racing, a response lost after commit). Storage is
exactly once: the event id is unique, every event goes in with ``INSERT ... ON
CONFLICT (event_id) DO NOTHING RETURNING event_id``, and an id the insert skipped
is looked up: stored before for the same attempt, it is acknowledged again and
counted as a duplicate absorbed; stored for another, the event is rejected.

SQLite and PostgreSQL differ in locking and in how a write's rows are sent.
SQLite allows one writer, so a batch's transaction starts as a write
(:func:`uxlab.db.begin_write`, ``BEGIN IMMEDIATE``), looks up which ids are
stored, and inserts the others. PostgreSQL writes rows side by side: there the
unique index settles two processes storing the same id (the second waits for
the first to commit, then skips it), all the rows of a write go in one
statement and only the ids it skipped are looked up, and only a batch that may
end its attempt, a read-then-write of the attempt and its participant, takes
the write lock every other read-then-write takes.

Events are bound to the attempt the URL's token names; any participant,
attempt, study or task id an event carries must be that attempt's own or the
event is rejected. Each event is validated on its own, so one bad event never
costs the others in its batch.

An attempt ends by itself when a ``task_success`` event meets the task's
criterion (the server re-tests a ``url_matches`` regex on the event's URL) or
when its time limit passes; either way the participant moves on to their next
step.

The package: :mod:`.parsing` validates, :mod:`.attempts` finds the attempt a
token names and ends it, :mod:`.statements` holds the prepared SQL,
:mod:`.ingest` stores batches and :mod:`.completeness` finds gaps.
"""

from __future__ import annotations

from uxlab.recorder.attempts import (
    TaskStatus,
    allowed_origins,
    attempt_state,
    check_origin,
    origin_of,
    task_status,
)
from uxlab.recorder.base import (
    ENDED_GRACE,
    EVENT_TYPES,
    MAX_EVENTS,
    AttemptEndedError,
    AttemptState,
    BatchError,
    IngestResult,
    OriginNotAllowedError,
    Rejected,
)
from uxlab.recorder.completeness import Completeness, completeness
from uxlab.recorder.ingest import Batch, ingest, ingest_many
from uxlab.recorder.parsing import parse_batch, validate_event

__all__ = [
    "ENDED_GRACE",
    "MAX_EVENTS",
    "allowed_origins",
    "EVENT_TYPES",
    "AttemptEndedError",
    "AttemptState",
    "Batch",
    "BatchError",
    "Completeness",
    "IngestResult",
    "OriginNotAllowedError",
    "Rejected",
    "TaskStatus",
    "attempt_state",
    "check_origin",
    "completeness",
    "ingest",
    "ingest_many",
    "origin_of",
    "parse_batch",
    "task_status",
    "validate_event",
]
