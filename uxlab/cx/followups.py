"""Closing the loop: a follow-up for each unhappy answer from a known customer.

A response is unhappy when its NPS is 0-6 (a detractor), its CSAT 1-2 or its
CES 5-7 (hard work). When it is, and it carries the journey's customer
reference (the hidden field the journey's follow-up rules name), one
follow-up is made for it: who answered, what they said, an assignee, a
status (open, contacted, resolved) and notes. The time to first contact runs
from the answer to the first move away from "open"; the time to resolution
to "resolved". A journey can name a webhook; each new follow-up is posted to
it as JSON (Slack-compatible ``text`` plus the details) by the job queue.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab.cx.followup_models import (
    CxFollowup,
    CxFollowupNote,
    CxFollowupSettings,
    FollowupStatus,
)
from uxlab.cx.models import CxJourney, CxResponse, CxTouchpoint
from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import Researcher, utcnow

__all__ = [
    "FollowupRow",
    "Timing",
    "FollowupError",
    "add_note",
    "consider",
    "get_followup",
    "list_followups",
    "notes_of",
    "open_counts",
    "rules_problem",
    "save_settings",
    "set_assignee",
    "set_status",
    "settings_for",
    "span_words",
    "timing",
    "unhappy_reason",
    "webhook_payload",
]

#: Longest note kept.
MAX_NOTE = 5000
_URL = re.compile(r"^https?://[^\s/]+\S*$")


class FollowupError(UxlabError):
    """A follow-up change that cannot be made; the message says why."""


def unhappy_reason(response: CxResponse) -> str | None:
    """Why ``response`` needs a follow-up ("NPS 3 (detractor)"), or None."""
    reasons = []
    if response.nps is not None and response.nps <= 6:
        reasons.append(f"NPS {response.nps} (detractor)")
    if response.csat is not None and response.csat <= 2:
        reasons.append(f"CSAT {response.csat} of 5")
    if response.ces is not None and response.ces >= 5:
        reasons.append(f"CES {response.ces} of 7 (hard work)")
    return ", ".join(reasons) or None


def settings_for(db: Session, journey_id: int) -> CxFollowupSettings:
    """The journey's follow-up rules (defaults when none were saved)."""
    return db.get(CxFollowupSettings, journey_id) or CxFollowupSettings(
        journey_id=journey_id
    )


def rules_problem(reference_field: str, webhook_url: str) -> str | None:
    """What is wrong with these follow-up rules, or None."""
    field, url = reference_field, webhook_url
    if field and not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", field):
        return (
            f"{field!r} is not a hidden field's name: lowercase letters, digits "
            "and underscores, starting with a letter."
        )
    if url and (not _URL.match(url) or len(url) > 500):
        return "The webhook must be an http:// or https:// address."
    return None


def save_settings(
    db: Session, journey: CxJourney, reference_field: str, webhook_url: str
) -> CxFollowupSettings:
    """Save which hidden field names the customer, and the webhook (both optional)."""
    field, url = reference_field.strip().lower(), webhook_url.strip()
    problem = rules_problem(field, url)
    if problem is not None:
        raise FollowupError(problem)
    assert journey.id is not None
    begin_write(db)
    try:
        found = db.get(CxFollowupSettings, journey.id) or CxFollowupSettings(
            journey_id=journey.id
        )
        found.reference_field = field
        found.webhook_url = url
        db.add(found)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return found


def consider(db: Session, response: CxResponse) -> CxFollowup | None:
    """Make the response's follow-up if it is unhappy and names a customer.

    At most one per response: an answer changed later (a second click) keeps
    the follow-up it already has. Returns the follow-up made now, or None.
    """
    reason = unhappy_reason(response)
    if reason is None or response.id is None:
        return None
    touchpoint = db.get(CxTouchpoint, response.touchpoint_id)
    if touchpoint is None:
        return None
    rules = db.get(CxFollowupSettings, touchpoint.journey_id)
    if rules is None or not rules.reference_field:
        return None
    reference = str(response.hidden.get(rules.reference_field, "")).strip()
    if not reference:
        return None
    begin_write(db)
    try:
        if db.exec(
            select(CxFollowup.id).where(CxFollowup.response_id == response.id)
        ).first():
            db.rollback()
            return None
        made = CxFollowup(
            journey_id=touchpoint.journey_id,
            touchpoint_id=touchpoint.id or 0,
            response_id=response.id,
            reference=reference[:200],
            reason=reason,
            created_at=response.created_at,
        )
        db.add(made)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return made


@dataclass(frozen=True, slots=True)
class FollowupRow:
    """A follow-up as its list and page show it."""

    followup: CxFollowup
    response: CxResponse
    touchpoint: str
    journey: str
    assignee: str | None


def _rows(db: Session, query: Any) -> list[FollowupRow]:
    found = db.exec(query).all()
    names = {
        r.id: (r.name or r.email)
        for r in db.exec(
            select(Researcher).where(
                col(Researcher.id).in_(
                    {f.assignee_id for f, *_ in found if f.assignee_id}
                )
            )
        ).all()
    }
    return [
        FollowupRow(f, response, tp, journey, names.get(f.assignee_id or -1))
        for f, response, tp, journey in found
    ]


def _base(workspace_id: int) -> Any:
    return (
        select(CxFollowup, CxResponse, CxTouchpoint.name, CxJourney.name)
        .join(CxResponse, col(CxResponse.id) == col(CxFollowup.response_id))
        .join(CxTouchpoint, col(CxTouchpoint.id) == col(CxFollowup.touchpoint_id))
        .join(CxJourney, col(CxJourney.id) == col(CxFollowup.journey_id))
        .where(CxJourney.workspace_id == workspace_id)
    )


def list_followups(
    db: Session,
    workspace_id: int,
    *,
    status: str | None = None,
    assignee_id: int | None = None,
    limit: int = 500,
) -> list[FollowupRow]:
    """The workspace's follow-ups, newest first, optionally one status or person."""
    query = _base(workspace_id)
    if status:
        query = query.where(CxFollowup.status == status)
    if assignee_id is not None:
        query = query.where(CxFollowup.assignee_id == assignee_id)
    query = query.order_by(col(CxFollowup.created_at).desc(), col(CxFollowup.id).desc())
    return _rows(db, query.limit(limit))


def get_followup(db: Session, workspace_id: int, followup_id: int) -> FollowupRow:
    rows = _rows(db, _base(workspace_id).where(CxFollowup.id == followup_id))
    if not rows:
        raise NotFoundError(f"no follow-up {followup_id}")
    return rows[0]


def notes_of(db: Session, followup_id: int) -> list[tuple[CxFollowupNote, str]]:
    """The follow-up's notes, oldest first, each with its author's name."""
    rows = db.exec(
        select(CxFollowupNote, Researcher)
        .join(
            Researcher,
            col(Researcher.id) == col(CxFollowupNote.author_id),
            isouter=True,
        )
        .where(CxFollowupNote.followup_id == followup_id)
        .order_by(col(CxFollowupNote.created_at), col(CxFollowupNote.id))
    ).all()
    return [
        (note, (who.name or who.email) if who else "a former member")
        for note, who in rows
    ]


def _change(db: Session, followup: CxFollowup) -> CxFollowup:
    begin_write(db)
    fresh = db.get(CxFollowup, followup.id)
    if fresh is None:
        db.rollback()
        raise NotFoundError(f"no follow-up {followup.id}")
    return fresh


def set_status(db: Session, followup: CxFollowup, status: str) -> CxFollowup:
    """Move the follow-up on (or back); the first move from open is first contact."""
    try:
        wanted = FollowupStatus(status)
    except ValueError:
        raise FollowupError(
            "A follow-up's status is open, contacted or resolved."
        ) from None
    fresh = _change(db, followup)
    try:
        now = utcnow()
        if wanted is not FollowupStatus.open and fresh.first_contact_at is None:
            fresh.first_contact_at = now
        if wanted is FollowupStatus.resolved:
            fresh.resolved_at = fresh.resolved_at or now
        else:
            fresh.resolved_at = None
        fresh.status = wanted.value
        db.add(fresh)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return fresh


def set_assignee(
    db: Session, followup: CxFollowup, assignee_id: int | None, allowed: Sequence[int]
) -> CxFollowup:
    """Give the follow-up to a member of the workspace (or to nobody)."""
    if assignee_id is not None and assignee_id not in allowed:
        raise FollowupError("Follow-ups go to members of this workspace.")
    fresh = _change(db, followup)
    try:
        fresh.assignee_id = assignee_id
        db.add(fresh)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return fresh


def add_note(
    db: Session, followup: CxFollowup, text: str, author_id: int | None
) -> CxFollowupNote:
    """Keep a note, verbatim (it is escaped where shown)."""
    if not text.strip():
        raise FollowupError("The note is empty.")
    if len(text) > MAX_NOTE:
        raise FollowupError(f"A note is at most {MAX_NOTE} characters long.")
    _change(db, followup)
    try:
        note = CxFollowupNote(
            followup_id=followup.id or 0, author_id=author_id, text=text
        )
        db.add(note)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return note


@dataclass(frozen=True, slots=True)
class Timing:
    """Medians over the follow-ups listed: to first contact and to resolution."""

    contacted: int
    to_contact: timedelta | None
    resolved: int
    to_resolve: timedelta | None


def _median(spans: list[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return timedelta(seconds=statistics.median(s.total_seconds() for s in spans))


def timing(rows: Sequence[FollowupRow]) -> Timing:
    contact = [
        r.followup.first_contact_at - r.followup.created_at
        for r in rows
        if r.followup.first_contact_at is not None
    ]
    resolve = [
        r.followup.resolved_at - r.followup.created_at
        for r in rows
        if r.followup.resolved_at is not None
    ]
    return Timing(len(contact), _median(contact), len(resolve), _median(resolve))


def open_counts(db: Session, touchpoint_ids: Sequence[int]) -> dict[int, int]:
    """Open follow-ups per touchpoint (one query)."""
    if not touchpoint_ids:
        return {}
    rows = db.exec(
        select(CxFollowup.touchpoint_id, func.count(col(CxFollowup.id)))
        .where(
            col(CxFollowup.touchpoint_id).in_(touchpoint_ids),
            CxFollowup.status == FollowupStatus.open.value,
        )
        .group_by(col(CxFollowup.touchpoint_id))
    ).all()
    return {int(t): int(n) for t, n in rows}


def webhook_payload(row: FollowupRow, link: str) -> dict[str, Any]:
    """The JSON posted for a new follow-up; ``text`` alone suits Slack."""
    f, r = row.followup, row.response
    said = f': "{r.open_text}"' if r.open_text else ""
    return {
        "text": (
            f"New follow-up at {row.journey} / {row.touchpoint}: customer "
            f"{f.reference}, {f.reason}{said}. {link}"
        ),
        "followup": {
            "id": f.id,
            "url": link,
            "journey": row.journey,
            "touchpoint": row.touchpoint,
            "reference": f.reference,
            "reason": f.reason,
            "status": f.status,
            "created_at": _iso(f.created_at),
        },
        "answers": {
            "nps": r.nps,
            "csat": r.csat,
            "ces": r.ces,
            "seq": r.seq,
            "open": r.open_text,
            "hidden": dict(r.hidden),
        },
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def span_words(span: timedelta | None) -> str:
    """A waiting time as people say it, to two units.

    >>> span_words(timedelta(days=2, hours=4, minutes=9))
    '2 days 4 hours'
    >>> span_words(timedelta(minutes=25))
    '25 minutes'
    """
    if span is None:
        return "–"
    minutes = max(int(span.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{value} {unit}{'s' if value != 1 else ''}"
        for value, unit in ((days, "day"), (hours, "hour"), (mins, "minute"))
        if value
    ]
    return " ".join(parts[:2]) or "under a minute"
