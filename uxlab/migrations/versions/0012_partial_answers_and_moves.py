"""answers left partial by a moderator's move; the participant's own moves

Revision ID: 0012_partial_answers_and_moves
Revises: 0011_audit_projects
Create Date: 2026-12-05 12:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_partial_answers_and_moves"
down_revision: str | Sequence[str] | None = "0011_audit_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column(
        "response",
        sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "sessionmove",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(length=20), nullable=False),
        sa.Column("step", _STR(length=80), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["moderatedsession.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sessionmove", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessionmove_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sessionmove_participant_id"),
            ["participant_id"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("sessionmove")
    # SQLite 3.35+ drops a column in place, as PostgreSQL does.
    op.execute("ALTER TABLE response DROP COLUMN partial")
