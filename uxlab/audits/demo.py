"""The demo's audit project: the demo shop, scheduled nightly, with finished runs.

The runs are made up (no browser is needed to seed the demo), shaped like
report.json, so the project page, its history charts and diffs have something
to show: the shop gets better over three nights, then a release breaks the
checkout and adds a serious finding (a regression).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from uxlab.audits.diff import baseline_for, diff_runs
from uxlab.audits.projects import ProjectSettings, create_project
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    AuditRunFinding,
    RunStatus,
    utcnow,
)

__all__ = ["DEMO_AUDIT_SCRIPT", "seed_audit_demo"]

DEMO_AUDIT_SCRIPT = """\
name: Demo shop nightly audit
viewports: [desktop, mobile]
tasks:
  - name: Find a jacket and add it to the cart
    steps:
      - goto: /static/demo-shop/index.html
      - click: {role: link, name: Jackets}
      - expect_url: /static/demo-shop/jackets.html
  - name: Read the help page
    steps:
      - goto: /static/demo-shop/help.html
checks: [accessibility, performance, console, links, tap_targets, overflow]
thresholds:
  accessibility: {critical: 0, serious: 0}
  performance: {lcp_ms: 2500, cls: 0.1}
  task_success: 1.0
"""

_PAGES = ("index.html", "jackets.html", "help.html")
#: Night by night: findings (rule, severity, page, selector), checkout works,
#: LCP of the home page in ms.
_NIGHTS: tuple[tuple[list[tuple[str, str, str, str]], bool, int], ...] = (
    (
        [
            ("image-alt", "critical", "index.html", "img.hero"),
            ("color-contrast", "serious", "help.html", ".fine-print"),
            ("target-size", "moderate", "jackets.html", "a.size-chip"),
        ],
        True,
        1900,
    ),
    (
        [
            ("color-contrast", "serious", "help.html", ".fine-print"),
            ("target-size", "moderate", "jackets.html", "a.size-chip"),
        ],
        True,
        1750,
    ),
    ([("target-size", "moderate", "jackets.html", "a.size-chip")], True, 1700),
    (
        [
            ("target-size", "moderate", "jackets.html", "a.size-chip"),
            ("label", "serious", "jackets.html", "#size"),
        ],
        False,
        2300,
    ),
)


def _results(base: str, night: int) -> dict[str, Any]:
    findings, checkout_ok, lcp = _NIGHTS[night]
    counts = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for _, severity, _, _ in findings:
        counts[severity] += 1
    passed = checkout_ok and counts["critical"] == counts["serious"] == 0
    failed = [] if passed else ["accessibility"] if checkout_ok else ["task_success"]
    pages = [
        {
            "url": f"{base}/static/demo-shop/{page}",
            "viewport": "desktop",
            "perf": {"lcp_ms": lcp if page == "index.html" else 900, "cls": 0.02},
        }
        for page in _PAGES
    ]
    return {
        "summary": {
            "passed": passed,
            "exit_code": 0 if passed else 1,
            "task_success_rate": 1.0 if checkout_ok else 0.5,
            "task_runs": 2,
            "pages": len(pages),
            "issues": counts,
            "findings": sum(counts.values()),
            "failed_thresholds": failed,
        },
        "tasks": [
            {
                "name": "Find a jacket and add it to the cart",
                "viewport": "desktop",
                "success": checkout_ok,
                "seconds": 3.4 if checkout_ok else 8.1,
            },
            {
                "name": "Read the help page",
                "viewport": "desktop",
                "success": True,
                "seconds": 1.2,
            },
        ],
        "pages": pages,
        "findings": [
            {
                "rule": rule,
                "severity": severity,
                "url": f"{base}/static/demo-shop/{page}",
                "viewport": "desktop",
                "selector": selector,
                "message": f"{rule} on {selector}",
            }
            for rule, severity, page, selector in findings
        ],
    }


def seed_audit_demo(session: Session, workspace_id: int, base: str) -> AuditProject:
    """Add the demo shop's audit project, scheduled at 03:00 Berlin time."""
    project = create_project(
        session,
        workspace_id,
        ProjectSettings(
            name="Demo shop",
            base_url=base,
            schedule="0 3 * * *",
            timezone="Europe/Berlin",
        ),
        DEMO_AUDIT_SCRIPT,
    ).project
    assert project.id is not None
    start = utcnow().replace(hour=2, minute=0, second=0, microsecond=0)
    for night in range(len(_NIGHTS)):
        at = start - timedelta(days=len(_NIGHTS) - night)
        results = _results(base, night)
        run = AuditProjectRun(
            project_id=project.id,
            status=RunStatus.passed
            if results["summary"]["passed"]
            else RunStatus.failed,
            script_yaml=project.script_yaml,
            script_version=1,
            started_by="schedule",
            slot=at,
            base_url=base,
            done=2,
            total=2,
            queued_at=at,
            started_at=at + timedelta(seconds=1),
            finished_at=at + timedelta(seconds=14),
            seconds=13.0,
            attempts=1,
            summary=results["summary"],
            results=results,
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        for finding in results["findings"]:
            session.add(
                AuditRunFinding(
                    run_id=run.id,
                    rule=finding["rule"],
                    severity=finding["severity"],
                    page=finding["url"],
                    viewport="desktop",
                    selector=finding["selector"],
                    message=finding["message"],
                )
            )
        session.flush()
        run.regression = diff_runs(
            session, project, run, baseline_for(session, run)
        ).regression
        session.add(run)
    session.commit()
    return project
