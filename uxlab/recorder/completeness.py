"""Completeness: which events of an attempt arrived, and the gaps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from uxlab.models import (
    TaskAttempt,
)
from uxlab.recorder.base import (
    _EVENT,
)


@dataclass(frozen=True, slots=True)
class Completeness:
    """How complete one attempt's recording is.

    ``missing`` counts sequence numbers never received between the first and
    the highest one stored (events lost for good, or still queued in a
    browser); ``gaps`` lists them as ``(first, last)`` ranges.
    """

    attempt_id: int
    events: int
    first_seq: int | None
    last_seq: int | None
    missing: int
    gaps: list[tuple[int, int]] = field(default_factory=list)
    duplicates: int = 0
    rejected: int = 0

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.rejected == 0


def _gaps(seqs: Sequence[int]) -> list[tuple[int, int]]:
    """Missing runs in sorted, distinct sequence numbers starting from 1.

    >>> _gaps([1, 2, 5, 6, 9])
    [(3, 4), (7, 8)]
    >>> _gaps([3])
    [(1, 2)]
    """
    out = []
    expected = 1
    for s in seqs:
        if s > expected:
            out.append((expected, s - 1))
        expected = max(expected, s + 1)
    return out


def completeness(
    session: Session, attempt_ids: Iterable[int]
) -> dict[int, Completeness]:
    """Recording completeness of each attempt: gaps, duplicates, rejects."""
    ids = list(attempt_ids)
    if not ids:
        return {}
    # Each tab or device numbers its own events: gaps are found per recording.
    seqs: dict[tuple[int, str], list[int]] = {}
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    for attempt_id, recording, seq in session.execute(
        select(_EVENT.c.attempt_id, _EVENT.c.recording, _EVENT.c.seq)
        .where(_EVENT.c.attempt_id.in_(ids))
        .order_by(_EVENT.c.attempt_id, _EVENT.c.recording, _EVENT.c.seq)
    ).all():
        counts[attempt_id] += 1
        run = seqs.setdefault((attempt_id, recording or ""), [])
        if seq > 0 and (not run or run[-1] != seq):
            run.append(seq)
    out = {}
    for attempt_id, dup, rej in session.execute(
        select(
            col(TaskAttempt.id),
            col(TaskAttempt.duplicate_events),
            col(TaskAttempt.rejected_events),
        ).where(col(TaskAttempt.id).in_(ids))
    ).all():
        runs = [run for (owner, _), run in sorted(seqs.items()) if owner == attempt_id]
        s = sorted({n for run in runs for n in run})
        gaps = [gap for run in runs for gap in _gaps(run)]
        out[attempt_id] = Completeness(
            attempt_id=attempt_id,
            events=counts[attempt_id],
            first_seq=s[0] if s else None,
            last_seq=s[-1] if s else None,
            missing=sum(b - a + 1 for a, b in gaps),
            gaps=gaps,
            duplicates=dup,
            rejected=rej,
        )
    return out
