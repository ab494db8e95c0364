"""A touchpoint's answers as tidy CSV: one row per answer, with its channel,
scores, open answer and codes, and (for members who may see customers' own
data) the hidden fields the channel passed in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Final

from sqlmodel import Session, col, select

from uxlab.coding import Code, CxResponseCode
from uxlab.cx.models import CxChannel, CxJourney, CxResponse, CxStage, CxTouchpoint
from uxlab.export import neutralise

__all__ = ["COLUMNS", "answers_csv", "nps_group"]

#: The columns every export has; ``hidden.<field>`` columns follow when shown.
COLUMNS: Final = (
    "journey",
    "stage",
    "touchpoint",
    "answer",
    "channel",
    "answered_at",
    "updated_at",
    "week",
    "month",
    "nps",
    "nps_group",
    "csat",
    "ces",
    "seq",
    "open_text",
    "codes",
)

#: Answers read from the database at a time.
_BATCH = 2000


def nps_group(answer: int | None) -> str:
    """The NPS group of a 0-10 answer (Reichheld 2003).

    >>> [nps_group(a) for a in (0, 6, 7, 8, 9, 10, None)]
    ['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter', '']
    """
    if answer is None:
        return ""
    return "promoter" if answer >= 9 else "passive" if answer >= 7 else "detractor"


def _codes(db: Session, touchpoint_id: int) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for response_id, label in db.exec(
        select(CxResponseCode.subject_id, Code.label)
        .join(Code, col(Code.id) == col(CxResponseCode.code_id))
        .join(CxResponse, col(CxResponse.id) == col(CxResponseCode.subject_id))
        .where(CxResponse.touchpoint_id == touchpoint_id)
        .order_by(col(Code.label))
    ).all():
        found.setdefault(int(response_id), []).append(str(label))
    return found


def _hidden_names(db: Session, touchpoint_id: int, declared: list[str]) -> list[str]:
    """The survey's hidden fields, then any an older version of it passed in."""
    seen = dict.fromkeys(declared)
    for hidden in db.exec(
        select(CxResponse.hidden).where(CxResponse.touchpoint_id == touchpoint_id)
    ):
        seen.update(dict.fromkeys(hidden or {}))
    return list(seen)


def answers_csv(
    db: Session,
    touchpoint: CxTouchpoint,
    *,
    hidden_fields: list[str] | None,
) -> Iterator[str]:
    """The touchpoint's answers, oldest first, as CSV text in pieces; every
    text cell is safe to open in a spreadsheet. ``hidden_fields`` is None to
    leave the hidden fields out, or the survey's declared ones."""
    assert touchpoint.id is not None
    stage = db.get(CxStage, touchpoint.stage_id)
    journey = db.get(CxJourney, touchpoint.journey_id)
    place = (
        journey.name if journey else "",
        stage.name if stage else "",
        touchpoint.name,
    )
    kinds = {
        channel.id: channel.kind
        for channel in db.exec(
            select(CxChannel)
            .join(CxResponse, col(CxResponse.channel_id) == col(CxChannel.id))
            .where(CxResponse.touchpoint_id == touchpoint.id)
            .distinct()
        )
    }
    codes = _codes(db, touchpoint.id)
    names = (
        None
        if hidden_fields is None
        else _hidden_names(db, touchpoint.id, hidden_fields)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, *(f"hidden.{n}" for n in names or [])])
    last = 0
    while True:
        batch = db.exec(
            select(CxResponse)
            .where(CxResponse.touchpoint_id == touchpoint.id, col(CxResponse.id) > last)
            .order_by(col(CxResponse.id))
            .limit(_BATCH)
        ).all()
        if not batch:
            break
        for r in batch:
            assert r.id is not None
            row = [
                *place,
                r.id,
                kinds.get(r.channel_id, ""),
                r.created_at.isoformat(timespec="seconds"),
                r.updated_at.isoformat(timespec="seconds"),
                r.week.isoformat(),
                r.month.isoformat(),
                r.nps,
                nps_group(r.nps),
                r.csat,
                r.ces,
                r.seq,
                r.open_text or "",
                " | ".join(codes.get(r.id, [])),
                *((r.hidden or {}).get(n, "") for n in names or []),
            ]
            writer.writerow(neutralise(v) for v in row)
        last = batch[-1].id or last
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()
