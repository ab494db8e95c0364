"""Customers' personal data in feedback: retention, and deleting a customer's answers.

A survey may keep its answers for a number of days; older ones are deleted by
:func:`prune_expired`, which the worker runs every hour (``uxlab serve`` on
the embedded SQLite default runs a worker of its own).

Answers are anonymous unless a channel passes a customer reference in a hidden
field (``?customer=C-1042``). When that customer asks to be forgotten, every
answer of the workspace that carries the reference, in any hidden field of any
of its surveys (deleted ones included), is deleted in one write transaction.
The activity log keeps how many were deleted, never the reference itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from uxlab.cx.models import CxJourney, CxResponse, CxSurvey, CxTouchpoint
from uxlab.db import begin_write
from uxlab.errors import UxlabError
from uxlab.models import utcnow
from uxlab.workspaces.activity_log import record as log_activity

__all__ = [
    "MAX_RETENTION_DAYS",
    "delete_by_reference",
    "prune_expired",
    "set_retention",
]

#: Longest retention a survey may set (ten years).
MAX_RETENTION_DAYS = 3650
#: Longest reference accepted: a hidden field's value is at most this long too.
MAX_REFERENCE = 200


def delete_by_reference(
    db: Session, workspace_id: int, reference: str, *, by: int | None
) -> int:
    """Delete the workspace's answers whose hidden fields carry ``reference``.

    Returns how many answers were deleted. A blank or over-long reference is
    refused with a :class:`~uxlab.errors.UxlabError` and nothing is changed.
    """
    reference = reference.strip()
    if not reference:
        raise UxlabError("Enter the customer reference whose answers to delete.")
    if len(reference) > MAX_REFERENCE:
        raise UxlabError(
            f"A customer reference is at most {MAX_REFERENCE} characters long."
        )
    begin_write(db)
    try:
        touchpoints = (
            select(CxTouchpoint.id)
            .join(CxJourney, col(CxJourney.id) == col(CxTouchpoint.journey_id))
            .where(CxJourney.workspace_id == workspace_id)
        )
        fields: set[str] = set()
        for names in db.exec(
            select(CxSurvey.hidden_fields).where(
                col(CxSurvey.touchpoint_id).in_(touchpoints)
            )
        ).all():
            fields.update(names)
        deleted = 0
        if fields:
            hidden = col(CxResponse.hidden)
            matches = or_(*(hidden[f].as_string() == reference for f in sorted(fields)))
            result = db.exec(
                delete(CxResponse).where(
                    col(CxResponse.touchpoint_id).in_(touchpoints), matches
                )
            )
            deleted = int(result.rowcount or 0)
        log_activity(
            db,
            workspace_id,
            by,
            "customer_answers_deleted",
            f"{deleted} customer answer{'s' if deleted != 1 else ''}",
            answers=deleted,
        )
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return deleted


def set_retention(db: Session, survey: CxSurvey, raw: str) -> int | None:
    """Keep the survey's answers for ``raw`` days ("" keeps them for good)."""
    text = raw.strip()
    days: int | None = None
    if text:
        if not text.isdigit() or not 1 <= int(text) <= MAX_RETENTION_DAYS:
            raise UxlabError(
                f"Retention is a number of days from 1 to {MAX_RETENTION_DAYS}, "
                "or empty to keep answers."
            )
        days = int(text)
    begin_write(db)
    try:
        fresh = db.get(CxSurvey, survey.id)
        assert fresh is not None
        fresh.retention_days = days
        db.add(fresh)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return days


def prune_expired(db: Session, now: datetime | None = None) -> int:
    """Delete answers older than their survey's retention; returns how many."""
    now = now or utcnow()
    surveys = db.exec(
        select(CxSurvey.id, CxSurvey.retention_days).where(
            col(CxSurvey.retention_days).is_not(None)
        )
    ).all()
    if not surveys:
        return 0
    begin_write(db)
    deleted = 0
    try:
        for survey_id, days in surveys:
            result = db.exec(
                delete(CxResponse).where(
                    col(CxResponse.survey_id) == survey_id,
                    col(CxResponse.created_at) < now - timedelta(days=days or 0),
                )
            )
            deleted += int(result.rowcount or 0)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return deleted
