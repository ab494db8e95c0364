"""The participant's cookie holds an opaque session id, never their token."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import Session
from werkzeug.test import TestResponse

from tests.test_participation import make_study
from tests.web.test_participant import consent, enter, the_participant
from uxlab.tokens import hash_token


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return serializer  # type: ignore[no-any-return]


def _cookie_value(response: TestResponse, app: Flask) -> str:
    name = app.config["SESSION_COOKIE_NAME"]
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError("no session cookie was set")


def _resume_token(html: str) -> str:
    match = re.search(r"/r/([A-Za-z0-9_-]+)", html)
    assert match, "no resume link on the page"
    return match.group(1)


def test_cookie_holds_no_participant_token(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    response = enter(client, session, study)
    raw = _cookie_value(response, app)
    decoded: Any = _serializer(app).loads(raw)
    page = client.get(f"/take/{study.slug}").get_data(as_text=True)
    token = _resume_token(page)
    assert the_participant(session).token_hash == hash_token(token)
    assert token not in raw and token not in repr(decoded)
    assert hash_token(token) not in repr(decoded)
    # The cookie still lets this browser go on.
    assert consent(client, study).status_code == 303
    assert client.get(f"/take/{study.slug}").status_code == 200


def test_tampered_session_id_gets_nothing(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    response = enter(client, session, study)
    decoded: dict[str, Any] = dict(_serializer(app).loads(_cookie_value(response, app)))
    sid_keys = [k for k, v in decoded.items() if isinstance(v, str) and len(v) >= 32]
    assert sid_keys, decoded
    for key in sid_keys:
        value = decoded[key]
        decoded[key] = ("A" if value[0] != "A" else "B") + value[1:]
    forged = _serializer(app).dumps(decoded)
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], forged)
    page = thief.get(f"/take/{study.slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 401
    assert "could not find your place" in html
    assert "/r/" not in html


def test_cookie_from_before_session_ids_still_resumes(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    token = _resume_token(client.get(f"/take/{study.slug}").get_data(as_text=True))
    earlier = app.test_client()
    with earlier.session_transaction() as cookie:
        cookie["uxlab_p"] = {study.slug: token}
    page = earlier.get(f"/take/{study.slug}")
    assert page.status_code == 200 and f"/r/{token}" in page.get_data(as_text=True)
    with earlier.session_transaction() as cookie:
        assert "uxlab_p" not in cookie
        assert token not in repr(dict(cookie))
    assert earlier.get(f"/take/{study.slug}").status_code == 200


def test_browser_sessions_go_once_their_cookies_have_expired(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    from datetime import timedelta

    from sqlmodel import select

    from uxlab.audits.queue import audit_queue
    from uxlab.models import Participant, ParticipantSession, utcnow
    from uxlab.participant_sessions import prune_expired

    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    consent(client, study)
    token = _resume_token(client.get(f"/take/{study.slug}").get_data(as_text=True))
    lifetime = app.permanent_session_lifetime
    assert lifetime == timedelta(days=90)
    session.commit()
    # Within the cookie's life nothing goes, however old the row.
    row = session.exec(select(ParticipantSession)).one()
    row.created_at = utcnow() - timedelta(days=200)
    session.add(row)
    session.commit()
    assert prune_expired(session, lifetime) == 0
    assert client.get(f"/take/{study.slug}").status_code == 200
    # The participant's last step 91 days ago: no cookie can still hold the id.
    person = session.exec(select(Participant)).one()
    long_ago = utcnow() - timedelta(days=91)
    person.created_at = person.consented_at = long_ago
    if person.started_at is not None:
        person.started_at = long_ago
    session.add(person)
    session.commit()
    assert prune_expired(session, lifetime) == 1
    assert session.exec(select(ParticipantSession)).all() == []
    assert session.exec(select(Participant)).one().consented_at is not None
    # The browser is a stranger now; the personal resume link still works.
    assert client.get(f"/take/{study.slug}").status_code == 401
    assert client.get(f"/r/{token}").status_code in (302, 303)
    assert client.get(f"/take/{study.slug}").status_code == 200
    # The workers run it every hour.
    with app.app_context():
        names = audit_queue(app).huey._registry._registry
        assert any(name.endswith("participant_sessions_prune") for name in names)
