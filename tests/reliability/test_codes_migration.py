"""Five-second codes and CX tags become one codebook feature (0023), on a
copy holding the demo's data, and go back again unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from uxlab.app import create_app
from uxlab.db import get_engine, make_engine
from uxlab.migrate import downgrade, upgrade

pytestmark = pytest.mark.reliability

BEFORE = "0022_five_second"


def _rows(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in conn.execute(text(sql)).all()]


def _old(conn: Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        "cxtag": _rows(conn, "SELECT id, workspace_id, name FROM cxtag ORDER BY id"),
        "cxresponsetag": _rows(
            conn,
            "SELECT response_id, tag_id FROM cxresponsetag ORDER BY 1, 2",
        ),
        "fivesecondcode": _rows(
            conn,
            "SELECT id, study_id, question, label FROM fivesecondcode ORDER BY id",
        ),
        "fivesecondcoding": _rows(
            conn, "SELECT answer_id, code_id FROM fivesecondcoding ORDER BY 1, 2"
        ),
        "cxtouchpointlink": _rows(
            conn, "SELECT id, source_tag_id, source_count FROM cxtouchpointlink"
        ),
    }


def test_codes_and_tags_merge_into_one_codebook_table_and_back(
    new_database: Callable[..., str],
) -> None:
    url = new_database(schema=False)
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url}
    engine = make_engine(url)
    upgrade(engine=engine)
    app = create_app(config)
    seeded = app.test_cli_runner().invoke(args=["demo", "--participants", "4"])
    assert seeded.exit_code == 0, seeded.output
    get_engine(app).dispose()

    downgrade(BEFORE, engine=engine)
    with engine.begin() as conn:
        # Two more CX tags with answers, one a study was started from, as
        # 0022 held them; the demo gave its answers and five-second study codes.
        workspace = conn.execute(text("SELECT MIN(id) FROM workspace")).scalar()
        responses = [
            r[0]
            for r in conn.execute(
                text("SELECT id FROM cxresponse ORDER BY id LIMIT 3")
            ).all()
        ]
        touchpoint = conn.execute(
            text("SELECT touchpoint_id FROM cxresponse WHERE id = :id"),
            {"id": responses[0]},
        ).scalar()
        study = conn.execute(text("SELECT MIN(id) FROM study")).scalar()
        last = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM cxtag")).scalar()
        assert isinstance(last, int)
        first, second = last + 1, last + 2
        for tag_id, name in ((first, "late parcel"), (second, "wrong size")):
            conn.execute(
                text("INSERT INTO cxtag (id, workspace_id, name) VALUES (:i, :w, :n)"),
                {"i": tag_id, "w": workspace, "n": name},
            )
        conn.execute(
            text("DELETE FROM cxresponsetag WHERE response_id IN (:a, :b, :c)"),
            dict(zip("abc", responses, strict=True)),
        )
        for response_id, tag_id in zip(responses, (first, first, second), strict=True):
            conn.execute(
                text("INSERT INTO cxresponsetag VALUES (:r, :t)"),
                {"r": response_id, "t": tag_id},
            )
        conn.execute(
            text(
                "INSERT INTO cxtouchpointlink (touchpoint_id, study_id, created_at, "
                "source_tag_id, source_count) VALUES (:tp, :s, CURRENT_TIMESTAMP, :t, 2)"
            ),
            {"tp": touchpoint, "s": study, "t": first},
        )
    with engine.connect() as conn:
        old = _old(conn)
    assert old["fivesecondcode"] and old["fivesecondcoding"]  # from the demo
    assert len(old["cxtag"]) > 2 and len(old["cxresponsetag"]) > 3
    offset = second  # five-second codes move up past the largest tag id

    upgrade(engine=engine)
    with engine.connect() as conn:
        codes = {
            r[0]: r[1:]
            for r in _rows(
                conn,
                "SELECT id, workspace_id, study_id, codebook, label FROM code",
            )
        }
        # The tags keep their ids in their workspace's codebook of customer answers.
        for tag_id, workspace_id, name in old["cxtag"]:
            assert codes[tag_id] == (workspace_id, None, "cx", name)
        assert _rows(
            conn, "SELECT subject_id, code_id FROM cxresponsecode ORDER BY 1"
        ) == [(r, t) for r, t in old["cxresponsetag"]]
        # Each five-second code moves up past the tags, in its question's book.
        for code_id, study_id, question, label in old["fivesecondcode"]:
            assert codes[code_id + offset][1:] == (
                study_id,
                f"study:{study_id}:{question}",
                label,
            )
        assert sorted(
            _rows(conn, "SELECT subject_id, code_id FROM fivesecondanswercode")
        ) == sorted((a, c + offset) for a, c in old["fivesecondcoding"])
        assert (
            _rows(conn, "SELECT id, source_code_id, source_count FROM cxtouchpointlink")
            == old["cxtouchpointlink"]
        )
        # A new code takes the next id on PostgreSQL as on SQLite.
        conn.execute(
            text(
                "INSERT INTO code (workspace_id, codebook, label, created_at) "
                "VALUES (:w, 'cx', 'new', CURRENT_TIMESTAMP)"
            ),
            {"w": workspace},
        )
        assert (
            conn.execute(text("SELECT id FROM code WHERE label = 'new'")).scalar()
            == max(codes) + 1
        )
        conn.rollback()

    downgrade(BEFORE, engine=engine)
    with engine.connect() as conn:
        back = _old(conn)
    # Tags come back as they were; five-second codes keep their new ids, and
    # every answer its codes.
    for table in ("cxtag", "cxresponsetag", "cxtouchpointlink"):
        assert back[table] == old[table]
    assert back["fivesecondcode"] == [
        (i + offset, *rest) for i, *rest in old["fivesecondcode"]
    ]
    assert back["fivesecondcoding"] == [
        (a, c + offset) for a, c in old["fivesecondcoding"]
    ]
    upgrade(engine=engine)
    engine.dispose()
