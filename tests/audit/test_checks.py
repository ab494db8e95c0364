"""The pure halves of the checks, and threshold evaluation, without a browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from uxlab.audit import checks
from uxlab.audit.findings import (
    Finding,
    PageAudit,
    PerfMetrics,
    Severity,
    StepResult,
    TaskRun,
    evaluate_thresholds,
)
from uxlab.audit.script import AuditScript


def probe(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Page",
        "perf": {"ttfb_ms": 10, "fcp_ms": 100, "lcp_ms": 200, "cls": 0, "requests": 3},
        "smallTargets": [],
        "overflow": {"scrollWidth": 375, "width": 375, "offenders": []},
        "viewportMeta": "width=device-width, initial-scale=1",
        "links": [],
    }
    data.update(overrides)
    return data


WHERE = {"url": "http://site.test/", "viewport": "mobile"}


def test_axe_version_is_read_from_the_bundled_file() -> None:
    from axe_playwright_python.base import AXE_FILE_PATH

    assert re.fullmatch(r"\d+\.\d+\.\d+", checks.AXE_VERSION)
    assert f"axe v{checks.AXE_VERSION}" in Path(AXE_FILE_PATH).read_text()[:200]
    assert checks.AXE_OPTIONS["rules"] == {"target-size": {"enabled": True}}


def test_axe_findings_one_per_element() -> None:
    violations = [
        {
            "id": "image-alt",
            "impact": "critical",
            "tags": ["wcag2a", "wcag111"],
            "help": "Images must have alternative text",
            "helpUrl": "https://dequeuniversity.com/rules/axe/4.12/image-alt",
            "nodes": [
                {
                    "target": ["img.logo"],
                    "impact": "critical",
                    "failureSummary": "Fix any of the following:\n  Element has no alt",
                },
                {"target": [["#shadow-host", "img"]], "impact": "critical"},
            ],
        }
    ]
    found = checks.axe_findings(violations, **WHERE)
    assert [(f.rule, f.severity, f.selector) for f in found] == [
        ("image-alt", Severity.critical, "img.logo"),
        ("image-alt", Severity.critical, "#shadow-host, img"),
    ]
    assert found[0].message == "Element has no alt"
    assert found[0].hint == "Images must have alternative text"
    assert found[0].tags == ("wcag2a", "wcag111")
    assert found[0].help_url is not None


def test_clean_probe_has_no_findings() -> None:
    data = probe()
    assert checks.tap_target_findings(data, **WHERE) == []
    assert checks.overflow_findings(data, **WHERE) == []
    assert checks.viewport_meta_findings(data, **WHERE) == []
    assert checks.perf_findings(checks.perf_metrics(data), **WHERE) == []


def test_overflow_and_viewport_meta() -> None:
    data = probe(
        overflow={
            "scrollWidth": 608,
            "width": 375,
            "offenders": [{"selector": "main > table", "right": 608}],
        },
        viewportMeta=None,
    )
    (overflow,) = checks.overflow_findings(data, **WHERE)
    assert (overflow.rule, overflow.selector) == ("horizontal-overflow", "main > table")
    assert "608 px wide on a 375 px screen" in overflow.message
    (meta,) = checks.viewport_meta_findings(data, **WHERE)
    assert meta.rule == "viewport-meta-missing"
    (fixed,) = checks.viewport_meta_findings(probe(viewportMeta="width=980"), **WHERE)
    assert "width=980" in fixed.message


def test_tap_targets() -> None:
    data = probe(
        smallTargets=[{"selector": "a.icon", "width": 16, "height": 16, "text": "Home"}]
    )
    (finding,) = checks.tap_target_findings(data, **WHERE)
    assert finding.rule == "tap-target-small"
    # uxlab's own size check is the 44 px one of WCAG 2.5.5 (AAA) and the
    # platform guidelines; 2.5.8 (24 px, with spacing) is axe's target-size
    assert finding.severity is Severity.minor
    assert finding.tags == ("wcag2aaa", "wcag255")
    assert finding.wcag == ("2.5.5",)
    assert finding.message == (
        "Tap target 'Home' is 16 × 16 px, under 44 × 44 (WCAG 2.5.5 Target Size "
        "(Enhanced), level AAA, and the iOS and Android guidelines). This is not "
        "a 2.5.8 failure; axe's target-size rule checks that."
    )


@pytest.mark.parametrize(
    ("lcp", "cls", "limit", "rules"),
    [
        (2400, 0.05, None, []),  # Web Vitals "good": LCP <= 2.5 s, CLS <= 0.1
        (2600, 0.05, None, ["lcp-slow"]),
        (700, 0.25, None, ["cls-high"]),
        (700, 0.0, 600, ["lcp-slow"]),
    ],
)
def test_perf_findings(
    lcp: float, cls: float, limit: float | None, rules: list[str]
) -> None:
    metrics = checks.perf_metrics(probe(perf={"lcp_ms": lcp, "cls": cls}))
    found = checks.perf_findings(metrics, lcp_ms=limit, **WHERE)
    assert [f.rule for f in found] == rules


def test_console_request_and_link_findings() -> None:
    console = checks.console_findings(
        [("error", "boom"), ("error", "boom"), ("exception", "x is not defined")],
        **WHERE,
    )
    assert [(f.rule, f.message) for f in console] == [
        ("console-error", "Console error: boom"),
        ("uncaught-exception", "Uncaught exception: x is not defined"),
    ]
    (failed,) = checks.request_findings(
        [("http://site.test/a.css", "HTTP 404")], **WHERE
    )
    assert failed.message == "http://site.test/a.css → HTTP 404"
    links = [
        {"href": "http://site.test/ok", "selector": "a:nth-of-type(1)"},
        {"href": "http://site.test/gone", "selector": "a:nth-of-type(2)"},
        {"href": "http://site.test/down", "selector": "a:nth-of-type(3)"},
    ]
    statuses: dict[str, int | str] = {
        "http://site.test/ok": 200,
        "http://site.test/gone": 404,
        "http://site.test/down": "no answer (connection refused)",
    }
    found = checks.link_findings(links, statuses, **WHERE)
    assert [f.selector for f in found] == ["a:nth-of-type(2)", "a:nth-of-type(3)"]


# ------------------------------------------------------------- thresholds


SCRIPT = AuditScript.model_validate(
    {
        "base_url": "http://site.test",
        "tasks": [
            {"name": "A", "steps": [{"goto": "/"}], "budget": {"max_seconds": 2}},
            {"name": "B", "steps": [{"goto": "/b"}]},
        ],
        "thresholds": {
            "accessibility": {"critical": 0, "serious": 1},
            "performance": {"lcp_ms": 2500},
            "task_success": 0.75,
        },
    }
)


def run(
    task: str, index: int, viewport: str, ok: bool, over: tuple[str, ...] = ()
) -> TaskRun:
    step = StepResult(0, "goto", "goto /", ok, 0.5, "http://site.test/")
    return TaskRun(
        task,
        index,
        viewport,
        ok,
        (step,),
        0.5,
        ("http://site.test/",),
        over_budget=over,
    )


def finding(rule: str, severity: str, check: str = "accessibility") -> Finding:
    return Finding(
        rule, check, Severity(severity), "http://site.test/", "desktop", None, "m", "h"
    )


def page(lcp: float) -> PageAudit:
    perf = PerfMetrics(10, 100, lcp, 0.0, 50, 60, 2, 1000)
    return PageAudit("http://site.test/", "desktop", "T", perf, None, 0.1)


def test_thresholds_hold() -> None:
    tasks = [run("A", 0, "desktop", True), run("B", 1, "desktop", True)]
    results = evaluate_thresholds(
        SCRIPT, tasks, [page(900)], [finding("region", "serious")]
    )
    assert [(r.name, r.passed) for r in results] == [
        ("task_success", True),
        ("accessibility.critical", True),
        ("accessibility.serious", True),
        ("performance.lcp_ms", True),
        ("budget: A @ desktop", True),
    ]


def test_thresholds_fail_and_say_why() -> None:
    tasks = [
        run("A", 0, "desktop", True, over=("took 9.00 s > 2 s",)),
        run("B", 1, "desktop", False),
    ]
    found = [
        finding("image-alt", "critical"),
        finding("console-error", "serious", "console"),
    ]
    results = {
        r.name: r
        for r in evaluate_thresholds(
            SCRIPT, tasks, [page(3100)], found, fail_on="serious"
        )
    }
    assert not results["task_success"].passed
    assert results["task_success"].detail == "failed: B @ desktop"
    assert results["accessibility.critical"].actual == 1
    assert results["accessibility.critical"].detail == "image-alt"
    assert results["accessibility.serious"].passed  # console errors are not axe's
    assert not results["performance.lcp_ms"].passed
    assert "http://site.test/ [desktop] 3100" in results["performance.lcp_ms"].detail
    assert not results["budget: A @ desktop"].passed
    assert results["fail_on.serious"].actual == 2
    assert results["fail_on.serious"].detail == "console-error, image-alt"


@pytest.mark.parametrize(
    ("level", "fails"),
    [
        ("critical", False),
        ("serious", False),
        ("moderate", True),
        ("minor", True),
        ("none", False),
    ],
)
def test_fail_on_levels(level: str, fails: bool) -> None:
    tasks = [run("A", 0, "desktop", True), run("B", 1, "desktop", True)]
    found = [finding("tap-target-small", "moderate", "tap_targets")]
    results = evaluate_thresholds(SCRIPT, tasks, [], found, fail_on=level)
    assert any(not r.passed for r in results) is fails


def test_fail_on_must_be_a_level() -> None:
    with pytest.raises(ValueError, match=r"fail_on \('high'\) must be one of"):
        evaluate_thresholds(SCRIPT, [], [], [], fail_on="high")


def test_hidden_links_are_checked_but_not_reported_where_hidden() -> None:
    links = [
        {"href": "http://site.test/gone", "selector": "nav > a", "visible": True},
        {"href": "http://site.test/gone", "selector": "#menu > a", "visible": False},
    ]
    found = checks.link_findings(links, {"http://site.test/gone": 404}, **WHERE)
    assert [f.selector for f in found] == ["nav > a"]
