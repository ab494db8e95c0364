"""CX web widget: a touchpoint's allowed origins and widget settings

The widget's channel rows need no change: ``cxchannel.kind`` takes "widget"
as it takes "link" and "qr"; a survey made before this revision gets its
widget channel when an editor next opens the touchpoint.

Revision ID: 0016_cx_widget
Revises: 0015_cx_journeys
Create Date: 2026-12-05 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_cx_widget"
down_revision: str | Sequence[str] | None = "0015_cx_journeys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cxtouchpoint") as batch:
        batch.add_column(
            sa.Column(
                "allowed_origins", sa.JSON(), nullable=False, server_default="[]"
            )
        )
        batch.add_column(
            sa.Column("widget", sa.JSON(), nullable=False, server_default="{}")
        )


def downgrade() -> None:
    with op.batch_alter_table("cxtouchpoint") as batch:
        batch.drop_column("widget")
        batch.drop_column("allowed_origins")
