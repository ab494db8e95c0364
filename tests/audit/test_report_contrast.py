"""The audit's own HTML report, audited by ``uxlab audit``: readable, code chips too."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.audit.conftest import SCRIPTS, serve
from uxlab.audit.cli import audit_command

pytestmark = pytest.mark.browser


def _audit(script: Path, base_url: str, out: Path) -> dict[str, object]:
    args = [str(script), "--base-url", base_url, "--viewport", "desktop",
            "--report", str(out), "--fail-on", "none"]  # fmt: skip
    # In a thread of its own: Playwright's sync API refuses a thread where an
    # earlier browser test's asyncio loop still runs.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(CliRunner().invoke, audit_command, args).result()
    assert result.exit_code in (0, 1), result.output
    assert (out / "report.json").is_file(), (result.output, repr(result.exception))
    data: dict[str, object] = json.loads((out / "report.json").read_text())
    return data


@pytest.mark.parametrize("verdict", ["pass", "fail"])
def test_the_audit_report_passes_its_own_contrast_check(
    site_url: Callable[[str], str], tmp_path: Path, verdict: str
) -> None:
    # A report with findings, so its tables of rules and selectors (code
    # chips) show; without thresholds it passes, and its verdict holds chips too.
    faulty = (SCRIPTS / "faulty.yaml").read_text(encoding="utf-8")
    if verdict == "pass":
        faulty = faulty.split("thresholds:")[0] + (
            "thresholds:\n"
            "  accessibility: {critical: 99, serious: 99}\n"
            "  performance: {lcp_ms: 600000, cls: 10}\n"
            "  task_success: 0.0\n"
        )
    first_script = tmp_path / "faulty.yaml"
    first_script.write_text(faulty, encoding="utf-8")
    first = _audit(first_script, site_url("faulty"), tmp_path / "first")
    assert first["findings"]
    summary = first["summary"]
    assert isinstance(summary, dict) and summary["passed"] is (verdict == "pass")
    server, thread = serve(tmp_path / "first")
    try:
        script = tmp_path / "report-audit.yaml"
        script.write_text(
            "name: The audit report\n"
            "base_url: http://127.0.0.1\n"
            "tasks:\n"
            "  - name: Read the report\n"
            "    steps:\n"
            "      - goto: /report.html\n"
            "      - expect_visible: {text: Faulty site audit}\n"
            "checks: [accessibility]\n",
            encoding="utf-8",
        )
        port = server.server_address[1]
        second = _audit(script, f"http://127.0.0.1:{port}", tmp_path / "second")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    findings = second["findings"]
    assert isinstance(findings, list)
    # Needs review (axe could not decide, e.g. a ✓ glyph alone) is not a failure.
    contrast = [
        f
        for f in findings
        if f["rule"] == "color-contrast" and f.get("check") != "needs_review"
    ]
    assert contrast == [], [(f["selector"], f["message"]) for f in contrast]
