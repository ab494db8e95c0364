"""Diffs between runs: findings matched on rule, page and selector; regressions."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from tests.audits.conftest import ONE_PAGE
from uxlab.accounts import create_researcher
from uxlab.audits.diff import baseline_for, diff_runs
from uxlab.audits.history import history_chart, history_point
from uxlab.audits.projects import ProjectSettings, create_project
from uxlab.models import AuditProject, AuditProjectRun, AuditRunFinding, RunStatus
from uxlab.workspaces import personal_workspace

HOME = "http://shop.test/"


def results(
    *, tasks_ok: bool = True, lcp: float = 1000, failed: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "summary": {
            "findings": {"serious": 1},
            "task_success_rate": 1.0 if tasks_ok else 0.0,
            "failed_thresholds": list(failed),
        },
        "tasks": [
            {
                "name": "Checkout",
                "viewport": "desktop",
                "success": tasks_ok,
                "seconds": 3.0,
            }
        ],
        "pages": [
            {"url": HOME, "viewport": "desktop", "perf": {"lcp_ms": lcp, "cls": 0.01}}
        ],
    }


def add_run(
    session: Session,
    project: AuditProject,
    findings: list[tuple[str, str, str | None, str]],
    **kw: Any,
) -> AuditProjectRun:
    run = AuditProjectRun(
        project_id=project.id,  # type: ignore[arg-type]
        status=RunStatus.failed,
        script_yaml=project.script_yaml,
        script_version=1,
        started_by="person",
        base_url=HOME,
        results=results(**kw),
    )
    session.add(run)
    session.commit()
    for rule, severity, selector, message in findings:
        session.add(
            AuditRunFinding(
                run_id=run.id,  # type: ignore[arg-type]
                rule=rule,
                severity=severity,
                page=HOME,
                viewport="desktop",
                selector=selector,
                message=message,
            )
        )
    session.commit()
    return run


def make(session: Session) -> AuditProject:
    researcher = create_researcher(
        session, email="a@example.com", password="password-a"
    )
    workspace = personal_workspace(session, researcher.id or 0)
    return create_project(
        session,
        workspace.id or 0,
        ProjectSettings(name="Shop", base_url=HOME),
        ONE_PAGE,
    ).project


def test_findings_match_on_rule_page_and_selector_not_text(session: Session) -> None:
    project = make(session)
    before = add_run(
        session,
        project,
        [
            ("image-alt", "critical", "img.hero", "Images must have alt text"),
            ("label", "serious", "#q", "Form elements must have labels"),
        ],
    )
    after = add_run(
        session,
        project,
        [
            # The same finding, reworded by a newer axe-core: unchanged.
            ("image-alt", "critical", "img.hero", "Images need alternative text"),
            ("color-contrast", "minor", ".fine-print", "Low contrast"),
        ],
    )
    assert baseline_for(session, after) == before
    diff = diff_runs(session, project, after, before)
    assert [(f.rule, f.selector) for f in diff.unchanged] == [("image-alt", "img.hero")]
    assert [f.rule for f in diff.new] == ["color-contrast"]
    assert [f.rule for f in diff.fixed] == ["label"]
    # A new minor finding is no regression.
    assert not diff.regression
    assert diff.summary_line() == "no regression"


def test_newly_failing_tasks_thresholds_and_slower_pages_are_regressions(
    session: Session,
) -> None:
    project = make(session)
    before = add_run(session, project, [], lcp=1000)
    after = add_run(
        session,
        project,
        [("label", "serious", "#q", "Form elements must have labels")],
        tasks_ok=False,
        lcp=1300,
        failed=("task_success",),
    )
    diff = diff_runs(session, project, after, before)
    assert diff.tasks_newly_failing == ("Checkout (desktop)",)
    assert diff.thresholds_newly_failed == ("task_success",)
    # 1000 ms → 1300 ms is +30 %, beyond the default 20 %.
    [worse] = diff.perf_worse
    assert (worse.figure, worse.before, worse.after) == ("lcp_ms", 1000, 1300)
    assert diff.regression
    assert diff.summary_line() == (
        "thresholds newly failed: task_success; tasks newly failing: Checkout "
        "(desktop); 1 new critical or serious findings; 1 performance figures worse"
    )
    # +10 % stays under the project's threshold.
    small = add_run(session, project, [], lcp=1430)
    assert diff_runs(session, project, small, after).perf_worse == ()


def test_a_first_run_has_nothing_to_regress_from(session: Session) -> None:
    project = make(session)
    first = add_run(session, project, [("label", "serious", "#q", "No label")])
    assert baseline_for(session, first) is None
    diff = diff_runs(session, project, first, None)
    assert [f.rule for f in diff.new] == ["label"]
    assert not diff.regression


def test_history_charts_are_svg_with_one_bar_per_run() -> None:
    points = [history_point(i, results(lcp=900 + i)) for i in (1, 2, 3)]
    svg = history_chart(points, "findings").decode()
    assert svg.lstrip().startswith("<?xml")
    assert all(f"#{i}" in svg for i in (1, 2, 3))
    assert "Findings by severity" in svg
    assert "LCP" in history_chart(points, "performance").decode()


def test_screenshots_older_than_the_retention_period_are_pruned(
    session: Session,
) -> None:
    from datetime import timedelta

    from uxlab.audits.projects import prune_screenshots
    from uxlab.models import AuditRunScreenshot, utcnow

    project = make(session)
    assert project.retention_days == 90  # the default
    old = add_run(session, project, [("label", "serious", "#q", "No label")])
    recent = add_run(session, project, [("label", "serious", "#q", "No label")])
    old.finished_at = utcnow() - timedelta(days=91)
    recent.finished_at = utcnow() - timedelta(days=89)
    for run in (old, recent):
        session.add(run)
        session.add(
            AuditRunScreenshot(
                run_id=run.id, filename="home.jpg", mime="image/jpeg", data=b"jpg"
            )  # type: ignore[arg-type]
        )
    session.commit()

    assert prune_screenshots(session) == 1
    shots = session.exec(select(AuditRunScreenshot)).all()
    assert [s.run_id for s in shots] == [recent.id]
    # The pruned run keeps its findings and numbers.
    session.refresh(old)
    assert old.screenshots_pruned_at is not None
    assert old.results["summary"]["findings"] == {"serious": 1}
    assert len(session.exec(select(AuditRunFinding)).all()) == 2
    assert prune_screenshots(session) == 0
