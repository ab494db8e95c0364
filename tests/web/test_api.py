"""The recorder's JSON API through the Flask test client."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.test_recorder import count, event, seed
from uxlab.models import Event, StudyStatus, TaskAttempt

SHOP = "http://shop.example.com"


def post(
    client: FlaskClient,
    token: str,
    body: Any,
    *,
    content_type: str = "text/plain",
    origin: str | None = SHOP,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = dict(headers or {})
    if origin:
        headers["Origin"] = origin
    return client.post(
        f"/api/v1/attempts/{token}/events",
        data=data,
        content_type=content_type,
        headers=headers,
        **kwargs,
    )


def test_beacon_batch_is_acked_with_cors(client: FlaskClient, session: Session) -> None:
    s = seed(session)[0]
    batch = [event(seq=i) for i in range(1, 6)]
    response = post(client, s.tokens["cart"], {"events": batch})
    assert response.status_code == 200, response.json
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response.headers["Vary"]
    body = response.json
    assert sorted(body["acked"]) == sorted(e["id"] for e in batch)
    assert body["rejected"] == [] and body["attempt"]["state"] == "open"
    # The same batch again (a lost response, a beacon racing a retry).
    again = post(client, s.tokens["cart"], batch, content_type="application/json")
    assert sorted(again.json["acked"]) == sorted(e["id"] for e in batch)
    assert again.json["duplicates"] == 5
    assert all(count(session, e["id"]) == 1 for e in batch)


def test_own_origin_is_allowed(client: FlaskClient, session: Session) -> None:
    s = seed(session)[0]
    response = post(client, s.tokens["cart"], [event()], origin="http://localhost")
    assert response.status_code == 200


@pytest.mark.reliability
def test_foreign_origin_is_refused_without_cors(
    client: FlaskClient, session: Session
) -> None:
    s = seed(session)[0]
    e = event()
    response = post(client, s.tokens["cart"], [e], origin="http://evil.example")
    assert response.status_code == 403
    assert response.json["error"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert count(session, e["id"]) == 0
    preflight = client.options(
        f"/api/v1/attempts/{s.tokens['cart']}/events",
        headers={"Origin": "http://evil.example"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    ok = client.options(
        f"/api/v1/attempts/{s.tokens['cart']}/events", headers={"Origin": SHOP}
    )
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == SHOP


def test_mixed_batch_rejects_one_with_reason(
    client: FlaskClient, session: Session
) -> None:
    s = seed(session)[0]
    good = [event(seq=i) for i in range(1, 50)]
    bad = event(seq=50)
    bad["data"] = {"selector": "x" * 10_000}
    response = post(client, s.tokens["cart"], [*good, bad])
    assert response.status_code == 200
    assert len(response.json["acked"]) == 49
    [rejected] = response.json["rejected"]
    assert rejected["id"] == bad["id"] and rejected["reason"] == "too_large"
    assert rejected["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b'{"events": {}}', "application/json", 400, "invalid_batch"),
        (b'"just a string"', "text/plain", 400, "invalid_batch"),
        (b"[" + b"{}," * 600 + b"{}]", "text/plain", 413, "too_many_events"),
        (
            b"events=1",
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (b"[]", "multipart/form-data; boundary=x", 415, "unsupported_media_type"),
    ],
)
@pytest.mark.reliability
def test_bad_bodies(
    client: FlaskClient,
    session: Session,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    s = seed(session)[0]
    response = post(client, s.tokens["cart"], body, content_type=content_type)
    assert response.status_code == status
    assert response.json["error"] == code and response.json["message"]
    assert session.exec(select(func.count()).select_from(Event)).one() == 0


@pytest.mark.reliability
def test_gzip_body_is_refused(client: FlaskClient, session: Session) -> None:
    s = seed(session)[0]
    response = post(
        client, s.tokens["cart"], b"\x1f\x8b", headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 415


@pytest.mark.reliability
def test_oversized_body_is_413_before_reading(app: Any, session: Session) -> None:
    s = seed(session)[0]

    class Exploding:
        """A body that fails the test if anything reads it."""

        def read(self, *_args: Any) -> bytes:
            raise AssertionError("the body was read")

        readline = read

    environ = EnvironBuilder(
        path=f"/api/v1/attempts/{s.tokens['cart']}/events",
        method="POST",
        content_type="text/plain",
    ).get_environ()
    environ["wsgi.input"] = Exploding()
    environ["CONTENT_LENGTH"] = str(600 * 1024)
    body, status, _headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413")
    assert json.loads(b"".join(body))["error"] == "payload_too_large"


@pytest.mark.reliability
def test_chunked_oversized_body_is_413(app: Any, session: Session) -> None:
    s = seed(session)[0]
    big = json.dumps([event(seq=i) for i in range(1, 400)] * 4).encode()
    assert len(big) > 256 * 1024
    environ = EnvironBuilder(
        path=f"/api/v1/attempts/{s.tokens['cart']}/events",
        method="POST",
        content_type="text/plain",
    ).get_environ()
    # A body without a length: the server must stop reading at the limit.
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = io.BytesIO(big)
    environ["wsgi.input_terminated"] = True
    body, status, _headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413")
    assert session.exec(select(func.count()).select_from(Event)).one() == 0


@pytest.mark.reliability
def test_bad_token_is_401(client: FlaskClient, session: Session) -> None:
    seed(session)
    response = post(client, "nope", [event()])
    assert response.status_code == 401
    assert response.json == {
        "error": "bad_token",
        "message": "This recording link is not valid.",
    }
    assert client.get("/api/v1/attempts/nope").status_code == 401


@pytest.mark.reliability
def test_closed_study_is_410(client: FlaskClient, session: Session) -> None:
    s = seed(session)[0]
    s.study.status = StudyStatus.closed
    session.add(s.study)
    session.commit()
    response = post(client, s.tokens["cart"], [event()])
    assert response.status_code == 410
    assert response.json["error"] == "study_closed"


def test_spoofed_ids_are_rejected_per_event(
    client: FlaskClient, session: Session
) -> None:
    a, b = seed(session, participants=2)
    spoof = event(participant_id=b.participant.id)
    mine = event(seq=2, attempt_id=a.attempts["cart"].id)
    response = post(client, a.tokens["cart"], [spoof, mine])
    assert response.json["acked"] == [mine["id"]]
    assert response.json["rejected"][0]["reason"] == "foreign_id"
    assert (
        session.exec(
            select(func.count())
            .select_from(Event)
            .where(Event.participant_id == b.participant.id)
        ).one()
        == 0
    )


def test_attempt_state_and_auto_success(client: FlaskClient, session: Session) -> None:
    s = seed(session)[0]
    token = s.tokens["cart"]
    state = client.get(f"/api/v1/attempts/{token}", headers={"Origin": SHOP})
    assert state.status_code == 200
    body: Any = state.json
    assert body["state"] == "open"
    assert body["criterion"]["kind"] == "url_matches"
    assert state.headers["Access-Control-Allow-Origin"] == SHOP
    success = event("task_success", url=f"{SHOP}/static/demo-shop/cart.html?ref=nav")
    done = post(client, token, [success])
    assert done.json["attempt"]["state"] == "ended"
    assert done.json["attempt"]["outcome"] == "success"
    after: Any = client.get(f"/api/v1/attempts/{token}").json
    assert after["state"] == "ended" and after["judged_by"] == "auto"
    attempt = session.get(TaskAttempt, s.attempts["cart"].id)
    session.refresh(attempt)
    assert attempt is not None and attempt.outcome == "success"


def test_recorder_is_put_on_hosted_pages(client: FlaskClient) -> None:
    with client.get("/static/demo-shop/index.html") as page:
        html = page.get_data(as_text=True)
    assert html.count('src="/static/recorder.js"') == 1
    assert html.index("recorder.js") < html.index("</head>")
    assert page.headers["Content-Length"] == str(len(page.get_data()))
    with client.get("/static/demo-shop/shop.css") as css:
        assert "recorder.js" not in css.get_data(as_text=True)


def test_csrf_does_not_apply_to_ingest(csrf_app: Any) -> None:
    from uxlab.db import get_engine

    with Session(get_engine(csrf_app), expire_on_commit=False) as session:
        s = seed(session)[0]
    response = post(csrf_app.test_client(), s.tokens["cart"], [event()])
    assert response.status_code == 200


def test_batches_from_many_threads_run_on_the_recorder_lane(
    app: Any, session: Session
) -> None:
    """Batches sent at once are all stored, on the one recorder thread.

    They skip Flask's request hooks; everything else goes through them, on
    the thread that took the request.
    """
    import threading

    from flask import request

    people = seed(session, participants=4)
    ran_on: list[tuple[str, str]] = []

    @app.before_request
    def _note_thread() -> None:
        ran_on.append((request.method, threading.current_thread().name))

    sent: list[str] = []
    statuses: list[int] = []
    lanes_before = set(threading.enumerate())

    def participant(token: str) -> None:
        client = app.test_client()
        for seq in range(1, 6):
            batch = [event(seq=seq * 10 + i) for i in range(4)]
            sent.extend(e["id"] for e in batch)
            statuses.append(post(client, token, batch).status_code)

    threads = [
        threading.Thread(target=participant, args=(p.tokens["cart"],)) for p in people
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = app.test_client().get(f"/api/v1/attempts/{people[0].tokens['cart']}")

    assert statuses == [200] * 20 and state.status_code == 200
    assert all(count(session, i) == 1 for i in sent) and len(sent) == 80
    lanes = {t for t in threading.enumerate() if t.name.startswith("uxlab-rec")}
    assert [t.name for t in lanes - lanes_before] == ["uxlab-recorder_0"]
    assert ran_on == [("GET", threading.current_thread().name)]


def test_batch_answers_carry_the_security_headers(
    client: FlaskClient, session: Session
) -> None:
    s = seed(session)[0]
    stored = post(client, s.tokens["cart"], [event()])
    refused = post(client, "not-a-token", [event()])
    for response in (stored, refused):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    assert refused.status_code == 401 and refused.json["error"] == "bad_token"


def test_a_failing_database_answers_500_as_json(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside testing, an unexpected failure is logged and answered in JSON."""
    from uxlab import create_app
    from uxlab.db import get_engine

    app = create_app({"SECRET_KEY": "test-secret", "DATABASE_URL": database_url})
    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as session:
        token = seed(session)[0].tokens["cart"]
        session.connection().exec_driver_sql("DROP TABLE event")
        session.commit()
    response = post(app.test_client(), token, [event()])
    engine.dispose()

    assert response.status_code == 500
    assert response.json["error"] == "internal_server_error"
    assert "send it again" in response.json["message"]
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Exception storing a recorder batch" in caplog.text
    assert token not in caplog.text


def test_batches_waiting_together_are_written_together(
    app: Any, session: Session
) -> None:
    """Batches that arrive while the lane is busy wait, then go in one write."""
    import threading
    import time

    people = seed(session, participants=4)
    lane = app.wsgi_app
    statuses: list[int] = []
    batches = [[event(seq=i) for i in range(1, 4)] for _ in people]

    def participant(k: int) -> None:
        response = post(app.test_client(), people[k].tokens["cart"], batches[k])
        statuses.append(response.status_code)

    busy = threading.Event()
    lane._lane.submit(busy.wait, 10)  # the lane is writing something else
    senders = [threading.Thread(target=participant, args=(k,)) for k in range(4)]
    for t in senders:
        t.start()
    deadline = time.monotonic() + 10
    while lane._waiting.qsize() < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    busy.set()
    for t in senders:
        t.join()

    assert statuses == [200] * 4
    stamps: dict[int, set[Any]] = {}
    for attempt_id, at in session.exec(select(Event.attempt_id, Event.received_at)):
        stamps.setdefault(attempt_id, set()).add(at)
    # Every row of one write is stamped with the same time.
    assert len(stamps) == 4 and len(set().union(*stamps.values())) == 1
