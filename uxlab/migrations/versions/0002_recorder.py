"""recorder completeness counters on task attempts

Revision ID: 0002_recorder
Revises: 0001_initial
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_recorder"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("taskattempt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "duplicate_events", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(
            sa.Column(
                "rejected_events", sa.Integer(), nullable=False, server_default="0"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("taskattempt", schema=None) as batch_op:
        batch_op.drop_column("rejected_events")
        batch_op.drop_column("duplicate_events")
