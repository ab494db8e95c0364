"""Reflow at 320 CSS px inside scroll containers (WCAG 1.4.10)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from uxlab.audit import AuditReport, AuditScript, run_audit

pytestmark = pytest.mark.browser


def audit(base: str, page: str) -> AuditReport:
    script = AuditScript.model_validate(
        {
            "name": "Reflow",
            "base_url": base,
            "viewports": ["mobile"],
            "checks": ["overflow", "screenshots"],
            "tasks": [{"name": "Look", "steps": [{"goto": page}]}],
        }
    )
    return run_audit(script)


def test_boxes_that_scroll_or_clip_at_320_px_are_found(
    site_url: Callable[[str], str],
) -> None:
    report = audit(site_url("reflow"), "/")
    found = {(f.rule, f.selector) for f in report.findings}
    # a 560 px step list in an overflow-x: auto box, and a 340 px paragraph in
    # an overflow: hidden one, which fits the 390 px phone but not 320 px
    assert found == {
        ("reflow-scroll", "body > main > nav"),
        ("reflow-clipped", "body > main > div"),
    }
    clipped = next(f for f in report.findings if f.rule == "reflow-clipped")
    assert clipped.wcag == ("1.4.10",)
    assert "At 320 px wide this box cuts off its content" in clipped.message
    assert clipped.snippet is not None and clipped.snippet.startswith(
        '<div class="notice">'
    )


def test_tables_wrapping_and_ellipsis_are_not_reported(
    site_url: Callable[[str], str],
) -> None:
    report = audit(site_url("reflow"), "/clean")
    assert [(f.rule, f.selector) for f in report.findings] == []
