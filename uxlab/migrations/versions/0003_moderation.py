"""moderated sessions: sessions, observer links, notes and control actions

Revision ID: 0003_moderation
Revises: 0002_recorder
Create Date: 2026-11-23 09:38:24.936535
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003_moderation"
down_revision: str | Sequence[str] | None = "0002_recorder"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderatedsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column(
            "label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("scheduled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["invite_id"], ["invite.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("moderatedsession", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderatedsession_invite_id"), ["invite_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_moderatedsession_study_id"), ["study_id"], unique=False
        )

    op.create_table(
        "sessionaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "action_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
        ),
        sa.Column(
            "reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False
        ),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("session_ms", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["moderatedsession.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "action_id"),
    )
    with op.batch_alter_table("sessionaction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessionaction_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "sessionobserver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["moderatedsession.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sessionobserver", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessionobserver_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sessionobserver_token_hash"), ["token_hash"], unique=True
        )

    op.create_table(
        "sessionnote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "note_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "author_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("researcher_id", sa.Integer(), nullable=True),
        sa.Column("observer_id", sa.Integer(), nullable=True),
        sa.Column(
            "author_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("session_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["observer_id"], ["sessionobserver.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["researcher_id"], ["researcher.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["moderatedsession.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "note_id"),
    )
    with op.batch_alter_table("sessionnote", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessionnote_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sessionnote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessionnote_session_id"))

    op.drop_table("sessionnote")
    with op.batch_alter_table("sessionobserver", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessionobserver_token_hash"))
        batch_op.drop_index(batch_op.f("ix_sessionobserver_session_id"))

    op.drop_table("sessionobserver")
    with op.batch_alter_table("sessionaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessionaction_session_id"))

    op.drop_table("sessionaction")
    with op.batch_alter_table("moderatedsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderatedsession_study_id"))
        batch_op.drop_index(batch_op.f("ix_moderatedsession_invite_id"))

    op.drop_table("moderatedsession")
