"""Participant pages over HTTP: links, steps, double submits and bad input."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, SQLModel, select
from werkzeug.test import TestResponse

from tests.test_participation import SECRET, make_study, open_token
from uxlab.invites import create_invites, invite_token, revoke_invite
from uxlab.models import (
    Event,
    Outcome,
    Participant,
    Response,
    Study,
    StudyStatus,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.tokens import hash_token

T = TypeVar("T", bound=SQLModel)


def enter(client: FlaskClient, session: Session, study: Study) -> TestResponse:
    return client.get(f"/s/{open_token(session, study)}")


def rows(session: Session, model: type[T]) -> list[T]:
    """Every row of a table as the app left it (ends the test's own snapshot)."""
    session.commit()
    session.expire_all()
    return list(session.exec(select(model)).all())


def one(session: Session, model: type[T]) -> T:
    found = rows(session, model)
    assert len(found) == 1, found
    return found[0]


def the_participant(session: Session) -> Participant:
    return one(session, Participant)


def cookie_token(client: FlaskClient, slug: str) -> str:
    """The participant's token, as their personal resume link shows it."""
    html = client.get(f"/take/{slug}").get_data(as_text=True)
    match = re.search(r"/r/([A-Za-z0-9_-]+)", html)
    assert match, "no resume link on the page"
    return match.group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name!r}"
    return match.group(1)


def consent(client: FlaskClient, study: Study) -> TestResponse:
    return client.post(
        f"/take/{study.slug}/consent", data={"step": "consent", "decision": "agree"}
    )


def assert_no_inline_code(html: str) -> None:
    """The CSP forbids inline script and style; the pages must not need them."""
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<[a-z][^>]*\son\w+=", html)


# ------------------------------------------------------------------- links


def test_open_link_swaps_token_for_cookie_and_clean_url(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    token = open_token(session, study)
    response = client.get(f"/s/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/take/{study.slug}"
    person = the_participant(session)
    raw = cookie_token(client, study.slug)
    assert person.token_hash == hash_token(raw) and raw != token

    page = client.get(f"/take/{study.slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ShopCo checkout study" in html and "Before you start" in html
    # The description is the researcher's note, not for participants.
    assert "We are testing the" not in html
    assert "I agree, start the study" in html
    assert f"/r/{raw}" in html  # the personal resume link
    assert "Log out" not in html and "/researcher" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert_no_inline_code(html)


def test_same_browser_resumes_other_browser_starts_anew(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    enter(client, session, study)
    assert len(rows(session, Participant)) == 1
    enter(app.test_client(), session, study)
    assert len(rows(session, Participant)) == 2


def test_single_invite_resumes_in_another_browser_until_finished(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    link = f"/s/{invite_token(create_invites(session, study, 1, SECRET)[0], SECRET)}"
    assert client.get(link).status_code == 303
    consent(client, study)
    laptop = app.test_client()
    assert "Are you <code>" in laptop.get(link).text  # asked who is there first
    assert laptop.post(link, data={"decision": "continue"}).status_code == 303
    page = laptop.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "Find your cart" in page  # past consent: the same participant
    person = the_participant(session)
    person.finished_at, person.step = utcnow(), "done"
    session.add(person)
    session.commit()
    again = app.test_client().get(link)
    assert again.status_code == 410
    assert "You have already taken part" in again.get_data(as_text=True)
    assert client.get(f"/take/{study.slug}").status_code == 200  # thank-you page


@pytest.mark.reliability
def test_resume_link_works_in_a_new_browser(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    consent(client, study)
    phone = app.test_client()
    response = phone.get(f"/r/{cookie_token(client, study.slug)}")
    assert response.status_code == 303
    assert "Find your cart" in phone.get(f"/take/{study.slug}").get_data(as_text=True)
    bad = phone.get("/r/not-a-real-token")
    assert bad.status_code == 401 and "This link does not work" in bad.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("change", "status", "heading"),
    [
        ("unknown", 401, "This link does not work"),
        ("revoked", 401, "This link does not work"),
        ("expired", 410, "This link has expired"),
        ("draft", 404, "Not found"),
        ("closed", 410, "This study is closed"),
    ],
)
def test_links_that_do_not_work_store_nothing(
    client: FlaskClient, session: Session, change: str, status: int, heading: str
) -> None:
    study = make_study(session, "participant_study.yaml")
    invite = create_invites(session, study, 1, SECRET)[0]
    token = invite_token(invite, SECRET)
    if change == "unknown":
        token = token[::-1]
    elif change == "revoked":
        revoke_invite(session, invite)
    elif change == "expired":
        invite.expires_at = utcnow() - timedelta(minutes=1)
    else:
        study.status = StudyStatus(change)
    session.add_all([study, invite])
    session.commit()
    response = client.get(f"/s/{token}")
    assert response.status_code == status
    assert heading in response.get_data(as_text=True)
    assert rows(session, Participant) == []
    with client.session_transaction() as cookie:
        assert "uxlab_ps" not in cookie


@pytest.mark.reliability
def test_study_closed_midway_shows_closed_and_keeps_partial_data(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    consent(client, study)
    study = one(session, Study)
    study.status = StudyStatus.closed
    session.add(study)
    session.commit()
    page = client.get(f"/take/{study.slug}")
    assert page.status_code == 410
    assert "This study is closed" in page.get_data(as_text=True)
    assert the_participant(session).consented_at is not None


def test_take_without_a_cookie_is_401_and_unknown_study_404(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    assert client.get(f"/take/{study.slug}").status_code == 401
    assert client.get("/take/no-such-study").status_code == 404
    json_reply = client.post("/take/no-such-study/answer", json={})
    assert json_reply.status_code in (400, 404) and json_reply.is_json


# ----------------------------------------------------------------- consent


@pytest.mark.reliability
def test_decline_leaves_only_a_count(client: FlaskClient, session: Session) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    response = client.post(
        f"/take/{study.slug}/consent", data={"step": "consent", "decision": "decline"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/take/{study.slug}/declined"
    assert "Nothing about you has been stored" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert one(session, Study).declined_count == 1
    assert rows(session, Participant) == []
    assert client.get(f"/take/{study.slug}").status_code == 401
    late = client.post(
        f"/take/{study.slug}/answers", data={"step": "q:sus", "sus.q1": "3"}
    )
    assert late.status_code == 401
    assert rows(session, Response) == []


def test_consent_without_a_decision_is_400(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    assert (
        client.post(f"/take/{study.slug}/consent", data={"step": "consent"}).status_code
        == 400
    )
    assert the_participant(session).step == "consent"


@pytest.mark.reliability
def test_answers_and_tasks_before_consent_are_forbidden(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    task_id = the_participant(session).task_order[0]
    html = client.post(
        f"/take/{study.slug}/answers", data={"step": "q:sus", "sus.q1": "3"}
    )
    assert html.status_code == 403
    assert "Please give your consent first" in html.get_data(as_text=True)
    data = {"step": "q:sus", "questionnaire": "sus", "item": "q1", "value": 3}
    json_reply = client.post(f"/take/{study.slug}/answer", json=data)
    assert json_reply.status_code == 403
    assert json_reply.get_json()["error"] == "consent_required"
    start = client.post(
        f"/take/{study.slug}/start", data={"step": "task:0", "task": task_id}
    )
    assert start.status_code == 403
    assert rows(session, Response) == []
    assert rows(session, TaskAttempt) == []


# -------------------------------------------------------------- whole study


@pytest.mark.reliability
def test_whole_study_with_forms_autosave_and_resume(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    assert consent(client, study).headers["Location"] == f"/take/{study.slug}"
    consent(client, study)  # double submit: nothing changes

    task_page = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert 'target="_blank"' in task_page and "Open the shop and find" in task_page
    task_id = int(hidden(task_page, "task"))
    step = hidden(task_page, "step")
    assert step == "task:0"
    start = client.post(
        f"/take/{study.slug}/start", data={"step": step, "task": task_id}
    )
    assert start.status_code == 303
    target = urlsplit(start.headers["Location"])
    assert target.path == "/static/first-click/shop-home.png"
    query = parse_qs(target.query)
    assert query["from"] == ["study"] and len(query["uxlab_attempt"][0]) > 30
    started = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "Open the site again" in started

    done = {
        "step": step,
        "task": task_id,
        "outcome": "done",
        "client_duration_ms": "4321",
    }
    assert client.post(f"/take/{study.slug}/done", data=done).status_code == 303
    assert (
        client.post(f"/take/{study.slug}/done", data=done).status_code == 303
    )  # again

    seq = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "How was that task?" in seq and 'name="seq.q1"' in seq
    assert "Find your cart" in seq
    assert_no_inline_code(seq)
    client.post(f"/take/{study.slug}/answers", data={"step": "seq:0", "seq.q1": "6"})
    again = client.post(
        f"/take/{study.slug}/answers", data={"step": "seq:0", "seq.q1": "1"}
    )
    assert again.status_code == 303  # the step is passed: redirected, not stored

    second = client.get(f"/take/{study.slug}").get_data(as_text=True)
    second_id = int(hidden(second, "task"))
    assert 'target="_blank"' not in second  # no site to open
    client.post(f"/take/{study.slug}/start", data={"step": "task:1", "task": second_id})
    client.post(
        f"/take/{study.slug}/done",
        data={"step": "task:1", "task": second_id, "outcome": "give_up"},
    )
    client.post(f"/take/{study.slug}/answers", data={"step": "seq:1", "seq.q1": "3"})

    sus = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "System Usability Scale" in sus and sus.count('type="radio"') == 50
    for i in range(1, 7):
        reply = client.post(
            f"/take/{study.slug}/answer",
            json={"step": "q:sus", "questionnaire": "sus", "item": f"q{i}", "value": 4},
        )
        assert reply.status_code == 200 and reply.get_json() == {"ok": True}
    reloaded = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert len(re.findall(r'name="sus\.q[1-6]" value="4" checked', reloaded)) == 6
    assert (
        "checked" not in reloaded.split('name="sus.q7"', 1)[1].split("</fieldset>")[0]
    )
    assert the_participant(session).step == "q:sus"

    rest = {f"sus.q{i}": "2" for i in range(7, 11)}
    finish = client.post(f"/take/{study.slug}/answers", data={"step": "q:sus", **rest})
    assert finish.status_code == 303
    client.post(f"/take/{study.slug}/answers", data={"step": "q:sus", **rest})
    thanks = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert (
        "Thank you!" in thanks
        and "<strong>You can close this page now.</strong>" in thanks
    )

    person = the_participant(session)
    assert person.step == "done" and person.progress == 100 and person.finished_at
    attempts = {a.task_id: a for a in rows(session, TaskAttempt)}
    assert attempts[task_id].outcome == Outcome.success
    assert attempts[task_id].client_duration_ms == 4321
    assert attempts[second_id].outcome == Outcome.abandoned
    answers = rows(session, Response)
    keys = Counter((r.questionnaire, r.scope, r.item) for r in answers)
    assert len(answers) == 12 and set(keys.values()) == {1}
    assert {r.value_num for r in answers if r.scope == f"task:{task_id}"} == {6.0}
    late = client.post(
        f"/take/{study.slug}/answer",
        json={"step": "q:sus", "questionnaire": "sus", "item": "q1", "value": 1},
    )
    assert late.status_code == 409 and late.get_json()["error"] == "step_passed"


def test_first_click_over_http(client: FlaskClient, session: Session) -> None:
    study = make_study(session, "participant_first_click.yaml")
    enter(client, session, study)
    consent(client, study)
    card = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "Start: show the picture" in card and "shop-home.png" not in card
    task_id = int(hidden(card, "task"))
    start = client.post(
        f"/take/{study.slug}/start", data={"step": "task:0", "task": task_id}
    )
    assert start.headers["Location"] == f"/take/{study.slug}"
    shown = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "/static/first-click/shop-home.png" in shown and "data-first-click" in shown
    with client.get("/static/first-click/shop-home.png") as image:
        assert image.status_code == 200 and image.mimetype == "image/png"
    bad = client.post(
        f"/take/{study.slug}/click",
        data={"step": "task:0", "task": task_id, "x": "2", "y": "0"},
    )
    assert bad.status_code == 422 and "between 0 and 1" in bad.get_data(as_text=True)
    click = {
        "step": "task:0",
        "task": task_id,
        "x": "0.91",
        "y": "0.05",
        "client_duration_ms": "800",
    }
    assert client.post(f"/take/{study.slug}/click", data=click).status_code == 303
    assert client.post(f"/take/{study.slug}/click", data=click).status_code == 303
    attempt = one(session, TaskAttempt)
    assert attempt.outcome == Outcome.success and attempt.client_duration_ms == 800
    assert len(rows(session, Event)) == 1


# --------------------------------------------------------------- bad input


def at_sus(client: FlaskClient, session: Session) -> Study:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    consent(client, study)
    person = the_participant(session)
    person.step = "q:sus"
    session.add(person)
    session.commit()
    return study


@pytest.mark.reliability
def test_invalid_form_answers_get_422_naming_items_and_valid_ones_are_kept(
    client: FlaskClient, session: Session
) -> None:
    study = at_sus(client, session)
    data = {
        "step": "q:sus",
        "sus.q1": "7",
        "sus.q2": "three",
        "sus.q3": "5",
        "sus.zz": "3",
    }
    response = client.post(f"/take/{study.slug}/answers", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please check your answers" in html
    # In the participant's words, by the numbers the page shows.
    for problem in (
        "Question 1: please choose one of 1 to 5.",
        "Question 2: please choose one of 1 to 5.",
        "An answer did not belong to a question on this page.",
        "Please answer questions 1, 2 and 4 to 10.",
    ):
        assert f"<li>{problem}</li>" in html
    assert 'name="sus.q3" value="5" checked' in html
    assert [(r.item, r.value_num) for r in rows(session, Response)] == [("q3", 5.0)]
    assert the_participant(session).step == "q:sus"


@pytest.mark.parametrize(
    ("value", "needle"),
    [(0, "outside the scale"), (6, "outside the scale"), (2.5, "whole number"),
     ("abc", "not a whole number"), (True, "whole number"), (None, "whole number")],
)  # fmt: skip
@pytest.mark.reliability
def test_invalid_json_answers_get_422(
    client: FlaskClient, session: Session, value: object, needle: str
) -> None:
    study = at_sus(client, session)
    data = {"step": "q:sus", "questionnaire": "sus", "item": "q1", "value": value}
    reply = client.post(f"/take/{study.slug}/answer", json=data)
    assert reply.status_code == 422
    body = reply.get_json()
    assert body["error"] == "invalid_answer" and "sus.q1" in body["message"]
    assert needle in body["message"]
    assert rows(session, Response) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"step": "q:sus"}',
        b'{"questionnaire": "sus", "item": "q1"}',
    ],
)
def test_malformed_json_autosave_is_400(
    client: FlaskClient, session: Session, body: bytes
) -> None:
    study = at_sus(client, session)
    reply = client.post(
        f"/take/{study.slug}/answer", data=body, content_type="application/json"
    )
    assert reply.status_code == 400 and reply.is_json
    assert rows(session, Response) == []


@pytest.mark.reliability
def test_one_megabyte_text_is_refused_and_huge_bodies_are_413(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_first_click.yaml")
    enter(client, session, study)
    consent(client, study)
    person = the_participant(session)
    person.step = "q:feedback"
    session.add(person)
    session.commit()
    megabyte = "x" * (1024 * 1024)
    data = {
        "step": "q:feedback",
        "questionnaire": "feedback",
        "item": "q1",
        "value": megabyte,
    }
    reply = client.post(f"/take/{study.slug}/answer", json=data)
    assert reply.status_code == 422 and "at most 10000" in reply.get_json()["message"]
    form = client.post(
        f"/take/{study.slug}/answers",
        data={"step": "q:feedback", "feedback.q1": megabyte},
    )
    assert form.status_code == 422
    huge = "x" * (3 * 1024 * 1024)
    too_big = client.post(
        f"/take/{study.slug}/answers", data={"step": "q:feedback", "feedback.q1": huge}
    )
    assert too_big.status_code == 413
    too_big_json = client.post(
        f"/take/{study.slug}/answer", json={**data, "value": huge}
    )
    assert too_big_json.status_code == 413 and too_big_json.is_json
    assert rows(session, Response) == []
    hostile = '<script>alert("x")</script>'
    client.post(
        f"/take/{study.slug}/answers",
        data={"step": "q:feedback", "feedback.q1": hostile},
    )
    assert one(session, Response).value_text == hostile


def test_task_ids_from_another_study_and_junk_are_refused(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    other = make_study(session, "participant_first_click.yaml")
    foreign = session.exec(select(Task).where(Task.study_id == other.id)).one()
    enter(client, session, study)
    consent(client, study)
    url = f"/take/{study.slug}"
    assert (
        client.post(
            f"{url}/start", data={"step": "task:0", "task": foreign.id}
        ).status_code
        == 404
    )
    assert (
        client.post(f"{url}/done", data={"step": "task:0", "task": "abc"}).status_code
        == 400
    )
    assert client.post(f"{url}/done", data={"step": "task:0"}).status_code == 400
    # another study's slug with this browser's cookie: no participant there
    assert client.get(f"/take/{other.slug}").status_code == 401
    assert rows(session, TaskAttempt) == []


def test_done_before_start_and_stale_steps_change_nothing(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    consent(client, study)
    task_id = the_participant(session).task_order[0]
    data = {"step": "task:0", "task": task_id, "outcome": "done"}
    assert client.post(f"/take/{study.slug}/done", data=data).status_code == 303
    assert the_participant(session).step == "task:0"
    future = {"step": "task:1", "task": the_participant(session).task_order[1]}
    assert client.post(f"/take/{study.slug}/start", data=future).status_code == 303
    assert rows(session, TaskAttempt) == []


@pytest.mark.reliability
def test_hostile_study_text_is_sanitised_everywhere(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_hostile.yaml")
    enter(client, session, study)
    pages = [client.get(f"/take/{study.slug}").get_data(as_text=True)]
    consent(client, study)
    pages.append(client.get(f"/take/{study.slug}").get_data(as_text=True))
    task_id = the_participant(session).task_order[0]
    client.post(f"/take/{study.slug}/start", data={"step": "task:0", "task": task_id})
    client.post(
        f"/take/{study.slug}/done",
        data={"step": "task:0", "task": task_id, "outcome": "done"},
    )
    pages.append(client.get(f"/take/{study.slug}").get_data(as_text=True))
    client.post(
        f"/take/{study.slug}/answers", data={"step": "q:custom", "custom.a": "3"}
    )
    pages.append(client.get(f"/take/{study.slug}").get_data(as_text=True))
    assert "Thank you!" in pages[-1]
    for html in pages:
        assert "<script>alert" not in html and "<iframe" not in html.lower()
        assert 'href="javascript:' not in html and "<svg" not in html
        assert_no_inline_code(html)
    assert "&lt;script&gt;" in pages[0]  # the title is escaped, not dropped


# --------------------------------------------------------------------- CSRF


@pytest.mark.reliability
def test_forms_and_autosave_need_the_csrf_token(csrf_app: Flask) -> None:
    from uxlab.db import get_engine

    client = csrf_app.test_client()
    with Session(get_engine(csrf_app), expire_on_commit=False) as session:
        study = make_study(session, "participant_study.yaml")
        enter(client, session, study)
        page = client.get(f"/take/{study.slug}").get_data(as_text=True)
        token = hidden(page, "csrf_token")
        assert re.search(rf'<meta name="csrf-token" content="{re.escape(token)}"', page)
        refused = consent(client, study)
        assert refused.status_code == 400
        assert the_participant(session).step == "consent"
        accepted = client.post(
            f"/take/{study.slug}/consent",
            data={"step": "consent", "decision": "agree", "csrf_token": token},
        )
        assert accepted.status_code == 303
        person = the_participant(session)
        person.step = "q:sus"
        session.add(person)
        session.commit()
        data = {"step": "q:sus", "questionnaire": "sus", "item": "q1", "value": 3}
        assert client.post(f"/take/{study.slug}/answer", json=data).status_code == 400
        saved = client.post(
            f"/take/{study.slug}/answer", json=data, headers={"X-CSRFToken": token}
        )
        assert saved.status_code == 200
        assert one(session, Response).value_num == 3.0


def test_optional_questions_say_so(client: FlaskClient, session: Session) -> None:
    from uxlab.accounts import create_researcher
    from uxlab.studies import import_study, parse_study

    text = (
        "title: Survey\nquestionnaires:\n"
        '  - {type: open_text, id: why, text: "Why that score?", required: false}\n'
    )
    owner = create_researcher(session, email="o@example.com", password="long enough pw")
    study = import_study(
        session, parse_study(text), owner=owner, source_text=text, publish=True
    )
    enter(client, session, study)
    page = consent(client, study)
    if page.status_code in (302, 303):
        page = client.get(page.headers["Location"])
    html = page.get_data(as_text=True)
    assert 'Why that score? <span class="optional">(optional)</span>' in html
    assert html.count("(optional)") == 1
