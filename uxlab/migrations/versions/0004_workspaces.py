"""workspaces: members with roles, workspace invites, activity; studies move in

Every researcher gets a personal workspace they own, and their studies move
into it.

Revision ID: 0004_workspaces
Revises: 0003_moderation
Create Date: 2026-12-02 10:12:40.118203
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_workspaces"
down_revision: str | Sequence[str] | None = "0003_moderation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLE = sa.Enum("viewer", "editor", "owner", name="workspacerole")


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """Let SQLite rebuild ``study`` without cascading into the tables that use it.

    Batch mode rebuilds a table by copying it and dropping the old one, and with
    foreign keys on, SQLite's DROP TABLE deletes every row first, firing each
    ON DELETE CASCADE (tasks, participants, events ...). The pragma only takes
    effect between transactions, so the work so far is committed first, and
    the rebuild runs in a transaction of its own, checked before it ends
    (https://www.sqlite.org/lang_altertable.html#otheralter).
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    raw = bind.connection.driver_connection
    assert raw is not None
    raw.execute("COMMIT")
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("BEGIN IMMEDIATE")
    try:
        yield
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems}")
    except BaseException:
        raw.execute("ROLLBACK")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("BEGIN")
        raise
    raw.execute("COMMIT")
    raw.execute("PRAGMA foreign_keys=ON")
    # Alembic records the new revision, then commits, in this transaction.
    raw.execute("BEGIN")


def _role() -> sa.types.TypeEngine[str]:
    """The role column's type; PostgreSQL's enum type is made once, up front."""
    if op.get_bind().dialect.name == "postgresql":
        return postgresql.ENUM(*_ROLE.enums, name=_ROLE.name, create_type=False)
    return _ROLE


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "workspace"


def upgrade() -> None:
    with _foreign_keys_off():
        _upgrade()


def _upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _ROLE.create(op.get_bind(), checkfirst=True)
    op.create_table(
        "workspace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workspace_slug"), ["slug"], unique=True)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("role", _role(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["researcher_id"], ["researcher.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "researcher_id"),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_researcher_id"), ["researcher_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_membership_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "workspaceinvite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column(
            "email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False
        ),
        sa.Column("role", _role(), nullable=False),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["invited_by"], ["researcher.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workspaceinvite", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workspaceinvite_token_hash"), ["token_hash"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_workspaceinvite_workspace_id"),
            ["workspace_id"],
            unique=False,
        )

    op.create_table(
        "activityentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=True),
        sa.Column(
            "action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column(
            "subject", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False
        ),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["researcher_id"], ["researcher.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("activityentry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activityentry_workspace_id"), ["workspace_id"], unique=False
        )

    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))

    _personal_workspaces()

    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.alter_column(
            "workspace_id", existing_type=sa.Integer(), nullable=False
        )
        batch_op.create_index(
            batch_op.f("ix_study_workspace_id"), ["workspace_id"], unique=False
        )
        batch_op.create_foreign_key(
            "study_workspace_id_fkey", "workspace", ["workspace_id"], ["id"]
        )


def _personal_workspaces() -> None:
    """One workspace per researcher, owned by them, holding their studies."""
    bind = op.get_bind()
    researcher = sa.table(
        "researcher", sa.column("id", sa.Integer), sa.column("email", sa.String)
    )
    workspace = sa.table(
        "workspace",
        sa.column("id", sa.Integer),
        sa.column("slug", sa.String),
        sa.column("name", sa.String),
        sa.column("personal", sa.Boolean),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    membership = sa.table(
        "membership",
        sa.column("workspace_id", sa.Integer),
        sa.column("researcher_id", sa.Integer),
        sa.column("role", _role()),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    study = sa.table(
        "study", sa.column("researcher_id", sa.Integer), sa.column("workspace_id")
    )
    now = datetime.now(UTC)
    taken: set[str] = set()
    rows = bind.execute(
        sa.select(researcher.c.id, researcher.c.email).order_by(researcher.c.id)
    ).all()
    for researcher_id, email in rows:
        base = _slug(email.split("@")[0])
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        workspace_id = bind.execute(
            workspace.insert()
            .values(slug=slug, name=email, personal=True, created_at=now)
            .returning(workspace.c.id)
        ).scalar_one()
        bind.execute(
            membership.insert().values(
                workspace_id=workspace_id,
                researcher_id=researcher_id,
                role="owner",
                created_at=now,
            )
        )
        bind.execute(
            study.update()
            .where(study.c.researcher_id == researcher_id)
            .values(workspace_id=workspace_id)
        )


def downgrade() -> None:
    with _foreign_keys_off():
        with op.batch_alter_table("study", schema=None) as batch_op:
            batch_op.drop_constraint("study_workspace_id_fkey", type_="foreignkey")
            batch_op.drop_index(batch_op.f("ix_study_workspace_id"))
            batch_op.drop_column("workspace_id")

        with op.batch_alter_table("activityentry", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_activityentry_workspace_id"))
        op.drop_table("activityentry")
        with op.batch_alter_table("workspaceinvite", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_workspaceinvite_workspace_id"))
            batch_op.drop_index(batch_op.f("ix_workspaceinvite_token_hash"))
        op.drop_table("workspaceinvite")
        with op.batch_alter_table("membership", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_membership_workspace_id"))
            batch_op.drop_index(batch_op.f("ix_membership_researcher_id"))
        op.drop_table("membership")
        with op.batch_alter_table("workspace", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_workspace_slug"))
        op.drop_table("workspace")
        _ROLE.drop(op.get_bind(), checkfirst=True)
