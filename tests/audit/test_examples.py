"""The example audit script in docs/ works against the demo shop it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit.conftest import serve
from uxlab.audit import load_script, run_audit

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "demo-shop-audit.yaml"

pytestmark = pytest.mark.browser


def test_demo_shop_example_passes_on_the_demo_shop() -> None:
    server, thread = serve(ROOT / "static" / "demo-shop")
    try:
        script = load_script(EXAMPLE).with_overrides(
            base_url=f"http://127.0.0.1:{server.server_address[1]}/"
        )
        report = run_audit(script.with_overrides(viewports=["mobile"]))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    # A designer copying the example sees both journeys succeed, on the shop
    # the demo serves, with no finding that fails the example's thresholds.
    assert [(run.task, run.success) for run in report.tasks] == [
        ("Buy the blue rain jacket", True),
        ("Find help on returns", True),
    ]
    assert report.exit_code == 0, [f.rule for f in report.findings]
