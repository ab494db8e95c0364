"""participants who are a researcher previewing the study

Revision ID: 0010_preview_participants
Revises: 0009_hardening
Create Date: 2026-12-05 07:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_preview_participants"
down_revision: str | Sequence[str] | None = "0009_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.add_column(
            sa.Column(
                "preview", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.create_index("ix_participant_preview", ["preview"])


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.drop_index("ix_participant_preview")
        batch.drop_column("preview")
