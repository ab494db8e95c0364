"""Moderated sessions' notes are coded with the study's codebook of notes

Revision ID: 0024_note_codes
Revises: 0023_shared_codes
Create Date: 2026-12-07 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_note_codes"
down_revision: str | Sequence[str] | None = "0023_shared_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sessionnotecode",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["sessionnote.id"],
            name="fk_sessionnotecode_subject",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"], ["code.id"], name="fk_sessionnotecode_code", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("subject_id", "code_id", name="pk_sessionnotecode"),
    )
    op.create_index("ix_sessionnotecode_code_id", "sessionnotecode", ["code_id"])


def downgrade() -> None:
    op.drop_table("sessionnotecode")
