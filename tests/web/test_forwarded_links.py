"""A single-use invite opened in a second browser asks who is there."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from tests.test_participation import SECRET, make_study
from tests.web.test_participant import consent, rows
from uxlab.invites import create_invites, invite_token
from uxlab.models import Participant


def _started_invite(app: Flask, session: Session) -> tuple[str, str, str]:
    study = make_study(session, "participant_study.yaml")
    link = f"/s/{invite_token(create_invites(session, study, 1, SECRET)[0], SECRET)}"
    first = app.test_client()
    assert first.get(link).status_code == 303
    consent(first, study)
    code = rows(session, Participant)[0].code
    return study.slug, link, code


def test_a_second_browser_is_asked_before_it_continues(
    app: Flask, session: Session
) -> None:
    slug, link, code = _started_invite(app, session)
    second = app.test_client()
    question = second.get(link)
    assert question.status_code == 200
    assert f"Are you <code>{code}</code>?" in question.text
    assert "this link was forwarded to me" in question.text.lower()
    going_on = second.post(link, data={"decision": "continue"})
    assert going_on.status_code == 303
    page = second.get(f"/take/{slug}").text
    assert "Find your cart" in page  # consent is behind them: the first task
    assert len(rows(session, Participant)) == 1


def test_a_forwarded_link_is_turned_away_politely(app: Flask, session: Session) -> None:
    slug, link, _code = _started_invite(app, session)
    stranger = app.test_client()
    answer = stranger.post(link, data={"decision": "forwarded"})
    assert answer.status_code == 410
    assert "This link has already been used" in answer.text
    page = stranger.get(f"/take/{slug}")
    assert "Find your cart" not in page.text
    assert len(rows(session, Participant)) == 1


def test_the_first_browser_continues_without_a_question(
    app: Flask, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    link = f"/s/{invite_token(create_invites(session, study, 1, SECRET)[0], SECRET)}"
    first = app.test_client()
    assert first.get(link).status_code == 303
    assert first.get(link).status_code == 303
