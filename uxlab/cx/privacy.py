"""Customers' personal data in feedback: deleting a customer's answers.

Answers are anonymous unless a channel passes a customer reference in a hidden
field (``?customer=C-1042``). When that customer asks to be forgotten, every
answer of the workspace that carries the reference, in any hidden field of any
of its surveys (deleted ones included), is deleted in one write transaction.
The activity log keeps how many were deleted, never the reference itself.
"""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from uxlab.cx.models import CxJourney, CxResponse, CxSurvey, CxTouchpoint
from uxlab.db import begin_write
from uxlab.errors import UxlabError
from uxlab.workspaces.activity_log import record as log_activity

__all__ = ["delete_by_reference"]

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
