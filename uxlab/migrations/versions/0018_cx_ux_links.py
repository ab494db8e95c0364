"""CX touchpoint links: studies and audit projects aimed at a touchpoint

Revision ID: 0018_cx_ux_links
Revises: 0017_cx_followups
Create Date: 2026-12-05 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018_cx_ux_links"
down_revision: str | Sequence[str] | None = "0017_cx_followups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "cxtouchpointlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("audit_project_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["cxtouchpoint.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["audit_project_id"], ["auditproject.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("touchpoint_id", "study_id"),
        sa.UniqueConstraint("touchpoint_id", "audit_project_id"),
    )
    op.create_index(
        "ix_cxtouchpointlink_touchpoint_id", "cxtouchpointlink", ["touchpoint_id"]
    )


def downgrade() -> None:
    op.drop_table("cxtouchpointlink")
