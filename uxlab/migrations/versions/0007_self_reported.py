"""a participant's own "I'm done" kept beside the judged outcome; unverified

Revision ID: 0007_self_reported
Revises: 0006_screenshots
Create Date: 2026-12-05 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_self_reported"
down_revision: str | Sequence[str] | None = "0006_screenshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_OLD = ("success", "partial", "failure", "abandoned", "timed_out", "skipped")
_NEW = (*_OLD, "unverified")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # PostgreSQL keeps the outcome enum as a type of its own (12+ allows
        # adding a value inside a transaction); elsewhere it is a VARCHAR as
        # long as the longest name, which "unverified" outgrows.
        op.execute("ALTER TYPE outcome ADD VALUE IF NOT EXISTS 'unverified'")
    with op.batch_alter_table("taskattempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_reported", sa.Boolean(), nullable=True))
        if not postgres:
            batch_op.alter_column(
                "outcome",
                existing_type=sa.Enum(*_OLD, name="outcome"),
                type_=sa.Enum(*_NEW, name="outcome"),
                existing_nullable=True,
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("taskattempt", schema=None) as batch_op:
        batch_op.drop_column("self_reported")
        if not postgres:
            batch_op.alter_column(
                "outcome",
                existing_type=sa.Enum(*_NEW, name="outcome"),
                type_=sa.Enum(*_OLD, name="outcome"),
                existing_nullable=True,
            )
    # PostgreSQL cannot drop one value of an enum type; "unverified" stays,
    # unused by the older code.
