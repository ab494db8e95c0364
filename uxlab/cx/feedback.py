"""A customer's answers through a channel: checked whole, then stored at once.

A link may carry answers (``?nps=9``) and hidden fields (``?order=A-17``);
the page that follows posts the rest. Each request is validated as a whole:
one answer out of range refuses the request (422, with a reason per field)
and stores nothing of it. Stored answers are one upsert keyed on the channel
and the browser (``client_key``), so a second click of the same link, or a
retried form, changes that browser's row instead of adding one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from uxlab.cx import followups
from uxlab.cx.models import CxChannel, CxResponse, CxSurvey, CxTouchpoint
from uxlab.db import begin_write, insert_for
from uxlab.models import utcnow
from uxlab.tokens import hash_token

__all__ = [
    "SCALES",
    "Answers",
    "count_by_channel",
    "latest_open_answers",
    "LinkState",
    "Opened",
    "month_of",
    "open_link",
    "parse_answers",
    "record",
    "record_once",
    "week_of",
]

#: Each rating block's lowest and highest point (as in uxlab.questionnaires).
SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "seq": (1, 7),
}
#: Longest open answer and hidden field value kept.
MAX_OPEN = 5000
MAX_HIDDEN = 200


class LinkState(enum.StrEnum):
    open = "open"
    unknown = "unknown"
    survey_deleted = "survey_deleted"
    disabled = "disabled"


@dataclass(frozen=True, slots=True)
class Opened:
    state: LinkState
    channel: CxChannel | None = None
    survey: CxSurvey | None = None
    touchpoint: CxTouchpoint | None = None


@dataclass(frozen=True, slots=True)
class Answers:
    ratings: dict[str, int]
    open_text: str | None
    hidden: dict[str, str]
    #: Field name to reason, for each value refused.
    errors: dict[str, str]


def open_link(db: Session, token: str) -> Opened:
    """What a feedback link leads to, and whether it takes answers."""
    # One statement: the widget's every answer opens its link first.
    found = db.exec(
        select(CxChannel, CxSurvey, CxTouchpoint)
        .join(CxSurvey, CxSurvey.id == CxChannel.survey_id)  # type: ignore[arg-type]
        .join(CxTouchpoint, CxTouchpoint.id == CxSurvey.touchpoint_id)  # type: ignore[arg-type]
        .where(CxChannel.token_hash == hash_token(token))
    ).first()
    if found is None:
        return Opened(LinkState.unknown)
    channel, survey, touchpoint = found
    if survey.deleted_at is not None:
        return Opened(LinkState.survey_deleted, channel, survey, touchpoint)
    if not touchpoint.enabled:
        return Opened(LinkState.disabled, channel, survey, touchpoint)
    return Opened(LinkState.open, channel, survey, touchpoint)


def parse_answers(survey: CxSurvey, values: Mapping[str, str]) -> Answers:
    """The survey's answers and hidden fields among ``values``; others are ignored.

    An empty value means "not answered" (a form's untouched question).
    """
    ratings: dict[str, int] = {}
    errors: dict[str, str] = {}
    for block in survey.blocks:
        if block not in SCALES or block not in values:
            continue
        raw = values[block].strip()
        if raw == "":
            continue
        lo, hi = SCALES[block]
        if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
            errors[block] = (
                f"{block.upper()} takes a whole number from {lo} to {hi}; "
                f"got {raw[:20]!r}."
            )
            continue
        ratings[block] = int(raw)
    open_text: str | None = None
    if "open" in survey.blocks and values.get("open_text", "").strip():
        open_text = values["open_text"].strip()
        if len(open_text) > MAX_OPEN:
            errors["open_text"] = f"The answer is longer than {MAX_OPEN} characters."
            open_text = None
    hidden: dict[str, str] = {}
    for name in survey.hidden_fields:
        value = values.get(name)
        if value is None or value == "":
            continue
        if len(value) > MAX_HIDDEN:
            errors[name] = (
                f"The hidden field {name} is longer than {MAX_HIDDEN} characters."
            )
            continue
        hidden[name] = value
    return Answers(ratings, open_text, hidden, errors)


def week_of(moment: datetime) -> date:
    """The Monday of the (UTC) week of ``moment``."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def month_of(moment: datetime) -> date:
    return moment.date().replace(day=1)


def _row(
    opened: Opened, client_key: str, answers: Answers, moment: datetime
) -> dict[str, Any]:
    """The values of a new response row for these answers."""
    channel, survey = opened.channel, opened.survey
    assert channel is not None and survey is not None and channel.id is not None
    changes: dict[str, Any] = dict(answers.ratings)
    if answers.open_text is not None:
        changes["open_text"] = answers.open_text
    return {
        "touchpoint_id": survey.touchpoint_id,
        "survey_id": survey.id,
        "channel_id": channel.id,
        "client_key": client_key,
        "created_at": moment,
        "updated_at": moment,
        "week": week_of(moment),
        "month": month_of(moment),
        "hidden": dict(answers.hidden),
        **changes,
    }


def record(
    db: Session,
    opened: Opened,
    client_key: str,
    answers: Answers,
    *,
    at: datetime | None = None,
) -> CxResponse | None:
    """Store the answers for this browser and channel (one statement); None if none.

    Answers already stored and not repeated here are kept; hidden fields are
    merged. ``at`` places the answer in time (the demo and tests back-date).
    """
    assert not answers.errors and opened.state is LinkState.open
    channel = opened.channel
    assert channel is not None and channel.id is not None
    if not answers.ratings and answers.open_text is None:
        return None  # hidden fields alone are no response; the form carries them
    moment = at or utcnow()
    values = _row(opened, client_key, answers, moment)
    # The hidden fields are merged with what is stored: read and write under
    # the write lock, or two answers from one browser at once would lose one's
    # fields (and on SQLite the read could not become a write at all).
    begin_write(db)
    try:
        existing = db.exec(
            select(CxResponse).where(
                CxResponse.channel_id == channel.id,
                CxResponse.client_key == client_key,
            )
        ).first()
        values["hidden"] = {**(existing.hidden if existing else {}), **answers.hidden}
        changes = {k: values[k] for k in (*SCALES, "open_text") if k in values}
        table = CxResponse.__table__  # type: ignore[attr-defined]
        statement = insert_for(db.get_bind().dialect.name, table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["channel_id", "client_key"],
            set_={"updated_at": moment, "hidden": values["hidden"], **changes},
        )
        db.execute(statement)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    stored = db.exec(
        select(CxResponse).where(
            CxResponse.channel_id == channel.id, CxResponse.client_key == client_key
        )
    ).one()
    _follow_up(db, stored)
    return stored


def _follow_up(db: Session, stored: CxResponse) -> None:
    """Open a follow-up for an unhappy answer with a reference, and announce it."""
    made = followups.consider(db, stored)
    if made is not None:
        from uxlab.cx.jobs import notify_new

        notify_new(db, made)


def record_once(
    db: Session,
    opened: Opened,
    client_key: str,
    answers: Answers,
    *,
    at: datetime | None = None,
) -> bool:
    """Store a whole answer once per channel and ``client_key``; False if it was.

    Unlike :func:`record`, an answer already stored is left as it is: the
    widget sends each answer whole under its own id, so a second arrival is
    the same answer sent again (a retry after a lost acknowledgement), never
    a change. One ``INSERT ... ON CONFLICT DO NOTHING``, as the recorder's
    events, so two arrivals racing store one row on SQLite and PostgreSQL.
    """
    assert not answers.errors and opened.state is LinkState.open
    values = _row(opened, client_key, answers, at or utcnow())
    table = CxResponse.__table__  # type: ignore[attr-defined]
    dialect = db.get_bind().dialect.name
    if dialect == "sqlite":
        # The request has read (the channel) in a deferred transaction; SQLite
        # cannot upgrade that to a write while another writes ("database is
        # locked", no wait), so the write starts anew holding the lock.
        begin_write(db)
    statement = (
        insert_for(dialect, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["channel_id", "client_key"])
        .returning(table.c.id)
    )
    row = db.execute(statement).first()
    db.commit()
    if row is None:
        return False
    if not values["hidden"]:
        return True  # no customer reference: no follow-up to consider
    made = db.get(CxResponse, row[0])
    if made is not None:
        _follow_up(db, made)
    return True


def count_by_channel(db: Session, survey_ids: list[int]) -> dict[str, int]:
    """How many responses each channel kind brought, over these surveys."""
    rows = db.exec(
        select(CxChannel.kind, func.count(CxResponse.id))  # type: ignore[arg-type]
        .join(CxResponse, CxResponse.channel_id == CxChannel.id)  # type: ignore[arg-type]
        .where(CxChannel.survey_id.in_(survey_ids))  # type: ignore[attr-defined]
        .group_by(CxChannel.kind)
    ).all()
    return {str(kind): int(n) for kind, n in rows}


def latest_open_answers(
    db: Session, touchpoint_id: int, *, limit: int = 20
) -> list[tuple[CxResponse, str]]:
    """The touchpoint's newest answers with open text, each with its channel kind."""
    rows = db.exec(
        select(CxResponse, CxChannel.kind)
        .join(CxChannel, CxChannel.id == CxResponse.channel_id)  # type: ignore[arg-type]
        .where(
            CxResponse.touchpoint_id == touchpoint_id,
            CxResponse.open_text.is_not(None),  # type: ignore[union-attr]
        )
        .order_by(CxResponse.updated_at.desc(), CxResponse.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(limit)
    ).all()
    return [(response, str(kind)) for response, kind in rows]
