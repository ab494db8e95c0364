"""session version, withdrawal count, client clock flag, event recording

Revision ID: 0009_hardening
Revises: 0008_participant_presence
Create Date: 2026-12-05 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_hardening"
down_revision: str | Sequence[str] | None = "0008_participant_presence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of researcher would have to drop a
    # table other tables' foreign keys point at.
    op.add_column(
        "researcher",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "taskattempt",
        sa.Column(
            "client_clock_disagreed",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
        ),
    )
    op.add_column(
        "event",
        sa.Column(
            "recording",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column(
        "study",
        sa.Column("withdrawn_count", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place, as PostgreSQL does.
    op.execute("ALTER TABLE event DROP COLUMN recording")
    op.execute("ALTER TABLE study DROP COLUMN withdrawn_count")
    op.execute("ALTER TABLE taskattempt DROP COLUMN client_clock_disagreed")
    op.execute("ALTER TABLE researcher DROP COLUMN session_version")
