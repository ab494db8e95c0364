"""CX survey retention: answers older than a survey's retention are deleted

Revision ID: 0019_cx_retention
Revises: 0018_cx_ux_links
Create Date: 2026-12-05 20:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_cx_retention"
down_revision: str | Sequence[str] | None = "0018_cx_ux_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cxsurvey") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cxsurvey") as batch:
        batch.drop_column("retention_days")
