"""audit projects and their runs, findings and screenshots

Revision ID: 0011_audit_projects
Revises: 0010_preview_participants
Create Date: 2026-12-05 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_audit_projects"
down_revision: str | Sequence[str] | None = "0010_preview_participants"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = sa.Enum(
    "queued", "running", "passed", "failed", "error", "cancelled", name="runstatus"
)
_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "auditproject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(length=200), nullable=False),
        sa.Column("script_yaml", sa.Text(), nullable=False),
        sa.Column("script_version", sa.Integer(), nullable=False),
        sa.Column("base_url", _STR(length=2000), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("schedule", _STR(length=120), nullable=True),
        sa.Column("timezone", _STR(length=64), nullable=False),
        sa.Column("schedule_since", _TIME(), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("badge_token_hash", _STR(length=64), nullable=False),
        sa.Column("upload_token_hash", _STR(length=64), nullable=True),
        sa.Column("webhook_url", _STR(length=2000), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["researcher.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_auditproject_workspace_id", "auditproject", ["workspace_id"], unique=False
    )
    op.create_index(
        "ix_auditproject_badge_token_hash",
        "auditproject",
        ["badge_token_hash"],
        unique=True,
    )
    op.create_table(
        "auditprojectrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("script_yaml", sa.Text(), nullable=False),
        sa.Column("script_version", sa.Integer(), nullable=False),
        sa.Column("started_by", _STR(length=20), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=True),
        sa.Column("slot", _TIME(), nullable=True),
        sa.Column("client_run_id", _STR(length=100), nullable=True),
        sa.Column("base_url", _STR(length=2000), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("current_url", _STR(length=2000), nullable=True),
        sa.Column("queued_at", _TIME(), nullable=False),
        sa.Column("started_at", _TIME(), nullable=True),
        sa.Column("finished_at", _TIME(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", _STR(length=200), nullable=True),
        sa.Column("lease_until", _TIME(), nullable=True),
        sa.Column("error", _STR(length=2000), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("report_html", sa.Text(), nullable=True),
        sa.Column("screenshots_pruned_at", _TIME(), nullable=True),
        sa.Column("regression", sa.Boolean(), nullable=True),
        sa.Column("notified", _STR(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["auditproject.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["researcher_id"], ["researcher.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "slot"),
        sa.UniqueConstraint("project_id", "client_run_id"),
    )
    op.create_index(
        "ix_auditprojectrun_project_id", "auditprojectrun", ["project_id"], unique=False
    )
    op.create_index(
        "ix_auditprojectrun_status_lease",
        "auditprojectrun",
        ["status", "lease_until"],
        unique=False,
    )
    op.create_table(
        "auditrunfinding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", _STR(length=200), nullable=False),
        sa.Column("severity", _STR(length=20), nullable=False),
        sa.Column("page", _STR(length=2000), nullable=False),
        sa.Column("viewport", _STR(length=80), nullable=False),
        sa.Column("selector", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["auditprojectrun.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_auditrunfinding_run_id", "auditrunfinding", ["run_id"], unique=False
    )
    op.create_table(
        "auditrunscreenshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("filename", _STR(length=200), nullable=False),
        sa.Column("mime", _STR(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["auditprojectrun.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "filename"),
    )
    op.create_index(
        "ix_auditrunscreenshot_run_id", "auditrunscreenshot", ["run_id"], unique=False
    )
    op.create_table(
        "personaltoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(length=200), nullable=False),
        sa.Column("token_hash", _STR(length=64), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("last_used_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["researcher_id"], ["researcher.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_personaltoken_researcher_id", "personaltoken", ["researcher_id"], unique=False
    )
    op.create_index(
        "ix_personaltoken_token_hash", "personaltoken", ["token_hash"], unique=True
    )


def downgrade() -> None:
    op.drop_table("personaltoken")
    op.drop_table("auditrunscreenshot")
    op.drop_table("auditrunfinding")
    op.drop_table("auditprojectrun")
    op.drop_table("auditproject")
    _STATUS.drop(op.get_bind(), checkfirst=True)
