"""a study's pre-flight project: auditproject.study_id

Revision ID: 0013_study_preflight
Revises: 0012_partial_answers_and_moves
Create Date: 2026-12-05 12:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_study_preflight"
down_revision: str | Sequence[str] | None = "0012_partial_answers_and_moves"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch: SQLite adds a foreign key by copying the table.
    with op.batch_alter_table("auditproject", schema=None) as batch_op:
        batch_op.add_column(sa.Column("study_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_auditproject_study_id", ["study_id"])
        batch_op.create_foreign_key(
            "fk_auditproject_study_id_study",
            "study",
            ["study_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("auditproject", schema=None) as batch_op:
        batch_op.drop_constraint("fk_auditproject_study_id_study", type_="foreignkey")
        batch_op.drop_constraint("uq_auditproject_study_id", type_="unique")
        batch_op.drop_column("study_id")
