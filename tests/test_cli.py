from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import select

from uxlab.cli import cli
from uxlab.demo import DEMO_EMAIL, DEMO_PASSWORD
from uxlab.models import Participant, Study

DATA = Path(__file__).parent / "data"


def _researcher(runner) -> None:
    result = runner.invoke(
        args=[
            "researcher",
            "create",
            "r@example.org",
            "--name",
            "R",
            "--password",
            "long-enough",
        ]
    )
    assert result.exit_code == 0, result.output


def test_researcher_create_and_duplicate(runner) -> None:
    _researcher(runner)
    again = runner.invoke(
        args=["researcher", "create", "r@example.org", "--password", "long-enough"]
    )
    assert again.exit_code == 1
    assert (
        again.output.strip()
        == "Error: a researcher with email 'r@example.org' already exists"
    )


def test_short_password_is_refused(runner) -> None:
    result = runner.invoke(
        args=["researcher", "create", "x@example.org", "--password", "short"]
    )
    assert result.exit_code == 2  # a bad parameter, refused before anything is asked
    assert "at least 8 characters" in result.output
    assert "Traceback" not in result.output


def test_study_validate_valid_and_invalid() -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["study", "validate", str(DATA / "valid_study.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "valid unmoderated study 'Test checkout study' with 2 task(s)" in ok.output
    bad = runner.invoke(cli, ["study", "validate", str(DATA / "invalid_study.yaml")])
    assert bad.exit_code == 1
    assert (
        "invalid_study.yaml" in bad.output
        and "tasks[1].colour: unknown field" in bad.output
    )
    assert len(bad.output.strip().splitlines()) == 1
    missing = runner.invoke(cli, ["study", "validate", "no-such-file.yaml"])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_study_import_list_and_export(runner, app, session, tmp_path: Path) -> None:
    _researcher(runner)
    result = runner.invoke(
        args=[
            "study",
            "import",
            str(DATA / "valid_study.yaml"),
            "--owner",
            "r@example.org",
            "--publish",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "as test-checkout-study (live)" in result.output
    listed = runner.invoke(args=["study", "list"])
    assert "test-checkout-study" in listed.output and "live" in listed.output

    out = tmp_path / "out"
    exported = runner.invoke(args=["export", "test-checkout-study", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "test-checkout-study-attempts.csv",
        "test-checkout-study-participants.csv",
        "test-checkout-study-responses.csv",
    ]
    with (out / "test-checkout-study-attempts.csv").open(newline="") as fh:
        assert next(csv.reader(fh))[:3] == ["participant", "variant", "task"]
    as_json = runner.invoke(
        args=["export", "test-checkout-study", "--format", "json", "-o", str(out)]
    )
    assert as_json.exit_code == 0, as_json.output
    bundle = json.loads((out / "test-checkout-study.json").read_text())
    assert [t["task"] for t in bundle["tasks"]] == ["find", "help"]


def test_import_errors_are_one_line(runner) -> None:
    result = runner.invoke(
        args=[
            "study",
            "import",
            str(DATA / "valid_study.yaml"),
            "--owner",
            "ghost@example.org",
        ]
    )
    assert result.exit_code == 1
    assert (
        result.output.strip() == "Error: no researcher with email 'ghost@example.org'"
    )
    unknown = runner.invoke(args=["export", "nope"])
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "Error: no study 'nope'"


def test_demo_seeds_once(runner, session) -> None:
    result = runner.invoke(args=["demo", "--participants", "12"])
    assert result.exit_code == 0, result.output
    assert f"as {DEMO_EMAIL} with password {DEMO_PASSWORD}" in result.output
    shop = session.exec(
        select(Study).where(Study.slug == "northwind-shop-usability-test")
    ).one()
    participants = session.exec(
        select(Participant).where(Participant.study_id == shop.id)
    ).all()
    assert len(participants) == 12
    assert any(p.finished_at for p in participants)
    # The shop's visits are recorded as the recorder would have: the clicks
    # page has paths and clicks, and nobody is flagged for never leaving.
    from uxlab.analysis import analyse_study
    from uxlab.clicks import study_clicks

    reports = {r.task.key: r for r in study_clicks(session, shop)}
    assert reports["find-jacket"].clicks > 0 and reports["find-jacket"].paths
    assert reports["checkout"].participants > 0
    first_path = reports["returns"].paths[0][0]
    assert first_path[0].endswith("index.html")
    flags = dict(analyse_study(session, shop).flag_counts)
    assert flags["never_left_task_page"] == 0
    moderated = session.exec(select(Study).where(Study.mode == "moderated")).one()
    links = result.output.split("Participant links")[1]
    assert shop.slug in links and moderated.slug not in links
    assert "http://127.0.0.1:5000/s/" in links  # where `make demo` serves
    runner.app.config["PUBLIC_URL"] = "https://ux.example.org/"
    again = runner.invoke(args=["demo"])
    assert "https://ux.example.org/s/" in again.output
    assert again.exit_code == 0, again.output
    assert "already exists" in again.output
    assert (
        len(
            session.exec(
                select(Participant).where(Participant.study_id == shop.id)
            ).all()
        )
        == 12
    )


def test_help_lists_the_commands() -> None:
    # As a user runs it: the console script, which loads the app's commands too.
    result = subprocess.run(
        [sys.executable, "-m", "uxlab", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = [
        line.split()[0]
        for line in result.stdout.split("Commands:")[1].splitlines()
        if line.strip()
    ]
    for name in ("serve", "demo", "db", "researcher", "study", "export", "audit"):
        assert name in listed
    assert len(listed) == len(set(listed)) and "cli" not in listed, listed


def test_serve_on_a_busy_port_is_one_line(runner) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(args=["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(is another server running there? try --port)"
    ]


def test_queue_depth_warnings_are_summarised() -> None:
    """A saturated server logs one queue-depth line per interval, the deepest."""
    import logging

    from uxlab.cli import QueueDepthSummary

    now = [100.0]
    log = logging.getLogger("waitress.queue.test")
    log.propagate = False
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Keep()
    log.addHandler(handler)
    log.addFilter(QueueDepthSummary(interval=10.0, clock=lambda: now[0]))
    try:
        for depth, at in [(1, 100.0), (3, 101.0), (7, 105.0), (2, 109.9), (4, 110.0)]:
            now[0] = at
            log.warning("Task queue depth is %d", depth)  # waitress's own wording
    finally:
        log.removeHandler(handler)
    assert seen == [
        "Task queue depth reached 1 (requests waiting for a thread)",
        "Task queue depth reached 7 (requests waiting for a thread)",
    ]


def test_help_lists_uxlab_commands_and_options_only() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    for flask_only in ("--env-file", "--app", "--debug", "limiter"):
        assert flask_only not in result.output
    commands = result.output.split("Commands:")[1].split()
    for name in ("db", "demo", "export", "report", "serve", "study", "audit"):
        assert name in commands
    assert CliRunner().invoke(cli, ["limiter", "--help"]).exit_code == 2


def test_researcher_create_checks_before_asking_twice(runner) -> None:
    bad_email = runner.invoke(args=["researcher", "create", "not-an-email"])
    assert bad_email.exit_code == 2
    assert "is not an email address" in bad_email.output
    assert "Password" not in bad_email.output  # refused before any prompt
    result = runner.invoke(
        args=["researcher", "create", "p@example.org"],
        input="short\nlong-enough\nlong-enough\n",
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("at least 8 characters") < out.index("Repeat for confirmation")
    assert "Created researcher p@example.org" in out
