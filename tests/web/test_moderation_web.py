"""Moderated sessions over HTTP: pages, JSON controls and notes, observers, streams."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.test_moderation import SECRET, join, moderated_study
from uxlab import moderation as m
from uxlab.invites import create_invites, invite_token, open_invite
from uxlab.models import (
    ModeratedSession,
    Participant,
    SessionNote,
    SessionObserver,
    Study,
    TaskAttempt,
)
from uxlab.web import moderation as web

PASSWORD = "long enough pw"


def login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


@pytest.fixture(name="study")
def study_fixture(session: Session) -> Study:
    return moderated_study(session)


@pytest.fixture(name="mod")
def mod_fixture(app: Flask, study: Study) -> FlaskClient:
    return login(app, "mod@example.com")


def schedule(client: FlaskClient, study: Study, label: str = "P1") -> int:
    response = client.post(
        f"/studies/{study.slug}/sessions",
        data={"label": label, "scheduled_at": "2026-12-01T10:30"},
    )
    assert response.status_code == 303, response.text
    match = re.search(r"/sessions/(\d+)$", response.headers["Location"])
    assert match
    return int(match.group(1))


def base(study: Study, session_id: int) -> str:
    return f"/studies/{study.slug}/sessions/{session_id}"


def post(client: FlaskClient, url: str, body: dict[str, Any], **kw: Any) -> Any:
    return client.post(url, json=body, **kw)


def first_observer(
    session: Session, session_id: int, secret: str = SECRET
) -> tuple[ModeratedSession, SessionObserver, str]:
    """The moderated session, its first observer link and that link's URL."""
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    link = m.observers(session, ms)[0]
    return ms, link, f"/observe/{m.observer_token(link, secret)}"


def test_schedule_shows_the_links_and_lists_the_session(
    mod: FlaskClient, study: Study, session: Session
) -> None:
    session_id = schedule(mod, study, "P1 <Ana>")
    page = mod.get(base(study, session_id))
    assert page.status_code == 200
    assert "P1 &lt;Ana&gt;" in page.text and "<Ana>" not in page.text
    ms, _, observer_url = first_observer(session, session_id)
    assert ms.scheduled_at is not None
    assert ms.scheduled_at.strftime("%H:%M") == "10:30"
    token = m.participant_link_token(session, ms, SECRET)
    assert f"/s/{token}" in page.text
    assert observer_url in page.text
    listing = mod.get(f"/studies/{study.slug}/sessions")
    assert "P1 &lt;Ana&gt;" in listing.text and "scheduled" in listing.text
    # The study page links to the sessions of a moderated study.
    assert f"/studies/{study.slug}/sessions" in mod.get(f"/studies/{study.slug}").text


def test_schedule_form_errors(mod: FlaskClient, study: Study, session: Session) -> None:
    bad = mod.post(f"/studies/{study.slug}/sessions", data={"label": ""})
    assert bad.status_code == 400
    bad = mod.post(
        f"/studies/{study.slug}/sessions",
        data={"label": "P", "scheduled_at": "tomorrow"},
    )
    assert bad.status_code == 400
    bad = mod.post(
        f"/studies/{study.slug}/sessions",
        data={"label": "P", "scheduled_at": "2026-12-01T10:30", "utc_offset": "5000"},
    )
    assert bad.status_code == 400
    assert session.exec(select(ModeratedSession)).all() == []


@pytest.mark.parametrize(
    ("offset", "utc"),
    [
        ("", "10:30"),  # no browser offset (no scripts): the time is UTC
        ("-60", "09:30"),  # Berlin in winter: UTC+1
        ("300", "15:30"),  # New York in winter: UTC-5
    ],
)
def test_scheduled_time_is_the_researchers_own(
    mod: FlaskClient, study: Study, session: Session, offset: str, utc: str
) -> None:
    response = mod.post(
        f"/studies/{study.slug}/sessions",
        data={"label": "P", "scheduled_at": "2026-12-01T10:30", "utc_offset": offset},
    )
    assert response.status_code == 303
    ms = session.exec(select(ModeratedSession)).one()
    assert ms.scheduled_at is not None and ms.scheduled_at.strftime("%H:%M") == utc
    page = mod.get(response.headers["Location"]).text
    # Without scripts the page says UTC; the browser shows it in local time.
    assert f'datetime="2026-12-01T{utc}:00Z"' in page and f"{utc} UTC" in page


def test_unmoderated_study_has_no_sessions(
    app: Flask, mod: FlaskClient, session: Session
) -> None:
    from uxlab.management import create_study_from_text

    study = create_study_from_text(
        session, "title: Survey\nquestionnaires: [sus]\n", owner_id=1
    )
    assert "unmoderated study" in mod.get(f"/studies/{study.slug}/sessions").text
    response = mod.post(f"/studies/{study.slug}/sessions", data={"label": "P"})
    assert "only moderated studies" in response.text
    assert session.exec(select(ModeratedSession)).all() == []


def test_console_controls_and_notes_over_json(
    mod: FlaskClient, study: Study, session: Session
) -> None:
    session_id = schedule(mod, study)
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    console = mod.get(base(study, session_id) + "/console")
    assert console.status_code == 200
    assert 'id="console-state"' in console.text and "moderator.js" in console.text
    for key in ("s", "1", "2", "3", "0", "n", "/", "x"):
        assert f"<kbd>{key}</kbd>" in console.text
    refused = post(
        mod,
        base(study, session_id) + "/control",
        {"action_id": "action-0001", "action": "next"},
    )
    assert refused.status_code == 409 and refused.get_json()["error"] == "refused"
    participant = join(session, ms)
    task = participant.task_order[0]
    started = post(
        mod,
        base(study, session_id) + "/control",
        {"action_id": "action-0002", "action": "start", "task_id": task},
    )
    assert started.status_code == 200 and started.get_json()["applied"]
    assert started.get_json()["state"]["tasks"][0]["state"] == "running"
    judged = post(
        mod,
        base(study, session_id) + "/control",
        {
            "action_id": "action-0003",
            "action": "outcome",
            "task_id": task,
            "outcome": "failure",
            "reason": "gave up at payment",
        },
    )
    assert judged.get_json()["state"]["tasks"][0]["outcome"] == "failure"
    created = post(
        mod,
        base(study, session_id) + "/notes",
        {"note_id": "note-000001", "tag": "e", "text": "error on pay"},
    )
    assert created.status_code == 201
    assert created.get_json()["note"]["tag_label"] == "error"
    resent = post(
        mod,
        base(study, session_id) + "/notes",
        {"note_id": "note-000001", "tag": "e", "text": "error on pay"},
    )
    assert resent.status_code == 200 and not resent.get_json()["changed"]
    edited = post(
        mod,
        base(study, session_id) + "/notes",
        {
            "op": "edit",
            "note_id": "note-000001",
            "version": 1,
            "tag": "c",
            "text": "confused at pay",
        },
    )
    assert edited.status_code == 201
    stale = post(
        mod,
        base(study, session_id) + "/notes",
        {
            "op": "edit",
            "note_id": "note-000001",
            "version": 1,
            "tag": "e",
            "text": "other tab",
        },
    )
    assert stale.status_code == 409
    assert stale.get_json()["note"]["text"] == "confused at pay"
    state = mod.get(base(study, session_id) + "/state.json")
    assert state.status_code == 200 and state.headers["Cache-Control"] == "no-store"
    # Two moves of the participant (arriving, agreeing), then four of the console.
    assert state.get_json()["version"] == 6 and "server_ms" in state.get_json()
    assert [n["text"] for n in state.get_json()["notes"]] == ["confused at pay"]
    session.rollback()  # see the app's commits
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.judged_by == "moderator"
    summary = mod.get(base(study, session_id))
    assert "gave up at payment" in summary.text and "confused at pay" in summary.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ([1, 2], 400),
        ({"action_id": "action-0001", "action": "fly"}, 400),
        ({"action_id": "bad id!", "action": "next"}, 400),
        ({"action_id": "action-0001", "action": "start", "task_id": "x"}, 400),
    ],
)
def test_bad_control_requests(
    mod: FlaskClient, study: Study, body: Any, status: int
) -> None:
    session_id = schedule(mod, study)
    url = base(study, session_id) + "/control"
    if isinstance(body, str):
        response = mod.post(url, data=body, content_type="application/json")
    else:
        response = mod.post(url, json=body)
    assert response.status_code == status
    assert response.get_json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"note_id": "note-000001", "tag": "zz", "text": "x"},
        {"note_id": "note-000001", "tag": "q", "text": ""},
        {"note_id": "note-000001", "tag": "q", "text": "x" * 6000},
        {"note_id": "n", "tag": "q", "text": "x"},
        {"op": "edit", "note_id": "note-000009", "version": 1, "tag": "q", "text": "x"},
    ],
)
def test_bad_notes_store_nothing(
    mod: FlaskClient, study: Study, session: Session, body: dict[str, Any]
) -> None:
    session_id = schedule(mod, study)
    response = post(mod, base(study, session_id) + "/notes", body)
    assert response.status_code in (400, 404)
    assert response.get_json()["error"]
    assert session.exec(select(SessionNote)).all() == []


def test_observer_reads_and_notes_but_cannot_control(
    app: Flask, mod: FlaskClient, study: Study, session: Session
) -> None:
    session_id = schedule(mod, study)
    ms, _, observer_url = first_observer(session, session_id)
    anyone = app.test_client()
    page = anyone.get(observer_url)
    assert page.status_code == 200 and "Observing" in page.text
    # The participant's link is not on the observer's page.
    assert m.participant_link_token(session, ms, SECRET) not in page.text
    assert 'data-action="start"' not in page.text
    control = anyone.post(f"{observer_url}/control", json={"action": "next"})
    assert control.status_code == 403 and control.get_json()["error"] == "read_only"
    # The moderator's own control route is not an observer's either.
    response = anyone.post(
        base(study, session_id) + "/control",
        json={"action_id": "action-0001", "action": "end"},
    )
    assert response.status_code == 401
    created = anyone.post(
        f"{observer_url}/notes",
        json={"note_id": "obs-note-1", "tag": "i", "text": "idea"},
    )
    assert created.status_code == 201
    assert created.get_json()["note"]["author"] == "Observers"
    mod_note = post(
        mod,
        base(study, session_id) + "/notes",
        {"note_id": "mod-note-1", "tag": "q", "text": "quote"},
    )
    assert mod_note.status_code == 201
    taken = anyone.post(
        f"{observer_url}/notes",
        json={"op": "delete", "note_id": "mod-note-1", "version": 1},
    )
    assert taken.status_code == 403
    state = anyone.get(f"{observer_url}/state.json").get_json()
    assert {n["note_id"]: n["mine"] for n in state["notes"]} == {
        "obs-note-1": True,
        "mod-note-1": False,
    }
    session.refresh(ms)
    assert ms.ended_at is None
    assert anyone.get("/observe/not-a-token").status_code == 404
    assert anyone.post("/observe/not-a-token/notes", json={}).status_code == 404


def test_observer_posts_need_no_csrf_token_but_the_console_does(
    csrf_app: Flask, session: Session
) -> None:
    study = moderated_study(session)
    ms = m.schedule_session(
        session,
        study,
        label="P",
        scheduled_at=None,
        secret=csrf_app.config["SECRET_KEY"],
    )
    client = csrf_app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token
    client.post(
        "/login",
        data={
            "email": "mod@example.com",
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    url = base(study, ms.id or 0) + "/notes"
    body = {"note_id": "note-000001", "tag": "q", "text": "x"}
    assert client.post(url, json=body).status_code == 400  # no X-CSRFToken
    console = client.get(base(study, ms.id or 0) + "/console").text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', console)
    assert csrf
    ok = client.post(url, json=body, headers={"X-CSRFToken": csrf.group(1)})
    assert ok.status_code == 201
    secret = csrf_app.config["SECRET_KEY"]
    _, _, observer_url = first_observer(session, ms.id or 0, secret)
    body = {"note_id": "note-000002", "tag": "q", "text": "y"}
    assert (
        csrf_app.test_client().post(observer_url + "/notes", json=body).status_code
        == 201
    )


def test_other_researcher_gets_404_for_a_real_session(
    app: Flask, mod: FlaskClient, study: Study, session: Session
) -> None:
    session_id = schedule(mod, study)
    other_study = moderated_study(session, "b@example.com")
    b = login(app, "b@example.com")
    scheduled = session.get(ModeratedSession, session_id)
    assert scheduled is not None
    observer_id = m.observers(session, scheduled)[0].id
    routes = ["", "/console", "/state.json", "/stream"]
    for ref in (study.slug, str(study.id), other_study.slug):
        for route in routes:
            assert (
                b.get(f"/studies/{ref}/sessions/{session_id}{route}").status_code == 404
            )
        for route, body in (
            ("/control", {"action_id": "action-0001", "action": "end"}),
            ("/notes", {"note_id": "note-000001", "tag": "q", "text": "x"}),
            ("/observers", None),
            (f"/observers/{observer_id}/revoke", None),
        ):
            url = f"/studies/{ref}/sessions/{session_id}{route}"
            response = (
                b.post(url, json=body) if body else b.post(url, data={"name": "B"})
            )
            assert response.status_code == 404, url
    for route in ("/sessions", "/notes", "/notes.csv"):
        assert b.get(f"/studies/{study.slug}{route}").status_code == 404
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    session.refresh(ms)
    assert ms.version == 0 and ms.ended_at is None
    assert session.exec(select(SessionNote)).all() == []
    assert len(m.observers(session, ms)) == 1


def test_console_needs_login(app: Flask, mod: FlaskClient, study: Study) -> None:
    session_id = schedule(mod, study)
    anonymous = app.test_client()
    page = anonymous.get(base(study, session_id) + "/console")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    for route in ("/state.json", "/stream"):
        response = anonymous.get(base(study, session_id) + route)
        assert response.status_code == 401
        assert response.get_json()["error"] == "login_required"


def test_add_observer_link(mod: FlaskClient, study: Study, session: Session) -> None:
    session_id = schedule(mod, study)
    response = mod.post(base(study, session_id) + "/observers", data={"name": "Priya"})
    assert response.status_code == 303
    assert "Priya" in mod.get(base(study, session_id)).text
    mod.post(base(study, session_id) + "/observers", data={"name": ""})
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    assert [o.name for o in m.observers(session, ms)] == ["Observers", "Priya"]


def test_participant_page_follows_the_moderator(
    app: Flask, mod: FlaskClient, study: Study, session: Session
) -> None:
    session_id = schedule(mod, study)
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    participant_client = app.test_client()
    link = m.participant_link_token(session, ms, SECRET)
    assert participant_client.get(f"/s/{link}").status_code == 303
    take = f"/take/{study.slug}"
    consent = participant_client.get(take).text
    assert 'name="uxlab-follow"' in consent
    participant_client.post(
        take + "/consent", data={"step": "consent", "decision": "agree"}
    )
    task_page = participant_client.get(take).text
    assert "Your moderator will start this task" in task_page
    # Only the moderator starts the task; then the participant opens the site.
    assert "I'm done" not in task_page and "Open the site" not in task_page
    live = participant_client.get(take + "/live.json").get_json()
    assert live["step"] == "task:0" and live["phase"] == "waiting"
    session.rollback()  # see the app's commits
    participant = m.session_participant(session, ms)
    assert participant is not None
    task = participant.task_order[0]
    shown = {"started": "has started this task", "judged": "That is this task done"}
    for body, phase in (
        ({"action_id": "action-0001", "action": "start", "task_id": task}, "started"),
        (
            {
                "action_id": "action-0002",
                "action": "outcome",
                "task_id": task,
                "outcome": "success",
            },
            "judged",
        ),
        ({"action_id": "action-0003", "action": "next", "from_step": "task:0"}, None),
    ):
        assert post(mod, base(study, session_id) + "/control", body).status_code == 200
        assert participant_client.get(take + "/live.json").get_json()["phase"] == phase
        if phase == "started":
            assert "Open the site" in participant_client.get(take).text
        if phase:
            assert shown[phase] in participant_client.get(take).text
    live = participant_client.get(take + "/live.json").get_json()
    assert live["step"] == "seq:0" and live["version"] == 2 + 3
    assert live["ended"] is False
    # A reload lands on the step the moderator set; the participant answers it.
    assert "How was that task?" in participant_client.get(take).text
    # The moderator ends the session early: the participant's page says so,
    # and keeps saying so after a reload.
    end = {"action_id": "action-0004", "action": "end"}
    assert post(mod, base(study, session_id) + "/control", end).status_code == 200
    assert participant_client.get(take + "/live.json").get_json()["ended"] is True
    ended = participant_client.get(take).text
    assert "This session has ended" in ended and "How was that task?" not in ended
    assert 'name="uxlab-follow"' not in ended
    # Someone else's browser has no place in this study.
    assert app.test_client().get(take + "/live.json").status_code == 401


def test_streams_send_the_state_then_end(
    app: Flask,
    mod: FlaskClient,
    study: Study,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(web, "STREAM_SECONDS", 0.2)
    monkeypatch.setattr(web, "STREAM_TICK", 0.05)
    session_id = schedule(mod, study)
    response = mod.get(base(study, session_id) + "/stream")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    text = response.get_data(as_text=True)
    assert text.startswith("retry: 1000\n\n")
    events = [block for block in text.split("\n\n") if block.startswith("id:")]
    assert len(events) == 1  # nothing changed, so the state is sent once
    lines = dict(line.split(": ", 1) for line in events[0].splitlines())
    assert lines["id"].split(".")[0] == "0" and lines["event"] == "state"
    assert json.loads(lines["data"])["session"]["id"] == session_id
    assert text.endswith("event: bye\ndata: {}\n\n")
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    join(session, ms)
    participant_client = app.test_client()
    participant_client.get(f"/s/{m.participant_link_token(session, ms, SECRET)}")
    stream = participant_client.get(f"/take/{study.slug}/live").get_data(as_text=True)
    assert '"step":"task:0"' in stream and "event: bye" in stream


def test_notes_board_and_csv(mod: FlaskClient, study: Study, session: Session) -> None:
    session_id = schedule(mod, study, "P1")
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    join(session, ms)
    for i, (tag, text) in enumerate([("q", "=SUM(A1)"), ("c", "lost"), ("q", "nice")]):
        post(
            mod,
            base(study, session_id) + "/notes",
            {"note_id": f"note-00000{i}", "tag": tag, "text": text},
        )
    board = mod.get(f"/studies/{study.slug}/notes")
    assert board.status_code == 200
    assert board.text.index("Quote") < board.text.index("Confusion")
    download = mod.get(f"/studies/{study.slug}/notes.csv")
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [r["text"] for r in rows] == ["'=SUM(A1)", "lost", "nice"]
    assert {r["task_title"] for r in rows} == {"Browse the jackets"}


def test_the_study_report_carries_the_notes(
    mod: FlaskClient, study: Study, session: Session
) -> None:
    session_id = schedule(mod, study, "P1")
    post(
        mod,
        base(study, session_id) + "/notes",
        {"note_id": "note-000001", "tag": "c", "text": "Lost in <menus>"},
    )
    report = mod.get(f"/studies/{study.slug}/report.html")
    assert report.status_code == 200
    assert 'id="session-notes"' in report.text
    assert "Lost in &lt;menus&gt;" in report.text
    assert "<menus>" not in report.text


def test_moderated_study_admits_only_session_links(
    app: Flask, mod: FlaskClient, study: Study, session: Session
) -> None:
    # The study page offers sessions, not an open link or plain invites.
    page = mod.get(f"/studies/{study.slug}").text
    assert "Open link" not in page and "Single-use invite links" not in page
    assert "Participants join only through their session" in page
    assert 'id="tasks-heading"' in page and "Browse the jackets" in page
    # A link that belongs to no session (open or plain invite) is refused
    # before anyone is created, so nobody waits for a moderator who never comes.
    open_link = invite_token(open_invite(session, study, SECRET), SECRET)
    plain = create_invites(session, study, 1, SECRET)[0]
    for token in (open_link, invite_token(plain, SECRET)):
        refused = app.test_client().get(f"/s/{token}")
        assert refused.status_code == 403
        assert "Please use your session link" in refused.text
    session.rollback()
    assert session.exec(select(Participant)).all() == []
    # The session's own link works.
    session_id = schedule(mod, study)
    session.rollback()  # see the app's commits
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    link = m.participant_link_token(session, ms, SECRET)
    assert app.test_client().get(f"/s/{link}").status_code == 303


def test_revoke_an_observer_link(
    app: Flask, mod: FlaskClient, study: Study, session: Session
) -> None:
    session_id = schedule(mod, study)
    _, link, url = first_observer(session, session_id)
    watcher = app.test_client()
    assert watcher.get(url).status_code == 200
    page = mod.get(base(study, session_id)).text
    revoke = f"{base(study, session_id)}/observers/{link.id}/revoke"
    assert f'action="{revoke}"' in page
    response = mod.post(revoke)
    assert response.status_code == 303
    for route in ("", "/state.json", "/stream"):
        assert watcher.get(url + route).status_code == 404, route
    assert f'action="{revoke}"' not in mod.get(base(study, session_id)).text
    assert (
        mod.post(f"{base(study, session_id)}/observers/99999/revoke").status_code == 404
    )
