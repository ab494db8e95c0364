"""Five-second tests: when the image was shown, the recall answers, and the
researchers' codes for the open answers

Revision ID: 0022_five_second
Revises: 0021_card_sort
Create Date: 2026-12-06 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022_five_second"
down_revision: str | Sequence[str] | None = "0021_card_sort"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "fivesecondview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("image", _STR(length=400), nullable=False),
        sa.Column("shown_at", _TIME(), nullable=False),
        sa.Column("continued_at", _TIME(), nullable=True),
        sa.Column("answered_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name="fk_fivesecondview_participant",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fivesecondview"),
        sa.UniqueConstraint("participant_id", name="uq_fivesecondview_participant"),
    )
    op.create_index(
        "ix_fivesecondview_participant_id", "fivesecondview", ["participant_id"]
    )
    op.create_table(
        "fivesecondanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("question", _STR(length=80), nullable=False),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("value_num", sa.Float(), nullable=True),
        sa.Column("answered_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name="fk_fivesecondanswer_participant",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fivesecondanswer"),
        sa.UniqueConstraint(
            "participant_id", "question", name="uq_fivesecondanswer_question"
        ),
    )
    op.create_index(
        "ix_fivesecondanswer_participant_id", "fivesecondanswer", ["participant_id"]
    )
    op.create_table(
        "fivesecondcode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("question", _STR(length=80), nullable=False),
        sa.Column("label", _STR(length=80), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name="fk_fivesecondcode_study",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fivesecondcode"),
        sa.UniqueConstraint(
            "study_id", "question", "label", name="uq_fivesecondcode_label"
        ),
    )
    op.create_index("ix_fivesecondcode_study_id", "fivesecondcode", ["study_id"])
    op.create_table(
        "fivesecondcoding",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["fivesecondanswer.id"],
            name="fk_fivesecondcoding_answer",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["fivesecondcode.id"],
            name="fk_fivesecondcoding_code",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("answer_id", "code_id", name="pk_fivesecondcoding"),
    )


def downgrade() -> None:
    for table in (
        "fivesecondcoding",
        "fivesecondcode",
        "fivesecondanswer",
        "fivesecondview",
    ):
        op.drop_table(table)
