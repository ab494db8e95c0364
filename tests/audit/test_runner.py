"""Replaying scripts in real headless Chromium against the fixture sites."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.audit.conftest import SCRIPTS
from uxlab.audit import AuditReport, load_script, run_audit
from uxlab.audit.script import AuditScript
from uxlab.errors import AuditScriptError, SiteUnreachableError

JPEG = b"\xff\xd8\xff"


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# Every finding the faulty site must produce, and nothing else:
# (rule, page, viewport) -> count.
FAULTY_FINDINGS = {
    # axe-core, both viewports
    ("image-alt", "/", "desktop"): 1,
    ("image-alt", "/", "mobile"): 1,
    ("label", "/", "desktop"): 1,
    ("label", "/", "mobile"): 1,
    ("color-contrast", "/", "desktop"): 1,
    ("color-contrast", "/", "mobile"): 1,
    ("target-size", "/", "desktop"): 2,  # two adjacent 12 px footer links
    ("target-size", "/", "mobile"): 2,
    # console, both viewports
    ("console-error", "/", "desktop"): 1,
    ("console-error", "/", "mobile"): 1,
    ("uncaught-exception", "/", "desktop"): 1,
    ("uncaught-exception", "/", "mobile"): 1,
    # same-origin links are checked once, and reported at every viewport
    # where the link is visible
    ("broken-link", "/", "desktop"): 1,
    ("broken-link", "/", "mobile"): 1,
    # the lookbook image is held back 1.6 s; the script allows 1.2 s
    ("lcp-slow", "/slow", "desktop"): 1,
    ("lcp-slow", "/slow", "mobile"): 1,
    # phone-only checks
    ("horizontal-overflow", "/wide", "mobile"): 1,
    ("viewport-meta-missing", "/slow", "mobile"): 1,
    ("tap-target-small", "/", "mobile"): 2,  # spaced 16 px icon link, 20 px input
    # keyboard walk, desktop only: three header links and no skip link
    ("skip-link-missing", "/", "desktop"): 1,
}


@pytest.mark.browser
def test_faulty_site_findings_are_exactly_the_planted_faults(
    faulty_report: AuditReport,
) -> None:
    found = Counter((f.rule, path(f.url), f.viewport) for f in faulty_report.findings)
    assert dict(found) == FAULTY_FINDINGS


@pytest.mark.browser
def test_faulty_site_finding_details(faulty_report: AuditReport) -> None:
    by_rule = {}
    for finding in faulty_report.findings:
        by_rule.setdefault(finding.rule, finding)
    assert by_rule["image-alt"].severity == "critical"
    assert by_rule["image-alt"].selector == "img"
    assert by_rule["image-alt"].help_url is not None
    assert "wcag2a" in by_rule["image-alt"].tags
    assert by_rule["label"].selector == "input"
    assert by_rule["color-contrast"].severity == "serious"
    assert "wcag258" in by_rule["target-size"].tags
    assert (
        by_rule["console-error"].message == "Console error: Cart service failed to load"
    )
    assert "undefinedCartWidget" in by_rule["uncaught-exception"].message
    assert by_rule["broken-link"].message.endswith("/missing answers 404.")
    assert by_rule["broken-link"].selector == "body > header > nav > a:nth-of-type(3)"
    assert by_rule["horizontal-overflow"].selector == "body > main > div"
    assert "608 px wide on a 375 px screen" in by_rule["horizontal-overflow"].message
    small = sorted(
        f.selector or "" for f in faulty_report.findings if f.rule == "tap-target-small"
    )
    assert small == ["body > main > a", "body > main > form > input"]
    for finding in faulty_report.findings:
        assert finding.hint, finding
        assert finding.url.startswith("http://127.0.0.1:")
    # worst first
    ranks = [f.severity.rank for f in faulty_report.findings]
    assert ranks == sorted(ranks)


@pytest.mark.browser
def test_a_step_that_cannot_be_done_fails_its_task_only(
    faulty_report: AuditReport,
) -> None:
    runs = {(r.task, r.viewport): r for r in faulty_report.tasks}
    assert len(runs) == 6
    for viewport in ("desktop", "mobile"):
        failed = runs[("Check out", viewport)]
        assert not failed.success
        assert failed.failed_step == 1
        assert failed.step_count == 2  # stopped at the failed step
        assert failed.error == (
            'step 2 (click role=button "Checkout"): no visible element '
            'role=button "Checkout" could be used within 1000 ms'
        )
        shot = failed.steps[1].screenshot
        assert shot is not None and shot.data.startswith(JPEG)
        # the run went on with the next task
        assert runs[("See the size chart", viewport)].success
        assert runs[("Browse the shop", viewport)].success
    assert faulty_report.task_success_rate == pytest.approx(4 / 6)


@pytest.mark.browser
def test_faulty_thresholds_fail(faulty_report: AuditReport) -> None:
    assert faulty_report.exit_code == 1
    assert {t.name for t in faulty_report.failed_thresholds} == {
        "task_success",
        "accessibility.critical",
        "accessibility.serious",
        "performance.lcp_ms",
    }


@pytest.mark.browser
def test_pages_are_audited_once_per_viewport(faulty_report: AuditReport) -> None:
    pages = [(path(p.url), p.viewport) for p in faulty_report.pages]
    assert sorted(pages) == sorted(
        (p, v) for p in ("/", "/wide", "/slow") for v in ("desktop", "mobile")
    )
    slow = next(p for p in faulty_report.pages if path(p.url) == "/slow")
    assert slow.perf is not None and slow.perf.lcp_ms is not None
    assert slow.perf.lcp_ms >= 1600


@pytest.mark.browser
def test_storefront_journey_succeeds_without_findings(
    storefront_report: AuditReport,
) -> None:
    assert storefront_report.findings == ()
    assert storefront_report.passed and storefront_report.exit_code == 0
    assert storefront_report.workers == 2
    assert [(r.task, r.viewport) for r in storefront_report.tasks] == [
        ("Find a jacket and add it to the cart", "desktop"),
        ("Find a jacket and add it to the cart", "mobile"),
    ]
    for run in storefront_report.tasks:
        assert run.success, run.error
        assert run.step_count == 8
        assert all(step.ok and step.seconds >= 0 for step in run.steps)
        assert run.seconds == pytest.approx(sum(s.seconds for s in run.steps), abs=0.01)
        assert [path(u) for u in run.pages] == [
            "/",
            "/jackets",
            "/search?q=blue",
            "/blue-rain-jacket",
            "/cart?add=blue-rain-jacket",
        ]
        assert run.over_budget == ()


@pytest.mark.browser
def test_storefront_pages_have_metrics_and_screenshots(
    storefront_report: AuditReport,
) -> None:
    assert len(storefront_report.pages) == 10
    for page in storefront_report.pages:
        assert page.perf is not None
        assert page.perf.ttfb_ms is not None and page.perf.fcp_ms is not None
        assert page.perf.lcp_ms is not None and page.perf.cls == 0
        assert page.perf.requests >= 2  # the page and its stylesheet
        assert page.perf.transfer_bytes > 0
        assert page.screenshot is not None and page.screenshot.data.startswith(JPEG)
        assert page.title.endswith("Trailhead Outfitters")


@pytest.mark.browser
def test_every_step_kind(site_url: Callable[[str], str]) -> None:
    script = load_script(SCRIPTS / "steps.yaml").with_overrides(
        base_url=site_url("storefront")
    )
    report = run_audit(script)
    runs = {r.task: r for r in report.tasks}
    paid = runs["Pay for a medium jacket"]
    assert paid.success, paid.error
    assert [s.kind for s in paid.steps] == [
        "goto",
        "select",
        "check",
        "hover",
        "wait_for",
        "screenshot",
        "click",
        "expect_text",
        "expect_url",
        "press",
        "expect_visible",
    ]
    shot = paid.steps[5].screenshot
    assert shot is not None and shot.name == "t0-desktop-s5-returns"
    assert report.pages == ()  # checks: [] audits nothing
    assert runs["Open a page that does not exist"].error == (
        f"step 1 (goto /no-such-page): {site_url('storefront')}/no-such-page "
        "answered HTTP 404"
    )
    assert runs["Expect text that is not there"].error == (
        "step 2 (expect_text 'Sold out' in page): text 'Sold out' not found in page "
        "within 1000 ms"
    )
    error = runs["Expect the wrong URL"].error or ""
    assert error.startswith("step 2 (expect_url /cart): URL is http://127.0.0.1:")
    assert error.endswith("/checkout, expected /cart")


def test_unreachable_site_raises_before_launching_a_browser() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = AuditScript.model_validate(
        {
            "base_url": f"http://127.0.0.1:{port}",
            "tasks": [{"name": "t", "steps": [{"goto": "/"}]}],
        }
    )
    with pytest.raises(SiteUnreachableError, match=f"127.0.0.1:{port} did not answer"):
        run_audit(script)


def test_relative_goto_needs_a_base_url() -> None:
    script = AuditScript.model_validate(
        {"tasks": [{"name": "t", "steps": [{"goto": "/"}]}]}
    )
    with pytest.raises(AuditScriptError, match="relative URLs need a base_url"):
        run_audit(script)
