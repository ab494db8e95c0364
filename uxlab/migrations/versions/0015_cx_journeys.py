"""CX journeys: stages, touchpoints, touchpoint surveys, channels, responses

Revision ID: 0015_cx_journeys
Revises: 0014_participant_sessions
Create Date: 2026-12-05 13:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_cx_journeys"
down_revision: str | Sequence[str] | None = "0014_participant_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def _index(table: str, *columns: str, unique: bool = False, name: str = "") -> None:
    op.create_index(
        name or f"ix_{table}_{'_'.join(columns)}", table, list(columns), unique=unique
    )


def upgrade() -> None:
    op.create_table(
        "cxjourney",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(length=200), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("cxjourney", "workspace_id")
    op.create_table(
        "cxstage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["journey_id"], ["cxjourney.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("cxstage", "journey_id")
    op.create_table(
        "cxtouchpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["journey_id"], ["cxjourney.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["stage_id"], ["cxstage.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("cxtouchpoint", "journey_id")
    _index("cxtouchpoint", "stage_id")
    op.create_table(
        "cxsurvey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("open_question", _STR(length=500), nullable=False),
        sa.Column("hidden_fields", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("deleted_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["cxtouchpoint.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("cxsurvey", "touchpoint_id")
    op.create_table(
        "cxchannel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(length=8), nullable=False),
        sa.Column("nonce", _STR(length=64), nullable=False),
        sa.Column("token_hash", _STR(length=64), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["cxsurvey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "kind"),
    )
    _index("cxchannel", "survey_id")
    _index("cxchannel", "token_hash", unique=True)
    op.create_table(
        "cxresponse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("client_key", _STR(length=64), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("ces", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("open_text", sa.Text(), nullable=True),
        sa.Column("hidden", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["cxtouchpoint.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["survey_id"], ["cxsurvey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["channel_id"], ["cxchannel.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "client_key"),
    )
    _index("cxresponse", "survey_id")
    _index("cxresponse", "channel_id")
    _index("cxresponse", "touchpoint_id", "week", name="ix_cxresponse_touchpoint_week")
    _index(
        "cxresponse", "touchpoint_id", "month", name="ix_cxresponse_touchpoint_month"
    )


def downgrade() -> None:
    for table in (
        "cxresponse",
        "cxchannel",
        "cxsurvey",
        "cxtouchpoint",
        "cxstage",
        "cxjourney",
    ):
        op.drop_table(table)
