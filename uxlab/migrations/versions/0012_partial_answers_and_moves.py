"""answers left partial by a moderator's move

Revision ID: 0012_partial_answers_and_moves
Revises: 0011_audit_projects
Create Date: 2026-12-05 12:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_partial_answers_and_moves"
down_revision: str | Sequence[str] | None = "0011_audit_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "response",
        sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place, as PostgreSQL does.
    op.execute("ALTER TABLE response DROP COLUMN partial")
