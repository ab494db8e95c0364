"""`uxlab demo` seeds an audit project: scheduled, with finished runs and a regression."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlmodel import Session, col, select

from uxlab.demo import DEMO_EMAIL, DEMO_PASSWORD
from uxlab.models import AuditProject, AuditProjectRun, RunStatus, Workspace


def test_the_demo_has_a_scheduled_audit_project_with_history_and_a_regression(
    app: Flask, runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["demo", "--participants", "4"])
    assert result.exit_code == 0, result.output
    project = session.exec(select(AuditProject)).one()
    assert (project.name, project.schedule, project.timezone) == (
        "Demo shop",
        "0 3 * * *",
        "Europe/Berlin",
    )
    runs = session.exec(select(AuditProjectRun).order_by(col(AuditProjectRun.id))).all()
    assert len(runs) >= 3
    assert all(r.status in (RunStatus.passed, RunStatus.failed) for r in runs)
    assert [r.regression for r in runs][-1] is True
    assert not any(r.regression for r in runs[:-1])

    workspace = session.get(Workspace, project.workspace_id)
    assert workspace is not None
    client = app.test_client()
    client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    page = f"/workspaces/{workspace.slug}/audits/{project.id}"
    html = client.get(page).text
    assert "Demo shop" in html and "0 3 * * *" in html
    chart = client.get(f"{page}/history/findings.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    diff = client.get(f"{page}/runs/{runs[-1].id}/diff").text
    assert 'data-regression="yes"' in diff
    assert "tasks newly failing: Find a jacket and add it to the cart (desktop)" in diff
