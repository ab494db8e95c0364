"""rate limits: counters every app process shares

Revision ID: 0005_rate_limits
Revises: 0004_workspaces
Create Date: 2026-12-04 17:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_rate_limits"
down_revision: str | Sequence[str] | None = "0004_workspaces"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratelimitcounter",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("ratelimitcounter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ratelimitcounter_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ratelimitcounter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratelimitcounter_expires_at"))
    op.drop_table("ratelimitcounter")
