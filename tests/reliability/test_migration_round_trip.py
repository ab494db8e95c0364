"""Case 24: upgrade, downgrade and upgrade again on a copy holding live data.

The demo's data (studies, participants, answers, events, moderated sessions,
audits and journeys) is migrated down to an early revision and back up. What
the early schema holds must come through unchanged: the same rows, with the
same values, in every table and column it has, on SQLite (batch mode) and on
PostgreSQL. The app then starts on the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from uxlab.app import create_app
from uxlab.db import get_engine, make_engine
from uxlab.migrate import current_revisions, downgrade, upgrade

pytestmark = pytest.mark.reliability

#: Down to where participants, answers, events and moderation first all
#: exist; and to just before audit projects gain their study (a rebuild of a
#: table other tables point at, on the way up).
EARLY = ("0004_workspaces", "0012_partial_answers_and_moves")


def snapshot(engine: Engine) -> dict[str, tuple[list[str], int, dict[str, str]]]:
    """Per table: its columns, its row count and a checksum of each column."""
    found: dict[str, tuple[list[str], int, dict[str, str]]] = {}
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version":
                continue
            keys = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*keys)).mappings().all()
            sums = {
                column.name: hashlib.sha256(
                    repr([row[column.name] for row in rows]).encode()
                ).hexdigest()
                for column in table.columns
            }
            found[name] = (sorted(sums), len(rows), sums)
    return found


def restricted(
    later: dict[str, tuple[list[str], int, dict[str, str]]],
    early: dict[str, tuple[list[str], int, dict[str, str]]],
) -> dict[str, tuple[int, dict[str, str]]]:
    """``later`` cut down to the tables and columns ``early`` has."""
    return {
        name: (later[name][1], {c: later[name][2][c] for c in columns})
        for name, (columns, _, _) in early.items()
    }


@pytest.mark.parametrize("early_revision", EARLY)
def test_upgrade_downgrade_upgrade_keeps_every_row_and_value(
    new_database: Callable[..., str], early_revision: str
) -> None:
    # A database made as a user's is: by the migrations, from empty.
    url = new_database(schema=False)
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url}
    engine = make_engine(url)
    upgrade(engine=engine)
    app = create_app(config)
    seeded = app.test_cli_runner().invoke(args=["demo", "--participants", "4"])
    assert seeded.exit_code == 0, seeded.output
    get_engine(app).dispose()
    before = snapshot(engine)
    counts = {name: n for name, (_, n, _) in before.items()}
    assert counts["participant"] > 0 and counts["event"] > 0
    assert counts["response"] > 0 and counts["cxresponse"] > 0

    downgrade(early_revision, engine=engine)
    assert current_revisions(engine) == (early_revision,)
    early = snapshot(engine)
    assert "cxresponse" not in early and "participant" in early
    assert all(early[t][1] > 0 for t in ("response", "taskattempt", "sessionnote"))
    if "auditprojectrun" in early:
        assert early["auditprojectrun"][1] > 0
    # Nothing the early schema holds was lost or changed on the way down...
    assert {n: (c, s) for n, (_, c, s) in early.items()} == restricted(before, early)

    upgrade(engine=engine)
    after = snapshot(engine)
    # ...nor on the way back up; and every later table is back with its
    # columns, ready for use.
    assert restricted(after, early) == restricted(before, early)
    assert {n: cols for n, (cols, _, _) in after.items()} == {
        n: cols for n, (cols, _, _) in before.items()
    }
    engine.dispose()

    served = create_app(config)
    assert served.test_client().get("/login").status_code == 200
    get_engine(served).dispose()
