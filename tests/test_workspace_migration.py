"""Migration 0004 moves every researcher's studies into a workspace they own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from uxlab.db import make_engine
from uxlab.migrate import current_revisions, downgrade, upgrade
from uxlab.models import Membership, Study, Task, Workspace, WorkspaceRole


def _seed_0003(url: str) -> None:
    """Two researchers with studies, tasks and a participant, at revision 0003."""
    engine = make_engine(url)
    upgrade(revision="0003_moderation", engine=engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for rid, email in ((1, "ada@example.org"), (2, "ada@lab.example.org")):
            conn.execute(
                text(
                    "INSERT INTO researcher (id, email, name, password_hash, "
                    "created_at) VALUES (:id, :email, '', 'x', :now)"
                ),
                {"id": rid, "email": email, "now": now},
            )
        for sid, rid, slug in ((1, 1, "one"), (2, 1, "two"), (3, 2, "three")):
            conn.execute(
                text(
                    "INSERT INTO study (id, researcher_id, slug, title, description, "
                    "mode, status, consent, consent_version, settings, source_yaml, "
                    "declined_count, created_at) VALUES (:id, :rid, :slug, :slug, '', "
                    "'unmoderated', 'live', 'ok', 1, '{}', '', 0, :now)"
                ),
                {"id": sid, "rid": rid, "slug": slug, "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO task (study_id, key, position, title, prompt, "
                    "success_kind, success_value, settings) VALUES "
                    "(:sid, 'find', 1, 'Find', '', 'self_report', '', '{}')"
                ),
                {"sid": sid},
            )
        conn.execute(
            text(
                "INSERT INTO participant (study_id, token_hash, code, label, "
                "task_order, created_at, progress, step, user_agent, excluded, "
                "exclusion_reason) VALUES (3, :h, 'P-AAAAAAAA', '', '[]', :now, 0, "
                "'consent', '', false, '')"
            ),
            {"h": "a" * 64, "now": now},
        )
    engine.dispose()


def test_0003_database_upgrades_into_personal_workspaces(
    new_database: Callable[..., str],
) -> None:
    url = new_database(schema=False)
    _seed_0003(url)
    engine = make_engine(url)
    upgrade(engine=engine)
    with Session(engine) as session:
        workspaces = session.exec(select(Workspace).order_by(col(Workspace.id))).all()
        # Both emails start "ada@": the second workspace gets its own slug.
        assert [(w.slug, w.name, w.personal) for w in workspaces] == [
            ("ada", "ada@example.org", True),
            ("ada-2", "ada@lab.example.org", True),
        ]
        members = session.exec(select(Membership).order_by(col(Membership.id))).all()
        assert [(m.workspace_id, m.researcher_id, m.role) for m in members] == [
            (workspaces[0].id, 1, WorkspaceRole.owner),
            (workspaces[1].id, 2, WorkspaceRole.owner),
        ]
        studies = session.exec(select(Study).order_by(col(Study.id))).all()
        assert [(s.slug, s.workspace_id) for s in studies] == [
            ("one", workspaces[0].id),
            ("two", workspaces[0].id),
            ("three", workspaces[1].id),
        ]
        # Rebuilding the study table cascaded into nothing.
        assert len(session.exec(select(Task)).all()) == 3
        count = session.exec(text("SELECT count(*) FROM participant")).one()  # type: ignore[call-overload]
        assert count[0] == 1
    engine.dispose()


@pytest.mark.reliability
def test_0004_downgrades_to_0003_keeping_studies(
    new_database: Callable[..., str],
) -> None:
    url = new_database(schema=False)
    _seed_0003(url)
    engine = make_engine(url)
    upgrade(engine=engine)
    downgrade("0003_moderation", engine=engine)
    assert current_revisions(engine) == ("0003_moderation",)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM task")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM study")).scalar() == 3
    upgrade(engine=engine)
    engine.dispose()
