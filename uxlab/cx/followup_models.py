"""The tables that close the loop: follow-ups on unhappy answers, and their notes.

A follow-up is made once per response, when the response is unhappy (an NPS
detractor, CSAT 1-2, CES 5-7) and carries the journey's customer reference in
a hidden field. It keeps the reference it was made for, so deleting a
customer's answers by reference deletes their follow-ups too (the response row
goes, and the follow-up with it).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from uxlab.models import utcnow

__all__ = [
    "CxFollowup",
    "CxFollowupNote",
    "CxFollowupSettings",
    "FollowupStatus",
]


class FollowupStatus(enum.StrEnum):
    open = "open"
    contacted = "contacted"
    resolved = "resolved"


class CxFollowupSettings(SQLModel, table=True):
    """A journey's follow-up rules: the hidden field naming the customer, a hook."""

    journey_id: int = Field(
        foreign_key="cxjourney.id", primary_key=True, ondelete="CASCADE"
    )
    #: The hidden field that carries the customer's reference; "" makes none.
    reference_field: str = Field(default="", max_length=40)
    #: Where new follow-ups are POSTed as JSON; "" sends nothing.
    webhook_url: str = Field(default="", max_length=500)


class CxFollowup(SQLModel, table=True):
    """One unhappy answer someone should get back to."""

    id: int | None = Field(default=None, primary_key=True)
    journey_id: int = Field(foreign_key="cxjourney.id", index=True, ondelete="CASCADE")
    touchpoint_id: int = Field(
        foreign_key="cxtouchpoint.id", index=True, ondelete="CASCADE"
    )
    response_id: int = Field(
        foreign_key="cxresponse.id", unique=True, ondelete="CASCADE"
    )
    reference: str = Field(max_length=200)
    #: Why it was made, as a reader says it: "NPS 3 (detractor)".
    reason: str = Field(max_length=120)
    #: A :class:`FollowupStatus` value.
    status: str = Field(default=FollowupStatus.open.value, max_length=12)
    assignee_id: int | None = Field(
        default=None, foreign_key="researcher.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow)
    #: When it first left "open": the time to first contact ends here.
    first_contact_at: datetime | None = None
    resolved_at: datetime | None = None
    #: How posting it to the journey's webhook went, when there is one.
    notified: str | None = Field(default=None, max_length=500)


class CxFollowupNote(SQLModel, table=True):
    """What someone noted while following up."""

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(
        foreign_key="cxfollowup.id", index=True, ondelete="CASCADE"
    )
    author_id: int | None = Field(
        default=None, foreign_key="researcher.id", ondelete="SET NULL"
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
