"""The keyboard walk inside a whole audit run: desktop only, outlined screenshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from uxlab.audit import AuditScript, run_audit
from uxlab.audit.report import write_reports

pytestmark = pytest.mark.browser

JPEG = b"\xff\xd8\xff"


def test_audit_walks_desktop_pages_and_writes_outlined_screenshots(
    site_url: Callable[[str], str], tmp_path: Path
) -> None:
    script = AuditScript.model_validate(
        {
            "name": "Keyboard",
            "base_url": site_url("keyboard"),
            "viewports": ["desktop", "mobile"],
            "checks": ["keyboard", "screenshots"],
            "tasks": [{"name": "Pick a date", "steps": [{"goto": "/trap"}]}],
        }
    )
    report = run_audit(script)
    assert [(f.rule, f.viewport) for f in report.findings] == [
        ("keyboard-trap", "desktop")
    ]
    write_reports(report, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    (finding,) = data["findings"]
    assert finding["snippet"].startswith('<input name="day"')
    assert (tmp_path / finding["screenshot"]).read_bytes().startswith(JPEG)


def test_report_issues_view_in_a_browser(
    site_url: Callable[[str], str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from uxlab.browser import launch_options

    script = AuditScript.model_validate(
        {
            "name": "Keyboard",
            "base_url": site_url("keyboard"),
            "viewports": ["desktop"],
            "checks": ["keyboard", "screenshots"],
            "tasks": [
                {
                    "name": "Three pages",
                    "steps": [
                        {"goto": "/trap"},
                        {"goto": "/skip"},
                        {"goto": "/focus-visible"},
                    ],
                }
            ],
        }
    )
    report = run_audit(script)
    write_reports(report, tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page()
        page.goto((tmp_path / "report.html").as_uri())
        verdict = page.locator(".verdict")
        # the verdict comes first and says why: no thresholds, a critical trap
        assert verdict.inner_text().startswith("Failed.")
        assert "sets no thresholds" in verdict.inner_text()
        issues = page.locator("article.issue")
        assert issues.count() == 4
        titles = [t.split("\n")[0] for t in issues.all_inner_texts()]
        assert titles[0].startswith("critical keyboard-trap")
        assert titles[-1].startswith("moderate skip-link-missing")

        def shown() -> list[str]:
            return [
                a.get_attribute("data-sev") or ""
                for a in issues.all()
                if a.is_visible()
            ]

        page.select_option("#f-sev", "serious")
        assert shown() == ["serious", "serious"]
        page.select_option("#f-sev", "")
        page.select_option("#f-page", label=f"{site_url('keyboard')}/skip")
        assert shown() == ["moderate"]
        page.select_option("#f-page", "")
        page.select_option("#f-rule", label="keyboard-trap")
        assert shown() == ["critical"]
        page.select_option("#f-rule", "")
        assert len(shown()) == 4
        # the trap's screenshot is a file next to the report; a click opens it
        shot = issues.first.locator("img.shot")
        assert shot.evaluate("img => img.naturalWidth") > 0
        shot.click()
        assert page.url.endswith(".jpg")
        browser.close()
