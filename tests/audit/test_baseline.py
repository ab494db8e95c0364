"""Baselines of accepted issues, GitHub annotations and CI progress lines."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from uxlab.audit import baseline
from uxlab.audit.annotate import github_annotations
from uxlab.audit.cli import audit_command
from uxlab.audit.findings import AuditReport, Finding, Severity
from uxlab.audit.script import AuditScript
from uxlab.errors import AuditError

TODAY = dt.date(2026, 12, 5)


def report_with(*findings: Finding) -> AuditReport:
    script = AuditScript.model_validate(
        {"tasks": [{"name": "A", "steps": [{"goto": "http://site.test/"}]}]}
    )
    from uxlab.audit.findings import evaluate_thresholds

    thresholds = evaluate_thresholds(script, [], [], findings)
    return AuditReport(script, "", 0.0, "", "", 1, (), (), findings, thresholds)


ALT = Finding(
    "image-alt",
    "accessibility",
    Severity.critical,
    "http://site.test/",
    "desktop",
    "img.logo",
    "Element has no alt",
    "Images must have alternative text",
    tags=("wcag2a", "wcag111"),
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "baseline.yaml"
    path.write_text(text)
    return path


def test_accepted_issue_is_set_apart_and_fails_nothing(tmp_path: Path) -> None:
    report = report_with(ALT)
    assert not report.passed  # no thresholds: a critical issue fails the run
    (issue,) = report.issues
    path = write(
        tmp_path,
        f"issues:\n  - id: {issue.id}\n    reason: New logo in March\n"
        "    expires: 2027-03-31\n",
    )
    accepted = baseline.apply_baseline(
        report, baseline.load_baseline(path), today=TODAY
    )
    assert accepted.passed
    assert accepted.accepted == {issue.id: "New logo in March (until 2027-03-31)"}
    assert accepted.open_issues == ()
    assert accepted.severity_counts()["critical"] == 0


def test_expired_entry_counts_again(tmp_path: Path) -> None:
    report = report_with(ALT)
    (issue,) = report.issues
    path = write(
        tmp_path,
        f"issues:\n  - id: {issue.id}\n    reason: Later\n    expires: 2026-12-04\n",
    )
    again = baseline.apply_baseline(report, baseline.load_baseline(path), today=TODAY)
    assert not again.passed
    assert again.accepted == {}
    assert "accepted until 2026-12-04: Later; counts again" in again.expired[issue.id]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("issues: 3\n", "expected a mapping with an 'issues' list"),
        ("issues:\n  - reason: x\n", "entry 1 has no id"),
        ("issues:\n  - id: abc\n", "entry 1 (abc) has no reason"),
        (
            "issues:\n  - id: abc\n    reason: x\n    expires: soon\n",
            "expires 'soon' is not YYYY-MM-DD",
        ),
        ("issues: [\n", "not valid YAML"),
    ],
)
def test_bad_baseline_names_the_entry(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AuditError, match="baseline .*baseline.yaml") as caught:
        baseline.load_baseline(write(tmp_path, text))
    assert message in str(caught.value)


def test_update_keeps_reasons_and_drops_fixed_issues(tmp_path: Path) -> None:
    other = Finding(
        "label",
        "accessibility",
        Severity.critical,
        "http://site.test/",
        "desktop",
        "input",
        "No label",
        "Label it",
    )
    report = report_with(ALT, other)
    alt_id = next(i.id for i in report.issues if i.rule == "image-alt")
    previous = [
        baseline.BaselineEntry(alt_id, "Known", expires=dt.date(2027, 1, 1)),
        baseline.BaselineEntry("0123456789ab", "Fixed since"),
    ]
    entries = baseline.updated_baseline(report, previous, today=TODAY)
    path = baseline.write_baseline(entries, tmp_path / "b.yaml")
    data = yaml.safe_load(path.read_text())
    by_rule = {e["rule"]: e for e in data["issues"]}
    assert set(by_rule) == {"image-alt", "label"}
    assert by_rule["image-alt"]["reason"] == "Known"
    assert by_rule["image-alt"]["expires"] == dt.date(2027, 1, 1)
    assert by_rule["label"]["reason"] == (
        "accepted with --update-baseline on 2026-12-05"
    )
    assert baseline.load_baseline(path) == entries


def test_github_annotations_one_per_open_issue() -> None:
    report = report_with(ALT, ALT.__class__(**{**_fields(ALT), "viewport": "mobile"}))
    lines = github_annotations(report)
    assert lines == [
        "::error title=uxlab critical%3A image-alt (WCAG 1.1.1)::Element has no alt"
        " — img.logo on http://site.test/ [desktop, mobile]. Fix: Images must have"
        " alternative text"
    ]


def _fields(finding: Finding) -> dict[str, object]:
    return {name: getattr(finding, name) for name in finding.__slots__}  # type: ignore[attr-defined]


@pytest.mark.browser
def test_cli_baseline_round_trip_annotations_and_progress(
    site_url: Callable[[str], str], tmp_path: Path
) -> None:
    script = tmp_path / "keyboard.yaml"
    script.write_text(
        "name: Keyboard\n"
        "viewports: [desktop]\n"
        "checks: [keyboard]\n"
        "tasks:\n"
        "  - name: Pick a date\n"
        "    steps: [{goto: /trap}, {goto: /skip}]\n"
    )
    common = [str(script), "--base-url", site_url("keyboard")]
    file = tmp_path / "baseline.yaml"

    first = CliRunner().invoke(
        audit_command,
        [*common, "--report", str(tmp_path / "a"), "--format", "github"],
    )
    # no thresholds: the keyboard trap (critical) fails the run, and it says so
    assert first.exit_code == 1, first.output
    assert "sets no thresholds" in first.output
    assert "::error title=uxlab critical%3A keyboard-trap (WCAG 2.1.2)::" in (
        first.output
    )
    assert "::warning title=uxlab moderate%3A skip-link-missing" in first.output
    # without a TTY, one line per audited page state
    assert first.output.count("audited http://127.0.0.1:") == 2

    second = CliRunner().invoke(
        audit_command,
        [*common, "--report", str(tmp_path / "b"), "--baseline", str(file)],
    )
    assert second.exit_code == 2
    assert "Error: baseline" in second.output and "cannot read it" in second.output

    third = CliRunner().invoke(
        audit_command,
        [
            *common,
            "--report",
            str(tmp_path / "c"),
            "--baseline",
            str(file),
            "--update-baseline",
        ],
    )
    assert third.exit_code == 0, third.output
    assert "2 issue(s) written" in third.output
    data = json.loads((tmp_path / "c" / "report.json").read_text())
    assert data["summary"]["passed"] is True
    assert data["summary"]["accepted_issues"] == 2
    assert all(i["accepted"] for i in data["issues"])

    fourth = CliRunner().invoke(
        audit_command,
        [*common, "--report", str(tmp_path / "d"), "--baseline", str(file)],
        env={"UXLAB_ANNOTATE": "github"},
    )
    assert fourth.exit_code == 0, fourth.output
    assert "::error" not in fourth.output and "::warning" not in fourth.output
    assert "Baseline: 2 issue(s) accepted" in fourth.output


def test_update_baseline_needs_a_file() -> None:
    result = CliRunner().invoke(audit_command, ["--update-baseline"])
    assert result.exit_code == 2
    assert "--update-baseline needs --baseline FILE" in result.output
