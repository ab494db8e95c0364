"""``uxlab audit``: exit status 0 / 1 / 2, reports written, --from-study."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlmodel import Session

from tests.audit.conftest import SCRIPTS
from uxlab.accounts import create_researcher
from uxlab.audit.cli import audit_command
from uxlab.db import get_engine
from uxlab.models import Study, Task
from uxlab.workspaces import personal_workspace


@pytest.mark.browser
def test_failing_thresholds_exit_1_and_say_which(
    site_url: Callable[[str], str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        audit_command,
        [
            str(SCRIPTS / "faulty.yaml"),
            "--base-url",
            site_url("faulty"),
            "--viewport",
            "desktop",
            "--report",
            str(tmp_path / "out"),
            "--fail-on",
            "critical",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "✗ Check out [desktop] 2 steps" in result.output
    assert "✓ Browse the shop [desktop] 5 steps" in result.output
    for name in (
        "task_success",
        "accessibility.critical",
        "accessibility.serious",
        "performance.lcp_ms",
        "fail_on.critical",
    ):
        assert f"✗ threshold {name}:" in result.output
    assert "FAILED" in result.output
    for name in ("report.html", "report.json", "junit.xml"):
        assert (tmp_path / "out" / name).is_file()
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [v["name"] for v in data["script"]["viewports"]] == ["desktop"]
    assert data["run"]["fail_on"] == "critical"


def test_bad_script_exits_2_naming_line_and_field(tmp_path: Path) -> None:
    script = tmp_path / "bad.yaml"
    script.write_text(
        "name: Bad\nbase_url: http://127.0.0.1:1\ntasks:\n"
        "  - name: t\n    steps:\n      - goto: /\n      - tap: {text: Buy}\n"
    )
    result = CliRunner().invoke(audit_command, [str(script), "--report", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert (
        f"{script} line 7: tasks[0].steps[1].tap: unknown step 'tap'" in result.output
    )
    assert not (tmp_path / "report.json").exists()


def test_unreachable_site_exits_2(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(
        audit_command,
        [
            str(SCRIPTS / "storefront.yaml"),
            "--base-url",
            f"http://127.0.0.1:{port}",
            "--report",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2, result.output
    assert f"Error: http://127.0.0.1:{port} did not answer" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give an audit SCRIPT or --from-study SLUG"),
        ([str(SCRIPTS / "faulty.yaml"), "--from-study", "x"], "not both"),
        ([str(SCRIPTS / "faulty.yaml"), "--viewport", "watch"], "WIDTHxHEIGHT"),
        ([str(SCRIPTS / "faulty.yaml"), "--fail-on", "high"], "'high' is not one of"),
        ([str(SCRIPTS / "faulty.yaml"), "--workers", "0"], "0 is not in the range"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(audit_command, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_audit_is_a_uxlab_command() -> None:
    from uxlab.cli import cli

    assert cli.commands["audit"] is audit_command


def add_study(app: Flask, start_urls: list[str | None]) -> None:
    with Session(get_engine(app)) as session:
        researcher = create_researcher(
            session, email="r@example.org", password="long-enough"
        )
        assert researcher.id is not None
        workspace = personal_workspace(session, researcher.id)
        study = Study(
            researcher_id=researcher.id,
            workspace_id=workspace.id,
            slug="shop",
            title="Shop study",
        )
        session.add(study)
        session.flush()
        assert study.id is not None
        for position, url in enumerate(start_urls):
            session.add(
                Task(
                    study_id=study.id,
                    key=f"t{position}",
                    position=position,
                    title=f"Task {position}",
                    start_url=url,
                    success_kind="url_matches",
                    success_value="/cart",
                )
            )
        session.commit()


@pytest.mark.browser
def test_from_study_audits_the_start_urls(
    app: Flask, site_url: Callable[[str], str], tmp_path: Path
) -> None:
    base = site_url("storefront")
    add_study(app, ["/jackets", f"{base}/blue-rain-jacket", None])
    result = app.test_cli_runner().invoke(
        args=[
            "audit",
            "--from-study",
            "shop",
            "--base-url",
            base,
            "--viewport",
            "mobile",
            "--report",
            str(tmp_path),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Auditing Study: Shop study (2 task(s) × 1 viewport(s)" in result.output
    assert "PASSED" in result.output
    data = json.loads((tmp_path / "report.json").read_text())
    assert [(t["name"], t["success"]) for t in data["tasks"]] == [
        ("Task 0", True),
        ("Task 1", True),
    ]
    assert sorted(p["url"] for p in data["pages"]) == [
        f"{base}/blue-rain-jacket",
        f"{base}/jackets",
    ]
    assert data["findings"] == []


@pytest.mark.parametrize(
    ("slug", "base_url", "message"),
    [
        ("nope", "http://127.0.0.1:1", "no study with slug 'nope'"),
        ("shop", None, "start_url '/jackets' is relative; pass --base-url"),
    ],
)
def test_from_study_errors_exit_2(
    app: Flask, slug: str, base_url: str | None, message: str
) -> None:
    add_study(app, ["/jackets"])
    args = ["audit", "--from-study", slug]
    if base_url:
        args += ["--base-url", base_url]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2, result.output
    assert message in result.output
