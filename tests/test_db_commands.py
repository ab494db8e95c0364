"""Moving an instance to another database with `uxlab db copy`, and the `db` commands.

The source is always a SQLite file, as for a team moving off one machine; the
target is a database of the suite's own kind (PostgreSQL under
``make test-postgres``).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.test_participation import SECRET, make_study, open_token
from uxlab import create_app
from uxlab.db import create_schema, get_engine, make_engine
from uxlab.invites import create_invites, invite_token
from uxlab.migrate import current_revisions, pending_revisions, upgrade
from uxlab.models import Participant, Study

from .conftest import ON_POSTGRES


def _app(url: str) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": SECRET, "DATABASE_URL": url})


@pytest.fixture(name="source")
def source_fixture(tmp_path: Path) -> Flask:
    app = _app(f"sqlite:///{tmp_path / 'source.sqlite'}")
    upgrade(engine=get_engine(app))
    return app


def test_copy_moves_every_row_and_links_keep_working(
    source: Flask, new_database: Callable[..., str]
) -> None:
    with Session(get_engine(source), expire_on_commit=False) as session:
        study = make_study(session, "participant_study.yaml")
        open_link = f"/s/{open_token(session, study)}"
        invite = create_invites(session, study, 1, SECRET)[0]
        invite_link = f"/s/{invite_token(invite, SECRET)}"
    before = source.test_client()
    assert before.get(open_link).status_code == 303
    resume = re.search(
        r"/r/[\w-]+", before.get(f"/take/{study.slug}").get_data(as_text=True)
    )
    assert resume is not None

    target_url = new_database(schema=False)
    result = source.test_cli_runner().invoke(args=["db", "copy", "--to", target_url])
    assert result.exit_code == 0, result.output
    assert "participant" in result.output and "ok" in result.output
    counts = dict(
        re.findall(r"^  (\w+)\s+([\d,]+)\s+[\d,]+\s+ok$", result.output, re.M)
    )
    assert counts["study"] == "1" and counts["participant"] == "1"
    assert "password" not in result.output and SECRET not in result.output

    target = _app(target_url)
    engine = get_engine(target)
    assert pending_revisions(engine) == []
    with Session(engine) as session:
        assert session.exec(select(Study.slug)).all() == [study.slug]
    after = target.test_client()
    # The participant who had started resumes from their personal link ...
    assert after.get(resume.group(0)).status_code == 303
    # ... an unused single-use invite still opens, and the open link lets a new
    # participant in, whose id comes after the copied ones.
    assert after.get(invite_link).status_code == 303
    assert target.test_client().get(open_link).status_code == 303
    with Session(engine) as session:
        ids = session.exec(select(Participant.id).order_by(Participant.id)).all()
    assert len(ids) == 3 and len(set(ids)) == 3
    engine.dispose()


def test_copy_refuses_a_target_that_holds_data_unless_replace(
    source: Flask, new_database: Callable[..., str]
) -> None:
    with Session(get_engine(source)) as session:
        make_study(session, "participant_study.yaml")
    target_url = new_database(schema=False)
    occupied = _app(target_url)
    upgrade(engine=get_engine(occupied))
    with Session(get_engine(occupied)) as session:
        make_study(session, "researcher_study.yaml")
        kept = session.exec(select(Study.slug)).all()

    runner = source.test_cli_runner()
    refused = runner.invoke(args=["db", "copy", "--to", target_url])
    assert refused.exit_code == 2
    assert "already holds data" in refused.output and "--replace" in refused.output
    with Session(get_engine(occupied)) as session:
        assert session.exec(select(Study.slug)).all() == kept  # untouched

    replaced = runner.invoke(args=["db", "copy", "--to", target_url, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    with Session(get_engine(occupied)) as session:
        slugs = session.exec(select(Study.slug)).all()
    assert slugs != kept and len(slugs) == 1
    get_engine(occupied).dispose()


def test_copy_refuses_a_source_whose_schema_is_behind(
    tmp_path: Path, new_database: Callable[..., str]
) -> None:
    old = _app(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(revision="0001_initial", engine=get_engine(old))
    target_url = new_database(schema=False)
    result = old.test_cli_runner().invoke(args=["db", "copy", "--to", target_url])
    assert result.exit_code == 2
    assert "behind" in result.output and "uxlab db upgrade" in result.output
    probe = make_engine(target_url)
    assert current_revisions(probe) == ()  # nothing was written to the target
    probe.dispose()


def test_downgrade_needs_yes(new_database: Callable[..., str]) -> None:
    app = _app(new_database(schema=False))
    upgrade(engine=get_engine(app))
    runner = app.test_cli_runner()
    head = current_revisions(get_engine(app))
    refused = runner.invoke(args=["db", "downgrade", "0002_recorder"])
    assert refused.exit_code == 2 and "--yes" in refused.output
    if ON_POSTGRES:
        assert "pg_dump" in refused.output
    assert current_revisions(get_engine(app)) == head
    done = runner.invoke(args=["db", "downgrade", "0002_recorder", "--yes"])
    assert done.exit_code == 0, done.output
    assert current_revisions(get_engine(app)) == ("0002_recorder",)
    get_engine(app).dispose()


def test_upgrade_on_postgresql_says_how_to_back_up(
    new_database: Callable[..., str],
) -> None:
    app = _app(new_database(schema=False))
    upgrade(revision="0002_recorder", engine=get_engine(app))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert ("pg_dump --format=custom" in result.output) == ON_POSTGRES
    assert pending_revisions(get_engine(app)) == []
    get_engine(app).dispose()


def test_schema_made_from_models_counts_as_current(database_url: str) -> None:
    engine = make_engine(database_url)
    create_schema(engine)
    upgrade(engine=engine)
    assert pending_revisions(engine) == []
    engine.dispose()


def test_serve_refuses_a_shared_database_whose_schema_is_behind(
    new_database: Callable[..., str],
) -> None:
    """On PostgreSQL the operator upgrades once; SQLite upgrades itself."""
    url = new_database(schema=False)
    app = _app(url)
    upgrade(revision="0002_recorder", engine=get_engine(app))
    if not ON_POSTGRES:
        pytest.skip("the embedded SQLite default migrates itself when served")
    result = app.test_cli_runner().invoke(args=["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "behind" in result.output and "uxlab db upgrade" in result.output
    assert current_revisions(get_engine(app)) == ("0002_recorder",)
    get_engine(app).dispose()


def _uxlab(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``uxlab ARGS`` (``db current``) as a user would, with these settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("UXLAB_")}
    return subprocess.run(
        [sys.executable, "-m", "uxlab", *(args or ("db", "current"))],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://ux:hunter2@127.0.0.1:{port}/uxlab", "127.0.0.1:{port}"),
        ("postgresql+psycopg://ux:hunter2@nosuch.invalid/uxlab", "nosuch.invalid:5432"),
        # As hosting providers hand them out: no driver named.
        ("postgres://ux:hunter2@127.0.0.1:{port}/uxlab", "127.0.0.1:{port}"),
        # An unencoded "@" in the password must not be taken for the host.
        (
            "postgresql+psycopg://ux:hunter2@x#y@127.0.0.1:{port}/uxlab",
            "percent-encode",
        ),
        ("postgresql+psycopg://ux:hun:ter2@127.0.0.1:x/uxlab", "malformed"),
        ("mysql://ux:hunter2@127.0.0.1/uxlab", "SQLite or PostgreSQL"),
    ],
)
def test_a_bad_database_url_is_one_line_naming_host_and_port(
    tmp_path: Path, url: str, expected: str
) -> None:
    port = _closed_port()
    done = _uxlab(
        tmp_path,
        UXLAB_DATABASE_URL=url.format(port=port),
        UXLAB_SECRET_KEY="a-shared-key",
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: ")
    assert expected.format(port=port) in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_shared_database_needs_an_explicit_secret_key(tmp_path: Path) -> None:
    """Links are derived from the key, so each process must not invent its own."""
    done = _uxlab(
        tmp_path, UXLAB_DATABASE_URL="postgresql+psycopg://ux@127.0.0.1:1/uxlab"
    )
    assert done.returncode == 2 and "UXLAB_SECRET_KEY" in done.stderr


def test_a_database_that_refuses_a_write_is_one_line(
    tmp_path: Path, new_database: Callable[..., str]
) -> None:
    """A role without rights (or a read-only file): no traceback, exit 2."""
    if ON_POSTGRES:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(new_database(schema=False))
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP ROLE IF EXISTS uxlab_reader"))
            conn.execute(text("CREATE ROLE uxlab_reader LOGIN PASSWORD 'hunter2'"))
        admin.dispose()
        limited = url.set(username="uxlab_reader", password="hunter2")
        target = limited.render_as_string(hide_password=False)
        expected = "permission denied"
    else:
        path = tmp_path / "read-only.sqlite"
        path.touch()
        target = f"sqlite:///file:{path}?mode=ro&uri=true"
        expected = "readonly"
    done = _uxlab(
        tmp_path,
        "db",
        "upgrade",
        UXLAB_DATABASE_URL=target,
        UXLAB_SECRET_KEY="a-shared-key",
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("Error: refused by the ")
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "hunter2" not in done.stderr
