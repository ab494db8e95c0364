"""A new follow-up is POSTed to its journey's webhook by a worker, with retries."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session, select

from tests.audits.conftest import Workers, wait_for
from tests.audits.test_notify import Receiver
from uxlab.cx import followups, journeys
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.cx.followup_models import CxFollowup
from uxlab.models import Workspace


def _notified(db: Session, followup_id: int) -> str | None:
    db.rollback()  # a fresh snapshot: the worker writes from another process
    found = db.get(CxFollowup, followup_id)
    return found.notified if found is not None else None


def test_a_new_follow_up_is_posted_to_the_journeys_webhook(
    queue_app: Flask, db: Session, workspace: Workspace, workers: Workers
) -> None:
    receiver = Receiver(failures=1)  # the first try fails: the second delivers
    try:
        journey = journeys.create_journey(db, workspace.id or 0, "Buy online", ["Buy"])
        stage = journeys.journey_view(db, journey).stages[0].stage
        touchpoint = journeys.add_touchpoint(db, journey, stage.id or 0, "Checkout")
        survey = journeys.save_survey(
            db, touchpoint, ["nps", "open"], "Why?", "customer", "test-secret"
        )
        followups.save_settings(db, journey, "customer", receiver.url)
        channel = journeys.channels_of(db, survey)[0]
        opened = open_link(db, journeys.channel_token(channel, "test-secret"))
        with queue_app.app_context():
            record(
                db,
                opened,
                "browser-1",
                parse_answers(
                    survey, {"nps": "2", "open_text": "Too slow", "customer": "C-1"}
                ),
            )
        made = db.exec(select(CxFollowup)).one()
        workers.start()
        wait_for(
            "the webhook's delivery",
            lambda: _notified(db, made.id or 0) == "webhook delivered (try 2)",
            30,
        )
    finally:
        receiver.close()
    assert [status for _, status, _ in receiver.calls] == [500, 200]
    payload = receiver.calls[-1][2]
    assert payload["text"].startswith(
        "New follow-up at Buy online / Checkout: customer C-1, NPS 2 (detractor): "
        '"Too slow".'
    )
    assert payload["text"].endswith(
        f"/workspaces/{workspace.slug}/cx/followups/{made.id}"
    )
    assert payload["followup"]["reference"] == "C-1"
    assert receiver.calls[1][0] - receiver.calls[0][0] >= 0.9  # Huey's retry delay
