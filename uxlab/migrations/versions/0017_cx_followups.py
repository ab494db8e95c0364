"""CX follow-ups: per-journey rules, follow-ups on unhappy answers, their notes

Revision ID: 0017_cx_followups
Revises: 0016_cx_widget
Create Date: 2026-12-05 19:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017_cx_followups"
down_revision: str | Sequence[str] | None = "0016_cx_widget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "cxfollowupsettings",
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("reference_field", _STR(length=40), nullable=False),
        sa.Column("webhook_url", _STR(length=500), nullable=False),
        sa.ForeignKeyConstraint(["journey_id"], ["cxjourney.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("journey_id"),
    )
    op.create_table(
        "cxfollowup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("reference", _STR(length=200), nullable=False),
        sa.Column("reason", _STR(length=120), nullable=False),
        sa.Column("status", _STR(length=12), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("first_contact_at", _TIME(), nullable=True),
        sa.Column("resolved_at", _TIME(), nullable=True),
        sa.Column("notified", _STR(length=500), nullable=True),
        sa.ForeignKeyConstraint(["journey_id"], ["cxjourney.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["cxtouchpoint.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["response_id"], ["cxresponse.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["researcher.id"], ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id"),
    )
    op.create_index("ix_cxfollowup_journey_id", "cxfollowup", ["journey_id"])
    op.create_index("ix_cxfollowup_touchpoint_id", "cxfollowup", ["touchpoint_id"])
    op.create_table(
        "cxfollowupnote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"], ["cxfollowup.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["researcher.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cxfollowupnote_followup_id", "cxfollowupnote", ["followup_id"])


def downgrade() -> None:
    for table in ("cxfollowupnote", "cxfollowup", "cxfollowupsettings"):
        op.drop_table(table)
