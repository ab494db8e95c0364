"""when the participant's live page last reached the server

Revision ID: 0008_participant_presence
Revises: 0007_self_reported
Create Date: 2026-12-05 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_participant_presence"
down_revision: str | Sequence[str] | None = "0007_self_reported"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moderatedsession") as batch:
        batch.add_column(
            sa.Column(
                "participant_seen_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("moderatedsession") as batch:
        batch.drop_column("participant_seen_at")
