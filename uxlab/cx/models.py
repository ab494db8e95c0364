"""The CX tables: a workspace's journeys and the feedback its touchpoints collect.

A journey has ordered stages; a stage has ordered touchpoints. A touchpoint has
at most one live survey (``deleted_at`` is None); a deleted survey is kept so
that its links can still say politely that it has ended. Each survey has one
channel per kind (link, QR code, web widget), each with its own secret token,
so answers are counted per channel. A channel's token is derived as in
:mod:`uxlab.invites`: only its nonce and its SHA-256 hash are stored.

A response is one browser's answers through one channel; ``client_key`` (the
hash of a random id kept in that browser's cookie) makes a second click of the
same link update the same row instead of adding one. For the web widget it is
the hash of the answer's own id, made in the browser, so an answer sent again
is stored once. ``week`` and ``month`` (the Monday and the first day of the
period, in UTC) are stored with the answer so that trends group by a plain,
indexed column on SQLite and PostgreSQL alike."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from uxlab.models import utcnow

__all__ = [
    "BLOCKS",
    "ChannelKind",
    "CxChannel",
    "CxJourney",
    "CxResponse",
    "CxStage",
    "CxSurvey",
    "CxTouchpoint",
]

#: The question blocks a touchpoint survey may use, in the order asked.
BLOCKS: tuple[str, ...] = ("nps", "csat", "ces", "seq", "open")


class ChannelKind(enum.StrEnum):
    link = "link"
    qr = "qr"
    widget = "widget"


class CxJourney(SQLModel, table=True):
    """A customer journey of a workspace, such as "Buy online"."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        foreign_key="workspace.id", index=True, ondelete="CASCADE"
    )
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class CxStage(SQLModel, table=True):
    """A stage of a journey (Discover, Buy, Get help, ...), left to right."""

    id: int | None = Field(default=None, primary_key=True)
    journey_id: int = Field(foreign_key="cxjourney.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    position: int = 0


class CxTouchpoint(SQLModel, table=True):
    """A place where a customer meets the product: a page, an email, a counter."""

    id: int | None = Field(default=None, primary_key=True)
    journey_id: int = Field(foreign_key="cxjourney.id", index=True, ondelete="CASCADE")
    stage_id: int = Field(foreign_key="cxstage.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    position: int = 0
    #: A disabled touchpoint takes no answers (its links answer 410).
    enabled: bool = True
    #: Sites (``https://shop.example.com``) whose pages may show the web widget.
    allowed_origins: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    #: The web widget's trigger, sampling and throttling
    #: (:class:`uxlab.cx.widget.WidgetSettings` as a mapping; empty: defaults).
    widget: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class CxSurvey(SQLModel, table=True):
    """The short questionnaire of one touchpoint."""

    id: int | None = Field(default=None, primary_key=True)
    touchpoint_id: int = Field(
        foreign_key="cxtouchpoint.id", index=True, ondelete="CASCADE"
    )
    #: Names from :data:`BLOCKS`, in the order asked.
    blocks: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    #: The open question's wording (used when "open" is among the blocks).
    open_question: str = Field(default="", max_length=500)
    #: Names of hidden fields a channel may pass in the link (order id, plan ...).
    hidden_fields: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    #: Set when the survey is deleted; its links then show a polite page.
    deleted_at: datetime | None = None
    #: Answers older than this many days are deleted; None keeps them.
    retention_days: int | None = None


class CxChannel(SQLModel, table=True):
    """One way a survey reaches customers; answers are counted per channel."""

    __table_args__ = (UniqueConstraint("survey_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="cxsurvey.id", index=True, ondelete="CASCADE")
    #: A :class:`ChannelKind` value.
    kind: str = Field(max_length=8)
    nonce: str = Field(max_length=64)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class CxResponse(SQLModel, table=True):
    """One browser's answers to a touchpoint survey through one channel."""

    __table_args__ = (
        UniqueConstraint("channel_id", "client_key"),
        Index("ix_cxresponse_touchpoint_week", "touchpoint_id", "week"),
        Index("ix_cxresponse_touchpoint_month", "touchpoint_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    touchpoint_id: int = Field(foreign_key="cxtouchpoint.id", ondelete="CASCADE")
    survey_id: int = Field(foreign_key="cxsurvey.id", index=True, ondelete="CASCADE")
    channel_id: int = Field(foreign_key="cxchannel.id", index=True, ondelete="CASCADE")
    #: SHA-256 of the browser's random id: the same browser, the same row.
    client_key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    week: date
    month: date
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    seq: int | None = None
    open_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    hidden: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


# The tables of the CX features built on these, registered with them (they
# import the classes above, so they come after them).
from uxlab.cx import followup_models as _followups  # noqa: E402, F401
from uxlab.cx import ux_side as _ux_side  # noqa: E402, F401
