"""Closing the loop: follow-ups on unhappy answers from known customers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.web.test_cx import (
    SECRET,
    define_journey,
    save_survey,
    team_fixture,  # noqa: F401  (the "team" fixture)
)
from uxlab.cx import followups, journeys
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.cx.followup_models import CxFollowup
from uxlab.cx.models import CxChannel, CxResponse
from uxlab.models import Researcher


def _setup(team: dict[str, Any], session: Session) -> tuple[Any, int, int]:
    slug, editor = team["slug"], team["editor"]
    journey_id, touchpoint_id = define_journey(editor, slug)
    save_survey(
        editor,
        slug,
        touchpoint_id,
        blocks=["nps", "csat", "ces", "open"],
        hidden_fields="customer, plan",
    )
    saved = editor.post(
        f"/workspaces/{slug}/cx/journeys/{journey_id}/followup-rules",
        data={"reference_field": "customer", "webhook_url": ""},
    )
    assert saved.status_code == 303
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "link")).one()
    return (
        open_link(session, journeys.channel_token(channel, SECRET)),
        journey_id,
        touchpoint_id,
    )


def _answer(session: Session, opened: Any, key: str, **values: str) -> None:
    record(session, opened, key, parse_answers(opened.survey, values))  # type: ignore[arg-type]


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_unhappy_answers_from_known_customers_become_follow_ups(
    team: dict[str, Any], session: Session
) -> None:
    opened, journey_id, _ = _setup(team, session)
    _answer(session, opened, "a", nps="3", customer="C-1042", open_text="Too slow")
    _answer(session, opened, "b", csat="2", customer="C-7")
    _answer(session, opened, "c", ces="6", customer="C-8")
    _answer(session, opened, "d", nps="7", csat="4", ces="2", customer="C-9")  # content
    _answer(session, opened, "e", nps="0")  # unhappy, but anonymous
    # The same browser changes its answer: still one follow-up for it.
    _answer(session, opened, "a", nps="2", customer="C-1042")
    made = session.exec(select(CxFollowup).order_by(CxFollowup.id)).all()
    assert [(f.reference, f.reason) for f in made] == [
        ("C-1042", "NPS 3 (detractor)"),
        ("C-7", "CSAT 2 of 5"),
        ("C-8", "CES 6 of 7 (hard work)"),
    ]
    assert all(f.status == "open" and f.journey_id == journey_id for f in made)


def test_the_list_and_the_work_on_one_follow_up(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    opened, journey_id, touchpoint_id = _setup(team, session)
    _answer(
        session,
        opened,
        "a",
        nps="3",
        customer="C-1042",
        open_text="<script>alert(1)</script> never again",
    )
    found = session.exec(select(CxFollowup)).one()
    base = f"/workspaces/{slug}/cx/followups"
    listing = editor.get(base).text
    assert "C-1042" in listing and "NPS 3 (detractor)" in listing
    assert "<script>alert(1)" not in listing and "&lt;script&gt;" in listing
    # Follow-ups name customers: not for viewers, nor for other workspaces.
    assert viewer.get(base).status_code == 403
    assert viewer.get(f"{base}/{found.id}").status_code == 403
    other: FlaskClient = team["other"]
    assert other.get(f"{base}/{found.id}").status_code in (403, 404)
    # The map's card shows the open follow-up to everyone; the link to editors.
    map_url = f"/workspaces/{slug}/cx/journeys/{journey_id}/map"
    assert "1 open follow-up" in _text(editor.get(map_url).text)
    assert "1 open follow-up" in _text(viewer.get(map_url).text)

    page = f"{base}/{found.id}"
    editor_id = session.exec(
        select(Researcher.id).where(Researcher.email == "editor@example.com")
    ).one()
    outsider = session.exec(
        select(Researcher.id).where(Researcher.email == "other@example.com")
    ).one()
    refused = editor.post(
        f"{page}/assignee", data={"assignee": str(outsider)}, follow_redirects=True
    )
    assert "Follow-ups go to members of this workspace" in refused.text
    editor.post(f"{page}/assignee", data={"assignee": str(editor_id)})
    assert "C-1042" in editor.get(f"{base}?mine=1").text
    # A note is kept verbatim and shown escaped; an empty one is refused.
    editor.post(f"{page}/notes", data={"text": "Called, <b>left</b> a message\nline 2"})
    empty = editor.post(f"{page}/notes", data={"text": "  "}, follow_redirects=True)
    assert "The note is empty." in empty.text
    shown = editor.get(page).text
    assert "Called, &lt;b&gt;left&lt;/b&gt; a message\nline 2" in shown
    # Contacted, then resolved: the two times are kept and shown.
    session.rollback()  # a fresh snapshot, after the app's writes
    made = session.get(CxFollowup, found.id)
    assert made is not None
    made.created_at = made.created_at - timedelta(hours=5)
    session.add(made)
    session.commit()
    editor.post(f"{page}/status", data={"status": "contacted"})
    editor.post(f"{page}/status", data={"status": "resolved"})
    bad = editor.post(
        f"{page}/status", data={"status": "closed"}, follow_redirects=True
    )
    assert "open, contacted or resolved" in bad.text
    session.expire_all()
    done = session.get(CxFollowup, found.id)
    assert done is not None and done.status == "resolved"
    assert done.first_contact_at is not None and done.resolved_at is not None
    assert (
        timedelta(hours=5)
        <= done.first_contact_at - done.created_at
        < timedelta(hours=5, minutes=5)
    )
    summary = _text(editor.get(base).text)
    assert "Median time to first contact: 5 hours" in summary
    assert "Median time to resolution: 5 hours" in summary
    assert "1 open follow-up" not in _text(editor.get(map_url).text)
    assert editor.get(f"{base}?status=resolved").text.count("C-1042") >= 1
    assert "No follow-ups match this filter" in editor.get(f"{base}?status=open").text


def test_rules_are_checked_and_only_editors_set_them(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    journey_id, _ = define_journey(editor, slug)
    url = f"/workspaces/{slug}/cx/journeys/{journey_id}/followup-rules"
    assert viewer.post(url, data={"reference_field": "customer"}).status_code == 403
    bad = editor.post(
        url, data={"reference_field": "Customer Id!"}, follow_redirects=True
    )
    assert "is not a hidden field" in bad.text
    bad = editor.post(
        url,
        data={"reference_field": "customer", "webhook_url": "ftp://x"},
        follow_redirects=True,
    )
    assert "http:// or https://" in bad.text
    assert followups.settings_for(session, journey_id).reference_field == ""


def test_deleting_a_customer_by_reference_deletes_their_follow_ups(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    opened, _, _ = _setup(team, session)
    _answer(session, opened, "a", nps="3", customer="C-1042")
    _answer(session, opened, "b", nps="1", customer="C-7")
    editor.post(
        f"/workspaces/{slug}/cx/forget", data={"reference": "C-1042", "confirm": "yes"}
    )
    session.expire_all()
    assert [f.reference for f in session.exec(select(CxFollowup)).all()] == ["C-7"]


def test_the_webhooks_json_reads_as_a_message(
    team: dict[str, Any], session: Session
) -> None:
    opened, _, _ = _setup(team, session)
    _answer(session, opened, "a", nps="3", customer="C-1042", open_text="Too slow")
    followup = session.exec(select(CxFollowup)).one()
    row = followups.get_followup(session, team["id"], followup.id or 0)
    payload = followups.webhook_payload(row, "http://uxlab.example/f/1")
    assert payload["text"] == (
        "New follow-up at Buy online / Checkout: customer C-1042, NPS 3 "
        '(detractor): "Too slow". http://uxlab.example/f/1'
    )
    assert (
        payload["answers"]["nps"] == 3 and payload["followup"]["reference"] == "C-1042"
    )


def test_answers_from_one_browser_arriving_at_once_are_all_kept(
    team: dict[str, Any], session: Session, database_url: str
) -> None:
    # Two clicks of one email's links (or a click and the page's form) from
    # one browser at the same moment, each from its own app process: both are
    # stored without an error, and neither's hidden field is lost.
    from tests.test_concurrency import no_errors, race
    from uxlab.db import make_engine

    _setup(team, session)
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "link")).one()
    token = journeys.channel_token(channel, SECRET)
    engines = [make_engine(database_url) for _ in range(2)]
    fields = [{"nps": "3", "customer": "C-7"}, {"csat": "2", "plan": "pro"}]
    try:
        for round_ in range(8):

            def act(i: int, round_: int = round_) -> None:
                with Session(engines[i]) as db:
                    opened = open_link(db, token)
                    answers = parse_answers(opened.survey, fields[i])  # type: ignore[arg-type]
                    record(db, opened, f"browser-{round_}", answers)

            no_errors(race(2, act))
    finally:
        for engine in engines:
            engine.dispose()
    session.rollback()  # a fresh snapshot: the writers were other connections
    stored = session.exec(select(CxResponse).order_by(CxResponse.client_key)).all()
    assert len(stored) == 8
    for response in stored:
        assert (response.nps, response.csat) == (3, 2)
        assert response.hidden == {"customer": "C-7", "plan": "pro"}
    # One follow-up per response (NPS 3 from a known customer), never two.
    assert len(session.exec(select(CxFollowup)).all()) == 8
