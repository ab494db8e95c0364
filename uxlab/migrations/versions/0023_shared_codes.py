"""One codebook feature: five-second codes and CX tags become codes

A five-second question's codes (``fivesecondcode``, ``fivesecondcoding``)
and a workspace's CX tags (``cxtag``, ``cxresponsetag``) move into one
``code`` table, each in its codebook (``study:<id>:<question>`` and ``cx``),
with a link table per kind of coded answer. A CX tag keeps its id; a
five-second code's id moves up past the largest tag id. A study or audit
project started from a theme points at the code (``source_code_id``).

Revision ID: 0023_shared_codes
Revises: 0022_five_second
Create Date: 2026-12-07 02:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023_shared_codes"
down_revision: str | Sequence[str] | None = "0022_five_second"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def _link_table(name: str, subject: str) -> None:
    op.create_table(
        name,
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            [f"{subject}.id"],
            name=f"fk_{name}_subject",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"], ["code.id"], name=f"fk_{name}_code", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("subject_id", "code_id", name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_code_id", name, ["code_id"])


def _reset_sequence(table: str) -> None:
    """After rows were given their ids, PostgreSQL's next id follows them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def upgrade() -> None:
    op.create_table(
        "code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("codebook", _STR(length=120), nullable=False),
        sa.Column("label", _STR(length=80), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name="fk_code_workspace",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name="fk_code_study", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_code"),
        sa.UniqueConstraint("workspace_id", "codebook", "label", name="uq_code_label"),
    )
    op.create_index("ix_code_workspace_id", "code", ["workspace_id"])
    op.create_index("ix_code_study_id", "code", ["study_id"])
    _link_table("fivesecondanswercode", "fivesecondanswer")
    _link_table("cxresponsecode", "cxresponse")

    # CX tags keep their ids; five-second codes move up past them.
    op.execute(
        "INSERT INTO code (id, workspace_id, study_id, codebook, label, created_at) "
        "SELECT id, workspace_id, NULL, 'cx', name, CURRENT_TIMESTAMP FROM cxtag"
    )
    op.execute(
        "INSERT INTO code (id, workspace_id, study_id, codebook, label, created_at) "
        "SELECT c.id + (SELECT COALESCE(MAX(id), 0) FROM cxtag), s.workspace_id, "
        "c.study_id, 'study:' || CAST(c.study_id AS VARCHAR) || ':' || c.question, "
        "c.label, c.created_at FROM fivesecondcode c JOIN study s ON s.id = c.study_id"
    )
    op.execute(
        "INSERT INTO cxresponsecode (subject_id, code_id) "
        "SELECT response_id, tag_id FROM cxresponsetag"
    )
    op.execute(
        "INSERT INTO fivesecondanswercode (subject_id, code_id) "
        "SELECT answer_id, code_id + (SELECT COALESCE(MAX(id), 0) FROM cxtag) "
        "FROM fivesecondcoding"
    )
    _reset_sequence("code")

    with op.batch_alter_table("cxtouchpointlink") as batch:
        batch.add_column(sa.Column("source_code_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_cxtouchpointlink_source_code",
            "code",
            ["source_code_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE cxtouchpointlink SET source_code_id = source_tag_id")
    with op.batch_alter_table("cxtouchpointlink") as batch:
        batch.drop_column("source_tag_id")
    for table in ("cxresponsetag", "cxtag", "fivesecondcoding", "fivesecondcode"):
        op.drop_table(table)


def downgrade() -> None:
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
        "fivesecondcode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("question", _STR(length=80), nullable=False),
        sa.Column("label", _STR(length=80), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name="fk_fivesecondcode_study",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fivesecondcode"),
        sa.UniqueConstraint(
            "study_id", "question", "label", name="uq_fivesecondcode_label"
        ),
    )
    op.create_index("ix_fivesecondcode_study_id", "fivesecondcode", ["study_id"])
    op.create_table(
        "fivesecondcoding",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["fivesecondanswer.id"],
            name="fk_fivesecondcoding_answer",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["fivesecondcode.id"],
            name="fk_fivesecondcoding_code",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("answer_id", "code_id", name="pk_fivesecondcoding"),
    )
    # Each code goes back to the table of its codebook, with its id (a CX
    # tag's name was lower case and at most 60 characters); codebooks the
    # earlier schema had no table for are dropped with the code table.
    op.execute(
        "INSERT INTO cxtag (id, workspace_id, name) "
        "SELECT id, workspace_id, LOWER(SUBSTR(label, 1, 60)) FROM code "
        "WHERE codebook = 'cx'"
    )
    op.execute(
        "INSERT INTO fivesecondcode (id, study_id, question, label, created_at) "
        "SELECT id, study_id, SUBSTR(codebook, LENGTH('study:' || "
        "CAST(study_id AS VARCHAR) || ':') + 1), label, created_at FROM code "
        "WHERE codebook LIKE 'study:%'"
    )
    op.execute(
        "INSERT INTO cxresponsetag (response_id, tag_id) "
        "SELECT subject_id, code_id FROM cxresponsecode"
    )
    op.execute(
        "INSERT INTO fivesecondcoding (answer_id, code_id) "
        "SELECT subject_id, code_id FROM fivesecondanswercode"
    )
    _reset_sequence("cxtag")
    _reset_sequence("fivesecondcode")
    with op.batch_alter_table("cxtouchpointlink") as batch:
        batch.add_column(sa.Column("source_tag_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_cxtouchpointlink_source_tag",
            "cxtag",
            ["source_tag_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        "UPDATE cxtouchpointlink SET source_tag_id = source_code_id "
        "WHERE source_code_id IN (SELECT id FROM cxtag)"
    )
    with op.batch_alter_table("cxtouchpointlink") as batch:
        batch.drop_column("source_code_id")
    for table in ("cxresponsecode", "fivesecondanswercode", "code"):
        op.drop_table(table)
