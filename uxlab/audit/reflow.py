"""Reflow at 320 CSS px inside the page (WCAG 2.2 SC 1.4.10).

The document-level check (``horizontal-overflow`` in :mod:`uxlab.audit.checks`)
sees a page wider than the screen. Content can also fail to reflow inside the
page: a box with ``overflow-x: auto`` that needs a sideways scroll, or one with
``overflow: hidden`` that cuts text off. :func:`reflow_findings` narrows the
page to 320 CSS px (the width 1.4.10 names), measures, and puts the size back.
Tables, code, maps, media, toolbars, grids and carousels may scroll both ways
and are not reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from uxlab.audit.findings import Finding, Severity

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["REFLOW_WIDTH_PX", "reflow_findings", "reflow_findings_from"]

#: 1.4.10's width: 1280 CSS px at 400 % zoom.
REFLOW_WIDTH_PX: Final = 320
_SCRIPT: Final = (Path(__file__).resolve().parent / "reflow.js").read_text(
    encoding="utf-8"
)
_HELP: Final = "https://www.w3.org/WAI/WCAG22/Understanding/reflow"


def reflow_findings(page: Page, *, url: str, viewport: str) -> list[Finding]:
    """Boxes that scroll sideways or clip content at 320 CSS px wide."""
    size = page.viewport_size
    resized = size is not None and size["width"] != REFLOW_WIDTH_PX
    if resized and size is not None:
        page.set_viewport_size({"width": REFLOW_WIDTH_PX, "height": size["height"]})
    try:
        page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => "
            "requestAnimationFrame(r)))"
        )
        data: dict[str, Any] = page.evaluate(_SCRIPT)
    finally:
        if resized and size is not None:
            page.set_viewport_size(size)
    return reflow_findings_from(data, url=url, viewport=viewport)


def reflow_findings_from(
    data: dict[str, Any], *, url: str, viewport: str
) -> list[Finding]:
    """The findings for what reflow.js measured."""
    findings = []
    for box in data.get("found", []):
        clipped = box["kind"] == "clipped"
        what = (
            "cuts off its content"
            if clipped
            else "needs a sideways scroll to show its content"
        )
        findings.append(
            Finding(
                "reflow-clipped" if clipped else "reflow-scroll",
                "overflow",
                Severity.serious if clipped else Severity.moderate,
                url,
                viewport,
                box["selector"],
                f"At {REFLOW_WIDTH_PX} px wide this box {what}: "
                f"{box['scrollWidth']} px of content in {box['clientWidth']} px.",
                "Let the content wrap (flex-wrap, max-width: 100%, min-width: 0) "
                "instead of fixing its width; keep sideways scrolling for tables, "
                "code and maps only.",
                _HELP,
                ("wcag21aa", "wcag1410"),
                snippet=box.get("snippet"),
            )
        )
    return findings
