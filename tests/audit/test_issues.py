"""Findings grouped into issues, and the verdict counted in issues."""

from __future__ import annotations

from uxlab.audit.findings import (
    AuditReport,
    Finding,
    Severity,
    StepResult,
    TaskRun,
    evaluate_thresholds,
)
from uxlab.audit.issues import group_issues
from uxlab.audit.script import AuditScript


def found(
    rule: str,
    url: str,
    viewport: str = "desktop",
    selector: str | None = "header > nav > a:nth-of-type(2)",
    severity: str = "critical",
    message: str = "Link has no name",
) -> Finding:
    return Finding(
        rule,
        "accessibility",
        Severity(severity),
        url,
        viewport,
        selector,
        message,
        "Give the link a name",
        tags=("wcag2a", "wcag244", "wcag412"),
        snippet='<a href="/"></a>',
    )


SITE_WIDE = [
    found("link-name", f"http://site.test/{page}", viewport)
    for page in ("", "shop", "blog")
    for viewport in ("desktop", "mobile")
]


def test_one_issue_for_the_same_element_on_every_page_and_viewport() -> None:
    # The same header link on 3 pages at 2 viewports, plus the third link of a
    # list whose position differs on one page: 2 issues, not 8 findings.
    other = found("image-alt", "http://site.test/", selector="ul > li:nth-of-type(3)")
    moved = found("image-alt", "http://site.test/b", selector="ul > li:nth-of-type(4)")
    issues = group_issues([*SITE_WIDE, other, moved])
    assert len(issues) == 2
    link = next(i for i in issues if i.rule == "link-name")
    assert link.count == 6
    assert link.pages == (
        "http://site.test/",
        "http://site.test/shop",
        "http://site.test/blog",
    )
    assert link.viewports == ("desktop", "mobile")
    assert link.wcag == ("2.4.4", "4.1.2")
    assert link.snippet == '<a href="/"></a>'
    assert link.selector == "header > nav > a:nth-of-type(2)"
    # the one seen on more pages ranks first among equally severe issues
    assert issues[0] is link


def test_different_messages_are_different_issues() -> None:
    a = found("color-contrast", "http://site.test/", message="ratio 2.1")
    b = found("color-contrast", "http://site.test/", message="ratio 3.9")
    assert len(group_issues([a, b])) == 2


def task(ok: bool) -> TaskRun:
    step = StepResult(0, "goto", "goto /", ok, 0.1, "http://site.test/")
    return TaskRun("A", 0, "desktop", ok, (step,), 0.1, ("http://site.test/",))


def script(**extra: object) -> AuditScript:
    return AuditScript.model_validate(
        {"tasks": [{"name": "A", "steps": [{"goto": "http://site.test/"}]}], **extra}
    )


def test_thresholds_and_summary_count_issues_alike() -> None:
    limits = script(thresholds={"accessibility": {"critical": 1}})
    results = evaluate_thresholds(limits, [task(True)], [], SITE_WIDE)
    critical = next(r for r in results if r.name == "accessibility.critical")
    # six findings, one issue: within a limit of one
    assert critical.actual == 1 and critical.passed
    report = AuditReport(
        limits, "", 0.0, "", "", 1, (task(True),), (), tuple(SITE_WIDE), results
    )
    assert report.severity_counts()["critical"] == critical.actual
    assert report.passed


def test_no_thresholds_fails_on_a_critical_issue_and_says_so() -> None:
    bare = script()
    assert bare.thresholds.origin == "default"
    results = evaluate_thresholds(bare, [task(True)], [], SITE_WIDE)
    report = AuditReport(
        bare, "", 0.0, "", "", 1, (task(True),), (), tuple(SITE_WIDE), results
    )
    assert not report.passed
    assert report.verdict.startswith("Failed: accessibility.critical.")
    assert "sets no thresholds" in report.verdict
    # no critical issue: passes
    mild = [found("region", "http://site.test/", severity="moderate")]
    assert all(r.passed for r in evaluate_thresholds(bare, [task(True)], [], mild))
    # a failed task fails it too
    failed = evaluate_thresholds(bare, [task(False)], [], mild)
    assert [r.name for r in failed if not r.passed] == ["task_success"]


def test_thresholds_none_opts_out() -> None:
    for value in ("none", None):
        opted = script(thresholds=value)
        assert opted.thresholds.origin == "none"
        results = evaluate_thresholds(opted, [task(False)], [], SITE_WIDE)
        assert results == ()
        report = AuditReport(
            opted, "", 0.0, "", "", 1, (task(False),), (), tuple(SITE_WIDE), results
        )
        assert report.passed and "thresholds: none" in report.verdict


def test_origin_survives_command_line_overrides() -> None:
    bare = script().with_overrides(base_url="http://127.0.0.1:9")
    assert bare.thresholds.origin == "default"
    given = script(thresholds={"task_success": 0.5}).with_overrides(
        base_url="http://127.0.0.1:9"
    )
    assert given.thresholds.origin == "script"


def test_accepted_issues_count_toward_nothing() -> None:
    bare = script()
    (issue,) = group_issues(SITE_WIDE)
    results = evaluate_thresholds(
        bare, [task(True)], [], SITE_WIDE, accepted=[issue.id]
    )
    assert all(r.passed for r in results)
