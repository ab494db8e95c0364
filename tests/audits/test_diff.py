"""Diffs between runs: findings matched on rule, page and selector; regressions."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.audits.conftest import ONE_PAGE
from uxlab.accounts import create_researcher
from uxlab.audits.diff import baseline_for, diff_runs
from uxlab.audits.history import HISTORY_CHARTS, history_chart, history_point
from uxlab.audits.projects import ProjectSettings, create_project
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    AuditRunFinding,
    RunStatus,
    Workspace,
)
from uxlab.workspaces import personal_workspace

HOME = "http://shop.test/"


def results(
    *,
    tasks_ok: bool = True,
    lcp: float = 1000,
    fcp: float | None = 600,
    failed: tuple[str, ...] = (),
    step_seconds: tuple[float, float] = (0.5, 2.5),
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
                "steps": [
                    {
                        "index": i,
                        "kind": kind,
                        "description": description,
                        "ok": True,
                        "seconds": seconds,
                        "url": HOME,
                    }
                    for i, (kind, description, seconds) in enumerate(
                        zip(
                            ("goto", "click"),
                            ("goto /", "click #buy"),
                            step_seconds,
                            strict=True,
                        )
                    )
                ],
            }
        ],
        "pages": [
            {
                "url": HOME,
                "viewport": "desktop",
                "perf": {
                    "ttfb_ms": 80,
                    "fcp_ms": fcp,
                    "lcp_ms": lcp,
                    "cls": 0.01,
                    "dom_content_loaded_ms": 700,
                    "load_ms": 1200,
                    "requests": 12,
                    "transfer_bytes": 250_000,
                },
            }
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


SVG = "{http://www.w3.org/2000/svg}"


def chart_series(svg: bytes) -> tuple[dict[str, int], str]:
    """The chart's groups with a ``history-`` id, each with the markers it
    draws (one per run that has the figure), and all the chart's text."""
    root = ElementTree.fromstring(svg)
    groups = {
        str(g.get("id")): len(g.findall(f".//{SVG}use"))
        for g in root.iter(f"{SVG}g")
        if str(g.get("id")).startswith("history-")
    }
    return groups, " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_history_page_charts_steps_and_every_performance_figure(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    project = make(session)
    workspace = session.get(Workspace, project.workspace_id)
    assert workspace is not None
    runs = [
        add_run(session, project, [], lcp=1000, step_seconds=(0.5, 2.5)),
        # The second run's pages did not measure FCP: a gap in its line.
        add_run(session, project, [], lcp=1400, fcp=None, step_seconds=(0.4, 3.0)),
        add_run(session, project, [], lcp=1100, step_seconds=(0.6, 2.8)),
    ]
    client.post("/login", data={"email": "a@example.com", "password": "password-a"})
    page = f"/workspaces/{workspace.slug}/audits/{project.id}"
    html = client.get(page).text
    shown = re.findall(
        rf'<img src="{re.escape(page)}/history/(\w+)\.svg" alt="([^"]+)"', html
    )
    assert [name for name, _ in shown] == [
        "findings",
        "tasks",
        "steps",
        "performance",
        "cls",
        "weight",
    ]
    assert dict(shown)["performance"] == (
        "Page-load timings: LCP, FCP, TTFB, DOMContentLoaded and load over the "
        "last 3 finished runs"
    )
    charts = {}
    for name, _ in shown:
        answer = client.get(f"{page}/history/{name}.svg")
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
        charts[name] = chart_series(answer.data)

    findings, text = charts["findings"]
    assert {f"history-findings-serious-{i}" for i in range(3)} <= set(findings)
    assert "n = 3 runs" in text
    assert all(f"#{run.id}" in text for run in runs)

    tasks, text = charts["tasks"]
    assert tasks == {"history-tasks-success": 3, "history-tasks-seconds": 3}
    assert "n = 3 runs" in text

    # Each step's seconds over the runs, the slowest (by its median) first.
    steps, text = charts["steps"]
    assert steps == {"history-steps-0": 3, "history-steps-1": 3}
    assert "All 2 steps, the slowest (by their median) first" in text
    assert "n = 3 runs" in text
    assert text.index("Checkout (desktop), step 2: click #buy") < text.index(
        "Checkout (desktop), step 1: goto /"
    )

    performance, text = charts["performance"]
    assert performance == {
        "history-performance-lcp_ms": 3,
        "history-performance-fcp_ms": 2,
        "history-performance-ttfb_ms": 3,
        "history-performance-dom_content_loaded_ms": 3,
        "history-performance-load_ms": 3,
    }
    for label in ("LCP", "FCP", "TTFB", "DOMContentLoaded", "Load"):
        assert label in text
    assert "n = 3 runs" in text

    cls, text = charts["cls"]
    assert cls["history-cls"] == 3 and "history-cls-good" in cls
    assert "Cumulative layout shift" in text and "n = 3 runs" in text

    weight, text = charts["weight"]
    assert weight == {
        "history-weight-requests": 3,
        "history-weight-transfer_bytes": 3,
    }
    assert "n = 3 runs" in text


def test_the_steps_chart_draws_the_slowest_steps() -> None:
    def run(run_id: int) -> dict[str, Any]:
        steps = [
            {"index": i, "description": f"goto /p{i}", "seconds": i + run_id / 10}
            for i in range(8)
        ]
        return {"tasks": [{"name": "Walk", "viewport": "mobile", "steps": steps}]}

    points = [history_point(i, run(i)) for i in (1, 2)]
    groups, text = chart_series(history_chart(points, "steps"))
    assert groups == {f"history-steps-{rank}": 2 for rank in range(6)}
    assert "The 6 slowest of 8 steps (by their median)" in text
    assert "Walk (mobile), step 8: goto /p7" in text
    assert "step 2: goto /p1" not in text and "step 1: goto /p0" not in text


def test_history_charts_read_a_malformed_uploaded_report() -> None:
    """A CI upload is checked for its summary and findings only: history reads
    the rest as it finds it, and leaves out what is not a number."""
    odd = {
        "summary": {"issues": {"minor": 1, "serious": "?"}, "task_success_rate": "all"},
        "tasks": [
            {"name": "Buy"},
            "not a task",
            {"name": "Pay", "viewport": "mobile", "seconds": 2, "steps": "none"},
            {"name": "Ask", "steps": [{"seconds": "slow"}, {"seconds": 1.5}]},
        ],
        "pages": [{"perf": {"lcp_ms": "fast", "cls": 0.2}}, {"perf": [1]}, 7],
    }
    point = history_point(9, odd)
    assert (point.task_success, point.task_seconds) == (None, 2.0)
    assert point.findings == {"minor": 1}
    assert point.perf == {"cls": 0.2}
    assert [(s.label, s.seconds) for s in point.steps] == [("Ask, step 2", 1.5)]
    for name in HISTORY_CHARTS:
        assert history_chart([point], name).lstrip().startswith(b"<?xml")


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
