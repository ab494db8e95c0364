"""The journey map joins UX and CX: studies and audits aimed at a touchpoint."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlmodel import Session, col, select

from tests.web.test_cx import define_journey, team_fixture  # noqa: F401
from uxlab import stats
from uxlab.cx.models import CxJourney, CxTouchpoint
from uxlab.cx.ux_side import CxTouchpointLink
from uxlab.demo import DEMO_EMAIL, DEMO_PASSWORD
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    Outcome,
    Study,
    Task,
    TaskAttempt,
    Workspace,
)


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_demo_maps_checkout_with_its_study_and_audit(
    app: Flask, session: Session
) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--participants", "12"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    journey = session.exec(select(CxJourney)).one()
    team = session.get(Workspace, journey.workspace_id)
    assert team is not None
    card_page = client.get(f"/workspaces/{team.slug}/cx/journeys/{journey.id}/map")
    assert card_page.status_code == 200
    text = _text(card_page.text)

    link = session.exec(
        select(CxTouchpointLink).where(col(CxTouchpointLink.study_id).is_not(None))
    ).one()
    study = session.get(Study, link.study_id)
    assert study is not None and study.title in text
    # The first task's success, recomputed from the stored attempts: the
    # adjusted-Wald interval (Sauro & Lewis 2005) of successes of those judged.
    task = session.exec(
        select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
    ).first()
    assert task is not None
    attempts = session.exec(
        select(TaskAttempt).where(
            TaskAttempt.task_id == task.id, col(TaskAttempt.outcome).is_not(None)
        )
    ).all()
    wins = sum(a.outcome == Outcome.success for a in attempts)
    rate = stats.completion_rate(wins, len(attempts))
    assert (
        f"Task “{task.title}”: {round(100 * wins / len(attempts))}% succeeded "
        f"({wins} of {len(attempts)}; 95% CI {round(100 * rate.ci.low)} to "
        f"{round(100 * rate.ci.high)}%, adjusted Wald)"
    ) in text
    assert re.search(r"SUS \d+\.\d \(95% CI \d+\.\d to \d+\.\d, t interval\)", text)
    # The audit project's latest finished run, passed or failed, with its criticals.
    project = session.exec(
        select(AuditProject).where(col(AuditProject.study_id).is_(None))
    ).first()
    assert project is not None
    run = session.exec(
        select(AuditProjectRun)
        .where(
            AuditProjectRun.project_id == project.id,
            col(AuditProjectRun.status).in_(["passed", "failed", "error"]),
        )
        .order_by(col(AuditProjectRun.id).desc())
    ).first()
    assert run is not None
    assert re.search(
        rf"Audit {project.name}, run #{run.id} ?: {run.status.value} ?, "
        r"\d+ critical issues?",
        text,
    )
    # The follow-ups the demo made for unhappy Checkout answers with an order.
    assert re.search(r"\d+ open follow-ups?", text)


def test_links_are_made_by_editors_within_the_workspace(
    team: dict[str, Any], session: Session, app: Flask
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    journey_id, touchpoint_id = define_journey(editor, slug)
    url = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}/links"
    # A study of another workspace (a personal one) cannot be linked.
    app.test_cli_runner().invoke(args=["demo", "--participants", "2"])
    foreign = session.exec(
        select(Study).where(Study.workspace_id != team["id"])
    ).first()
    assert foreign is not None
    refused = editor.post(
        url, data={"study_id": str(foreign.id)}, follow_redirects=True
    )
    assert "That study is not in this workspace." in refused.text
    assert viewer.post(url, data={"study_id": "1"}).status_code == 403
    assert editor.post(url, data={"study_id": "x"}).status_code == 400
    page = editor.get(f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}").text
    assert "None yet. Link a usability study or an audit project" in page
    assert (
        session.exec(
            select(CxTouchpointLink).where(
                CxTouchpointLink.touchpoint_id == touchpoint_id
            )
        ).all()
        == []
    )
    touchpoint = session.get(CxTouchpoint, touchpoint_id)
    assert touchpoint is not None and touchpoint.journey_id == journey_id
