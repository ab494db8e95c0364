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
