"""``uxlab demo`` seeds something of every feature a newcomer should find."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from uxlab.analysis import analyse_study
from uxlab.cx.models import CxJourney, CxResponse, CxTouchpoint
from uxlab.demo import DEMO_EMAIL, DEMO_PASSWORD
from uxlab.models import (
    Event,
    ModeratedSession,
    Participant,
    Response,
    Study,
    StudyMode,
    Workspace,
)
from uxlab.moderation import timeline


def _texts(session: Session, study: Study) -> list[str]:
    rows = session.exec(
        select(Response.value_text)
        .join(Participant)
        .where(Participant.study_id == study.id)
    ).all()
    return [t for t in rows if t]


def test_the_demo_shows_every_feature(app, runner, session: Session) -> None:
    result = runner.invoke(args=["demo", "--participants", "12"])
    assert result.exit_code == 0, result.output
    studies = {s.slug: s for s in session.exec(select(Study)).all()}

    # A moderated study with two finished sessions: timeline, notes, tags.
    moderated = next(s for s in studies.values() if s.mode == StudyMode.moderated)
    sessions = session.exec(
        select(ModeratedSession).where(ModeratedSession.study_id == moderated.id)
    ).all()
    finished = [ms for ms in sessions if ms.ended_at is not None]
    assert len(finished) == 2
    for ms in finished:
        items = timeline(session, ms)
        kinds = {item.kind for item in items}
        assert {"consent", "start", "outcome", "step", "note", "end"} <= kinds
        assert items[-1].ms > 5 * 60_000  # minutes apart, as a real session
        assert len({item.tag for item in items if item.kind == "note"}) >= 2
    people = session.exec(
        select(Participant).where(Participant.study_id == moderated.id)
    ).all()
    assert len(people) == 2 and all(p.finished_at for p in people)

    # At least one flagged participant in an unmoderated study.
    flagged = {
        slug: sum(n for _, n in analyse_study(session, s).flag_counts)
        for slug, s in studies.items()
        if s.mode != StudyMode.moderated
    }
    assert any(flagged.values()), flagged

    # A first-click study with recorded clicks.
    first_click = studies["shopco-home-page-first-click-test"]
    clicks = session.exec(
        select(Event)
        .join(Participant)
        .where(Participant.study_id == first_click.id, Event.type == "first_click")
    ).all()
    assert len(clicks) >= 12

    # Open-text answers that fit each study's topic.
    survey = _texts(session, studies["support-touchpoint-survey"])
    assert survey and all("jacket" not in t for t in survey)
    assert any("support" in t or "agent" in t for t in survey)
    page = _texts(session, first_click)
    assert page and all("checkout" not in t.lower() for t in page)

    # A customer journey with a year of answers at each touchpoint.
    points = session.exec(select(CxTouchpoint)).all()
    assert len(points) == 5
    months = session.exec(select(CxResponse.month).distinct()).all()
    assert len(months) >= 12
    journey = session.exec(select(CxJourney)).one()
    team = session.get(Workspace, journey.workspace_id)
    assert team is not None
    client = app.test_client()
    client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).replace(day=1)
    journey_map = client.get(
        f"/workspaces/{team.slug}/cx/journeys/{journey.id}/map"
        f"?every=month&period={last_month:%Y-%m-%d}"
    )
    assert journey_map.status_code == 200
    assert journey_map.text.count("95% CI") >= 5

    # A tree test whose results page has every task's answers.
    tree = studies["council-website-navigation"]
    results = client.get(f"/studies/{tree.slug}/results")
    assert results.status_code == 200
    assert results.text.count('data-table="paths"') == 5
    assert 'data-field="mean-success"' in results.text


@pytest.mark.browser
def test_the_demo_sessions_page_shows_a_timeline_with_notes(
    runner, page: Page, live_server, session: Session
) -> None:
    assert runner.invoke(args=["demo", "--participants", "4"]).exit_code == 0
    moderated = session.exec(select(Study).where(Study.mode == "moderated")).one()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/studies/{moderated.slug}/sessions")
    page.get_by_role("link", name="P1 (Ana, returning customer)").first.click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.get_by_text("Looked for sizes under the photo").first).to_be_visible()
    expect(page.get_by_text("Session ended").first).to_be_visible()
