"""A survey's retention: answers older than it are deleted, the rest kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from tests.web.test_cx import (
    SECRET,
    define_journey,
    save_survey,
    team_fixture,  # noqa: F401  (the "team" fixture)
)
from uxlab.audits.queue import audit_queue
from uxlab.cx import journeys, privacy
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.cx.models import CxChannel, CxResponse, CxSurvey


def test_answers_past_the_surveys_retention_are_deleted(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    _, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id)
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "link")).one()
    opened = open_link(session, journeys.channel_token(channel, SECRET))
    now = datetime.now(UTC)
    for key, age in (("old", 40), ("edge", 29), ("new", 1)):
        record(
            session,
            opened,
            key,
            parse_answers(opened.survey, {"nps": "9"}),
            at=now - timedelta(days=age),
        )  # type: ignore[arg-type]
    url = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    assert (
        viewer.post(f"{url}/retention", data={"retention_days": "30"}).status_code
        == 403
    )
    for bad in ("0", "-3", "thirty", "99999"):
        refused = editor.post(
            f"{url}/retention", data={"retention_days": bad}, follow_redirects=True
        )
        assert "Retention is a number of days from 1 to 3650" in refused.text
    done = editor.post(
        f"{url}/retention", data={"retention_days": "30"}, follow_redirects=True
    )
    assert "Answers are deleted 30 days after they were given" in done.text
    session.rollback()
    assert session.exec(select(CxSurvey)).one().retention_days == 30

    # Nothing goes before the hourly job runs; then only what is past 30 days.
    assert len(session.exec(select(CxResponse)).all()) == 3
    assert privacy.prune_expired(session, now) == 1
    left = sorted(r.client_key for r in session.exec(select(CxResponse)).all())
    assert len(left) == 2
    assert privacy.prune_expired(session, now) == 0
    # Emptied: answers are kept again, whatever their age.
    editor.post(f"{url}/retention", data={"retention_days": ""})
    assert privacy.prune_expired(session, now + timedelta(days=400)) == 0
    # The job that runs it is on the workers' queue, every hour.
    with app.app_context():
        names = audit_queue(app).huey._registry._registry
        assert any(name.endswith("cx_retention") for name in names)
