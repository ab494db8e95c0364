"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23 09:06:12.854918
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "researcher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False
        ),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("researcher", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_researcher_email"), ["email"], unique=True)

    op.create_table(
        "study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("unmoderated", "moderated", name="studymode"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("draft", "live", "closed", name="studystatus"),
            nullable=False,
        ),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("consent_version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("source_yaml", sa.Text(), nullable=False),
        sa.Column("declined_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["researcher_id"],
            ["researcher.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_study_researcher_id"), ["researcher_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_study_slug"), ["slug"], unique=True)

    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("open", "single", name="invitekind"), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invite_study_id"), ["study_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invite_token_hash"), ["token_hash"], unique=True
        )

    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("start_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("success_kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("success_value", sa.Text(), nullable=False),
        sa.Column("time_limit_s", sa.Integer(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("study_id", "key"),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_study_id"), ["study_id"], unique=False
        )

    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=True),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column(
            "variant", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True
        ),
        sa.Column("task_order", sa.JSON(), nullable=False),
        sa.Column("consent_version", sa.Integer(), nullable=True),
        sa.Column("consented_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "user_agent", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False
        ),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column(
            "exclusion_reason",
            sqlmodel.sql.sqltypes.AutoString(length=400),
            nullable=False,
        ),
        sa.Column(
            "moderator_step", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invite.id"],
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_code"), ["code"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_participant_study_id"), ["study_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_participant_token_hash"), ["token_hash"], unique=True
        )

    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column(
            "questionnaire", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False
        ),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("value_num", sa.Float(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "questionnaire", "scope", "item"),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "taskattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("client_duration_ms", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "success",
                "partial",
                "failure",
                "abandoned",
                "timed_out",
                "skipped",
                name="outcome",
            ),
            nullable=True,
        ),
        sa.Column(
            "judged_by",
            sa.Enum("self", "auto", "moderator", name="judgedby"),
            nullable=True,
        ),
        sa.Column(
            "outcome_reason",
            sqlmodel.sql.sqltypes.AutoString(length=1000),
            nullable=False,
        ),
        sa.Column(
            "outcome_event_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "task_id"),
    )
    with op.batch_alter_table("taskattempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_taskattempt_participant_id"),
            ["participant_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_taskattempt_task_id"), ["task_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_taskattempt_token_hash"), ["token_hash"], unique=True
        )

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("client_ts", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["taskattempt.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_attempt_seq", ["attempt_id", "seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_participant_id"))
        batch_op.drop_index("ix_event_attempt_seq")

    op.drop_table("event")
    with op.batch_alter_table("taskattempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taskattempt_token_hash"))
        batch_op.drop_index(batch_op.f("ix_taskattempt_task_id"))
        batch_op.drop_index(batch_op.f("ix_taskattempt_participant_id"))

    op.drop_table("taskattempt")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_participant_id"))

    op.drop_table("response")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_token_hash"))
        batch_op.drop_index(batch_op.f("ix_participant_study_id"))
        batch_op.drop_index(batch_op.f("ix_participant_code"))

    op.drop_table("participant")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_study_id"))

    op.drop_table("task")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_token_hash"))
        batch_op.drop_index(batch_op.f("ix_invite_study_id"))

    op.drop_table("invite")
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_study_slug"))
        batch_op.drop_index(batch_op.f("ix_study_researcher_id"))

    op.drop_table("study")
    with op.batch_alter_table("researcher", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_researcher_email"))

    op.drop_table("researcher")
