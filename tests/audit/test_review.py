"""axe-core's undecided results: a Needs review section that counts toward
nothing unless the script says so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from uxlab.audit import AuditReport, AuditScript, run_audit
from uxlab.audit.report import write_reports

pytestmark = pytest.mark.browser


def audit(base: str, page: str, **thresholds: object) -> AuditReport:
    data: dict[str, object] = {
        "name": "Review",
        "base_url": base,
        "viewports": ["desktop"],
        "checks": ["accessibility"],
        "tasks": [{"name": "Look", "steps": [{"goto": page}]}],
    }
    if thresholds:
        data["thresholds"] = thresholds
    return run_audit(AuditScript.model_validate(data))


def test_text_over_an_image_needs_review_and_counts_for_nothing(
    site_url: Callable[[str], str], tmp_path: Path
) -> None:
    report = audit(site_url("review"), "/")
    # white text over a background image: axe cannot work out the contrast
    (issue,) = report.review_issues
    assert issue.rule == "color-contrast"
    assert issue.check == "needs_review"
    assert "background image" in issue.message
    assert issue.snippet is not None and 'class="hero"' in issue.snippet
    assert report.open_issues == ()
    assert report.passed  # no thresholds: fails only on critical issues
    write_reports(report, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["summary"]["needs_review"] == 1
    assert sum(data["summary"]["issues"].values()) == 0
    html = (tmp_path / "report.html").read_text()
    assert "Needs review" in html and "background image" in html


def test_needs_review_can_be_made_to_count(site_url: Callable[[str], str]) -> None:
    report = audit(
        site_url("review"), "/", needs_review=True, accessibility={"serious": 0}
    )
    assert not report.passed
    assert [t.name for t in report.failed_thresholds] == ["accessibility.serious"]
    assert report.review_issues == ()


def test_clean_twin_needs_no_review(site_url: Callable[[str], str]) -> None:
    report = audit(site_url("review"), "/clean")
    assert report.findings == ()
