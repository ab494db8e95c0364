"""CX touchpoint links and tags: studies and audits aimed at a touchpoint, coded answers

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

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "cxtag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(length=60), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_table(
        "cxresponsetag",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["cxresponse.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["cxtag.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "tag_id"),
    )
    op.create_table(
        "cxtouchpointlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("audit_project_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("source_tag_id", sa.Integer(), nullable=True),
        sa.Column("source_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["cxtouchpoint.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["source_tag_id"], ["cxtag.id"], ondelete="SET NULL"),
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
    for table in ("cxtouchpointlink", "cxresponsetag", "cxtag"):
        op.drop_table(table)
