"""participant sessions: the cookie holds a random id, not the participant's token

Revision ID: 0014_participant_sessions
Revises: 0013_study_preflight
Create Date: 2026-12-05 12:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_participant_sessions"
down_revision: str | Sequence[str] | None = "0013_study_preflight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "participantsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", _STR(length=64), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("sealed_token", _STR(length=128), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_hash", "study_id"),
    )
    with op.batch_alter_table("participantsession") as batch:
        batch.create_index("ix_participantsession_session_hash", ["session_hash"])
        batch.create_index("ix_participantsession_study_id", ["study_id"])
        batch.create_index("ix_participantsession_participant_id", ["participant_id"])


def downgrade() -> None:
    op.drop_table("participantsession")
