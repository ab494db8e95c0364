"""The checks run on every page an audit visits.

The browser-facing functions (:func:`run_axe`, :func:`probe_page`) gather raw
data in as few round trips as possible; the ``*_findings`` functions turn that
data into :class:`~uxlab.audit.findings.Finding` objects and are pure, so they
can be tested without a browser.

axe-core comes from the ``axe-playwright-python`` package (its bundled
``axe.min.js``, whose version :data:`AXE_VERSION` pins and every report prints).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from uxlab.audit.findings import REVIEW_CHECK, Finding, PerfMetrics, Severity

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = [
    "AXE_OPTIONS",
    "AXE_VERSION",
    "ENHANCED_TARGET_PX",
    "MIN_TARGET_PX",
    "PERF_INIT_SCRIPT",
    "axe_findings",
    "axe_script",
    "console_findings",
    "link_findings",
    "overflow_findings",
    "perf_findings",
    "perf_metrics",
    "probe_page",
    "request_findings",
    "review_findings",
    "run_axe",
    "run_axe_with_review",
    "tap_target_findings",
    "viewport_meta_findings",
]

_HERE = Path(__file__).resolve().parent
#: Smallest tap target WCAG 2.2 SC 2.5.8 (Target Size, Minimum) allows, CSS px.
#: axe-core's target-size rule checks it, spacing exception included.
MIN_TARGET_PX: Final = 24
#: uxlab's stricter size check: WCAG 2.5.5 Target Size (Enhanced), level AAA,
#: and Apple's 44 pt / Android's 48 dp guidance.
ENHANCED_TARGET_PX: Final = 44
#: The PerformanceObserver script added to every page before it loads.
PERF_INIT_SCRIPT: Final = (_HERE / "perf.js").read_text(encoding="utf-8")
_PROBE_SCRIPT: Final = (_HERE / "probe.js").read_text(encoding="utf-8")

#: axe.run options: violations only, and the target-size rule (WCAG 2.2 2.5.8),
#: which axe-core ships switched off.
AXE_OPTIONS: Final[dict[str, Any]] = {
    "resultTypes": ["violations", "incomplete"],
    "rules": {"target-size": {"enabled": True}},
}


@cache
def axe_script() -> str:
    """The bundled axe-core source (read once)."""
    from axe_playwright_python.base import AXE_SCRIPT

    script: str = AXE_SCRIPT
    return script


def _axe_version() -> str:
    from axe_playwright_python.base import AXE_FILE_PATH

    with open(AXE_FILE_PATH, encoding="utf-8") as handle:
        head = handle.read(200)
    found = re.search(r"axe v(\d+\.\d+\.\d+)", head)
    return found.group(1) if found else "unknown"


#: The axe-core version every report prints, e.g. ``4.12.1``.
AXE_VERSION: Final = _axe_version()


# ------------------------------------------------------------------ browser


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page; its violations as axe returns them."""
    return run_axe_with_review(page)[0]


def run_axe_with_review(
    page: Page,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run axe-core once; its violations and its incomplete results.

    "Incomplete" is axe's word for what it could not decide (text over a
    background image, say): a person has to look.
    """
    from axe_playwright_python.sync_playwright import Axe

    _inject_into_frames(page)
    results = Axe(axe_script=axe_script()).run(page, options=AXE_OPTIONS)
    violations: list[dict[str, Any]] = results.response["violations"]
    incomplete: list[dict[str, Any]] = results.response.get("incomplete", [])
    return violations, incomplete


def _inject_into_frames(page: Page) -> None:
    """Put axe-core into the page's same-origin frames, so axe audits inside.

    Cross-origin frames are left out: axe lists them as not tested
    (``frame-tested``), which the report shows under Needs review.
    """
    from playwright.sync_api import Error

    top = urlsplit(page.url)
    for frame in page.frames:
        if frame is page.main_frame:
            continue
        parts = urlsplit(frame.url)
        if (parts.scheme, parts.netloc) != (top.scheme, top.netloc):
            continue
        try:
            frame.evaluate(axe_script())
        except Error:
            continue  # the frame went away


def review_findings(
    incomplete: Iterable[Mapping[str, Any]], *, url: str, viewport: str
) -> list[Finding]:
    """One Needs-review finding per element axe-core could not decide on.

    The message is axe's reason; these count toward no threshold unless the
    script says ``thresholds: {needs_review: true}``.
    """
    findings: list[Finding] = []
    for result in incomplete:
        impact = result.get("impact") or "minor"
        for node in result.get("nodes", []):
            reasons = [
                str(check.get("message") or "")
                for key in ("any", "all", "none")
                for check in node.get(key) or []
                if check.get("message")
            ]
            target = node.get("target") or []
            findings.append(
                Finding(
                    rule=str(result["id"]),
                    check=REVIEW_CHECK,
                    severity=Severity(node.get("impact") or impact),
                    url=url,
                    viewport=viewport,
                    selector=", ".join(_flatten(target)) or None,
                    message=(reasons[0] if reasons else str(result.get("help", ""))),
                    hint="Check by hand: " + str(result.get("help", "")),
                    help_url=result.get("helpUrl"),
                    tags=tuple(str(tag) for tag in result.get("tags", [])),
                    snippet=_snippet(node.get("html")),
                )
            )
    return findings


def probe_page(page: Page, *, skip_selectors: Sequence[str] = ()) -> dict[str, Any]:
    """Measure performance, tap targets, overflow, viewport meta and links at once."""
    data: dict[str, Any] = page.evaluate(
        _PROBE_SCRIPT,
        {"skip": list(skip_selectors), "minSize": ENHANCED_TARGET_PX},
    )
    return data


# ------------------------------------------------------------- pure checks


def axe_findings(
    violations: Iterable[Mapping[str, Any]], *, url: str, viewport: str
) -> list[Finding]:
    """One finding per element axe-core flagged."""
    findings: list[Finding] = []
    for violation in violations:
        impact = violation.get("impact") or "minor"
        for node in violation.get("nodes", []):
            target = node.get("target") or []
            selector = ", ".join(_flatten(target)) or None
            summary = (node.get("failureSummary") or "").strip().splitlines()
            detail = next(
                (line.strip() for line in summary[1:] if line.strip()),
                violation.get("description", ""),
            )
            findings.append(
                Finding(
                    rule=str(violation["id"]),
                    check="accessibility",
                    severity=Severity(node.get("impact") or impact),
                    url=url,
                    viewport=viewport,
                    selector=selector,
                    message=str(detail),
                    hint=str(violation.get("help", "")),
                    help_url=violation.get("helpUrl"),
                    tags=tuple(str(tag) for tag in violation.get("tags", [])),
                    snippet=_snippet(node.get("html")),
                )
            )
    return findings


def _snippet(html: object, limit: int = 240) -> str | None:
    """The element's HTML on one line, shortened to ``limit`` characters."""
    if not isinstance(html, str) or not html.strip():
        return None
    text = " ".join(html.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _flatten(target: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for part in target:
        out.extend(_flatten(part) if isinstance(part, list) else [str(part)])
    return out


def perf_metrics(probe: Mapping[str, Any]) -> PerfMetrics:
    """The probe's performance part as a PerfMetrics."""
    perf = probe["perf"]
    return PerfMetrics(
        ttfb_ms=perf.get("ttfb_ms"),
        fcp_ms=perf.get("fcp_ms"),
        lcp_ms=perf.get("lcp_ms"),
        cls=perf.get("cls"),
        dom_content_loaded_ms=perf.get("dom_content_loaded_ms"),
        load_ms=perf.get("load_ms"),
        requests=int(perf.get("requests") or 0),
        transfer_bytes=int(perf.get("transfer_bytes") or 0),
    )


#: Web Vitals' "good" limits, used when the script sets no threshold.
DEFAULT_LCP_MS: Final = 2500.0
DEFAULT_CLS: Final = 0.1


def perf_findings(
    metrics: PerfMetrics,
    *,
    url: str,
    viewport: str,
    lcp_ms: float | None = None,
    cls: float | None = None,
) -> list[Finding]:
    """A slow Largest Contentful Paint or a shifting layout."""
    lcp_limit = lcp_ms if lcp_ms is not None else DEFAULT_LCP_MS
    cls_limit = cls if cls is not None else DEFAULT_CLS
    findings: list[Finding] = []
    if metrics.lcp_ms is not None and metrics.lcp_ms > lcp_limit:
        findings.append(
            Finding(
                "lcp-slow",
                "performance",
                Severity.moderate,
                url,
                viewport,
                None,
                f"Largest Contentful Paint took {metrics.lcp_ms:.0f} ms "
                f"(limit {lcp_limit:.0f} ms).",
                "Serve the largest image or text block sooner: preload it, "
                "shrink it, and avoid render-blocking resources.",
                "https://web.dev/articles/lcp",
            )
        )
    if metrics.cls is not None and metrics.cls > cls_limit:
        findings.append(
            Finding(
                "cls-high",
                "performance",
                Severity.moderate,
                url,
                viewport,
                None,
                f"Cumulative Layout Shift is {metrics.cls:.3f} (limit {cls_limit:g}).",
                "Reserve space for images, ads and late content (width/height, "
                "aspect-ratio) so the layout does not jump.",
                "https://web.dev/articles/cls",
            )
        )
    return findings


def tap_target_findings(
    probe: Mapping[str, Any], *, url: str, viewport: str
) -> list[Finding]:
    """Controls under 44 × 44 CSS px that axe's target-size rule did not report.

    This is WCAG 2.5.5 (AAA) and the platforms' guidance, labelled as such:
    2.5.8 (24 px, with its spacing exception) is axe's ``target-size`` rule.
    """
    size = ENHANCED_TARGET_PX
    return [
        Finding(
            "tap-target-small",
            "tap_targets",
            Severity.minor,
            url,
            viewport,
            target["selector"],
            f"Tap target {target['text']!r} is {target['width']:g} × "
            f"{target['height']:g} px, under {size} × {size} (WCAG 2.5.5 Target "
            "Size (Enhanced), level AAA, and the iOS and Android guidelines). "
            "This is not a 2.5.8 failure; axe's target-size rule checks that.",
            f"Make the control at least {size} × {size} CSS px "
            "(padding or min-height/min-width) so thumbs hit it.",
            "https://www.w3.org/WAI/WCAG22/Understanding/target-size-enhanced",
            ("wcag2aaa", "wcag255"),
        )
        for target in probe.get("smallTargets", [])
    ]


def overflow_findings(
    probe: Mapping[str, Any], *, url: str, viewport: str
) -> list[Finding]:
    """Content wider than a narrow screen, forcing sideways scrolling."""
    overflow = probe["overflow"]
    if overflow["scrollWidth"] <= overflow["width"] + 1:
        return []
    offenders = overflow.get("offenders") or [{"selector": None, "right": None}]
    return [
        Finding(
            "horizontal-overflow",
            "overflow",
            Severity.serious,
            url,
            viewport,
            offender["selector"],
            f"Page is {overflow['scrollWidth']} px wide on a {overflow['width']} px "
            "screen"
            + (
                f"; this element ends at {offender['right']} px."
                if offender["right"]
                else "."
            ),
            "Let the element shrink (max-width: 100%, flex-wrap, overflow-x: auto "
            "on tables) so nothing scrolls sideways.",
            "https://www.w3.org/WAI/WCAG22/Understanding/reflow",
            ("wcag21aa", "wcag1410"),
        )
        for offender in offenders
    ]


def viewport_meta_findings(
    probe: Mapping[str, Any], *, url: str, viewport: str
) -> list[Finding]:
    """A page with no ``<meta name=viewport content="width=device-width">``."""
    content = probe.get("viewportMeta")
    if content is not None and "width=device-width" in content.replace(" ", ""):
        return []
    message = (
        "No <meta name=viewport> tag: phones render the page at 980 px and shrink it."
        if content is None
        else f"Viewport meta ({content!r}) does not set width=device-width."
    )
    return [
        Finding(
            "viewport-meta-missing",
            "overflow",
            Severity.serious,
            url,
            viewport,
            None,
            message,
            'Add <meta name="viewport" content="width=device-width, '
            'initial-scale=1"> to <head>.',
            "https://developer.mozilla.org/docs/Web/HTML/Viewport_meta_tag",
        )
    ]


def console_findings(
    entries: Iterable[tuple[str, str]], *, url: str, viewport: str
) -> list[Finding]:
    """Console errors and uncaught exceptions, given as ``(kind, text)`` pairs.

    ``kind`` is ``"error"`` for a console error, ``"exception"`` for an
    uncaught exception.
    """
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for kind, text in entries:
        if (kind, text) in seen:
            continue
        seen.add((kind, text))
        if kind == "exception":
            findings.append(
                Finding(
                    "uncaught-exception",
                    "console",
                    Severity.serious,
                    url,
                    viewport,
                    None,
                    f"Uncaught exception: {text}",
                    "Fix the script error; features after it may not work.",
                )
            )
        else:
            findings.append(
                Finding(
                    "console-error",
                    "console",
                    Severity.serious,
                    url,
                    viewport,
                    None,
                    f"Console error: {text}",
                    "Find what logs this error and fix its cause.",
                )
            )
    return findings


def request_findings(
    failures: Iterable[tuple[str, str]], *, url: str, viewport: str
) -> list[Finding]:
    """Requests the page made that failed or answered 4xx/5xx."""
    return [
        Finding(
            "request-failed",
            "links",
            Severity.serious,
            url,
            viewport,
            None,
            f"{resource} → {reason}",
            "Fix or remove the reference to this resource.",
        )
        for resource, reason in dict.fromkeys(failures)
    ]


def link_findings(
    links: Iterable[Mapping[str, Any]],
    statuses: Mapping[str, int | str],
    *,
    url: str,
    viewport: str,
) -> list[Finding]:
    """Visible links whose target answered 4xx/5xx or did not answer.

    Each target is requested once per run (the caller keeps the statuses);
    a broken link is reported at every viewport where it can be seen.
    """
    findings: list[Finding] = []
    for link in links:
        if not link.get("visible", True):
            continue
        status = statuses.get(link["href"])
        if status is None or (isinstance(status, int) and status < 400):
            continue
        findings.append(
            Finding(
                "broken-link",
                "links",
                Severity.serious,
                url,
                viewport,
                link["selector"],
                f"Link to {link['href']} answers {status}.",
                "Point the link at a page that exists, or remove it.",
            )
        )
    return findings
