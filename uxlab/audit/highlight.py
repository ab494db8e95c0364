"""Screenshots of the element a finding is about, outlined in its surroundings.

Each issue needs one picture, not one per page: :func:`outline_findings` takes
a screenshot for the first finding of an issue the run has not pictured yet
(the caller says which, through ``claim``), at most ``limit`` per page state,
worst first: critical and serious issues, and moderate and minor ones too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from uxlab.audit.findings import Finding, Severity
from uxlab.audit.issues import fingerprint
from uxlab.audit.keyboard import outlined_screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["MAX_PER_STATE", "outline_findings"]

#: Outlined screenshots taken per page state, worst findings first.
MAX_PER_STATE: Final = 8

_RECT: Final = """(selector) => {
  let el = null;
  try { el = document.querySelector(selector); } catch (error) { return null; }
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return [r.left + scrollX, r.top + scrollY, r.width, r.height];
}"""


def outline_findings(
    page: Page,
    findings: Sequence[Finding],
    *,
    prefix: str,
    claim: Callable[[str], bool],
    limit: int = MAX_PER_STATE,
    worst: Severity = Severity.minor,
) -> list[Finding]:
    """The findings, the first of each new issue with an outlined screenshot.

    Only findings at ``worst`` or worse, about one element of this document
    (not inside a frame or shadow root), are pictured.
    """
    out = list(findings)
    taken = 0
    order = sorted(range(len(out)), key=lambda i: out[i].severity.rank)
    for index in order:
        finding = out[index]
        if taken >= limit or not finding.severity.at_least(worst):
            break
        selector = finding.selector
        if finding.screenshot is not None or not selector or ", " in selector:
            continue
        if not claim(fingerprint(finding.rule, selector, finding.message)):
            continue
        rect = page.evaluate(_RECT, selector)
        if rect is None:
            continue
        shot = outlined_screenshot(page, rect, f"{prefix}-h{index}")
        if shot is not None:
            out[index] = dataclasses.replace(finding, screenshot=shot)
            taken += 1
    return out
