"""Case 24: the copy taken before `uxlab db upgrade`, and a migration that fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from tests.conftest import only_sqlite
from uxlab import create_app
from uxlab.db import get_engine
from uxlab.migrate import current_revisions, pending_revisions, upgrade

pytestmark = [pytest.mark.reliability, only_sqlite]

#: A revision before this change's own, so that an upgrade has work to do.
OLDER = "0006_screenshots"


def _app(path: Path) -> Flask:
    return create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{path}"}
    )


def test_the_copy_before_an_upgrade_holds_what_is_still_in_the_wal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "uxlab.sqlite"
    app = _app(path)
    engine = get_engine(app)
    upgrade(OLDER, engine=engine)
    # An open connection keeps SQLite from folding the WAL into the file.
    holder = sqlite3.connect(path)
    holder.execute("SELECT 1 FROM researcher").fetchall()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO researcher (email, name, password_hash, created_at) "
                "VALUES ('wal@example.org', '', 'x', '2026-12-05 00:00:00')"
            )
        )
    assert (tmp_path / "uxlab.sqlite-wal").stat().st_size > 0
    with app.app_context():
        upgrade(engine=engine)
    holder.close()
    backup = tmp_path / "uxlab.sqlite.before-upgrade"
    with sqlite3.connect(backup) as copy:
        emails = [r[0] for r in copy.execute("SELECT email FROM researcher")]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert emails == ["wal@example.org"]


def test_a_failed_migration_is_one_line_naming_its_step_and_the_copy(
    tmp_path: Path,
) -> None:
    path = tmp_path / "uxlab.sqlite"
    app = _app(path)
    engine = get_engine(app)
    upgrade(OLDER, engine=engine)
    with engine.begin() as conn:  # the first step cannot record itself as done
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE UPDATE ON alembic_version "
                "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
            )
        )
    before = current_revisions(engine)
    step = pending_revisions(engine)[0]
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1, result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    line = lines[0]
    assert line.startswith(f"Error: migration {step} failed")
    assert "refused by a trigger" in line
    assert str(tmp_path / "uxlab.sqlite.before-upgrade") in line
    assert "Traceback" not in result.output
    assert current_revisions(engine) == before  # rolled back
    log = Path(app.instance_path) / "upgrade-failed.log"
    assert str(log) in line
    assert "Traceback" in log.read_text()
