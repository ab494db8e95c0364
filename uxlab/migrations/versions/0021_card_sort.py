"""Card sorts: each participant's sort and the standardised group names

Revision ID: 0021_card_sort
Revises: 0020_tree_test
Create Date: 2026-12-06 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021_card_sort"
down_revision: str | Sequence[str] | None = "0020_tree_test"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "cardsort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("unknown", sa.JSON(), nullable=False),
        sa.Column("saves", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.Column("submitted_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name="fk_cardsort_participant_id_participant",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cardsort"),
    )
    op.create_index(
        "ix_cardsort_participant_id", "cardsort", ["participant_id"], unique=True
    )
    op.create_table(
        "cardsortname",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("raw", _STR(length=80), nullable=False),
        sa.Column("standard", _STR(length=80), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name="fk_cardsortname_study_id_study",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cardsortname"),
        sa.UniqueConstraint("study_id", "raw", name="uq_cardsortname_study_id_raw"),
    )
    op.create_index("ix_cardsortname_study_id", "cardsortname", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_cardsortname_study_id", table_name="cardsortname")
    op.drop_table("cardsortname")
    op.drop_index("ix_cardsort_participant_id", table_name="cardsort")
    op.drop_table("cardsort")
