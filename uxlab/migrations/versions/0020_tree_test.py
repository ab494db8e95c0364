"""Tree tests: each participant's path and answer per task

Revision ID: 0020_tree_test
Revises: 0019_cx_retention
Create Date: 2026-12-06 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020_tree_test"
down_revision: str | Sequence[str] | None = "0019_cx_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "treeanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("task_key", _STR(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("chosen", _STR(length=20), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("answered_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name="fk_treeanswer_participant_id_participant",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_treeanswer"),
        sa.UniqueConstraint(
            "participant_id", "task_key", name="uq_treeanswer_participant_task"
        ),
    )
    op.create_index(
        "ix_treeanswer_participant_id", "treeanswer", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_treeanswer_participant_id", table_name="treeanswer")
    op.drop_table("treeanswer")
