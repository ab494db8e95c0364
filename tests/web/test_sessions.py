"""Researcher sessions end when they should, and cookies are sent safely."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.test_participation import make_study, open_token
from uxlab import create_app
from uxlab.accounts import create_researcher, set_password
from uxlab.db import get_engine
from uxlab.models import Researcher

EMAIL = "r@example.org"
PASSWORD = "long-enough"


def _login(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_cookie_replayed_after_logout_is_refused(
    client: FlaskClient, session: Session
) -> None:
    create_researcher(session, email=EMAIL, password=PASSWORD)
    _login(client)
    stolen = _session_cookie(client)
    client.post("/logout")
    client.set_cookie("session", stolen)
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_logging_out_ends_the_researchers_other_sessions(
    app: Flask, session: Session
) -> None:
    create_researcher(session, email=EMAIL, password=PASSWORD)
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop)
    _login(phone)
    laptop.post("/logout")
    assert phone.get("/").status_code == 302


def test_a_new_password_ends_every_session(
    client: FlaskClient, session: Session
) -> None:
    researcher = create_researcher(session, email=EMAIL, password=PASSWORD)
    _login(client)
    set_password(session, researcher, "another-long-one")
    assert client.get("/").status_code == 302
    assert (
        client.post(
            "/login", data={"email": EMAIL, "password": "another-long-one"}
        ).status_code
        == 302
    )
    assert client.get("/").status_code == 200


def test_a_removed_researcher_is_logged_out(
    client: FlaskClient, session: Session
) -> None:
    create_researcher(session, email=EMAIL, password=PASSWORD)
    _login(client)
    researcher = session.exec(select(Researcher)).one()
    researcher.email = "gone@example.org"
    session.delete(researcher)
    session.commit()
    assert client.get("/").status_code == 302


def test_the_cli_sets_a_password(app: Flask, session: Session) -> None:
    create_researcher(session, email=EMAIL, password=PASSWORD)
    client = app.test_client()
    _login(client)
    result = app.test_cli_runner().invoke(
        args=["researcher", "set-password", EMAIL],
        input="another-long-one\nanother-long-one\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password changed for r@example.org; its sessions ended." in result.output
    assert client.get("/").status_code == 302


def test_a_participant_link_never_makes_the_login_cookie_last(
    client: FlaskClient, session: Session
) -> None:
    create_researcher(session, email=EMAIL, password=PASSWORD)
    _login(client)
    study = make_study(session, "participant_study.yaml")
    response = client.get(f"/s/{open_token(session, study)}")
    assert response.status_code in (302, 303)
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            assert "Expires=" not in header, header
    assert client.get("/").status_code == 200


@pytest.fixture(name="https_app")
def https_app_fixture(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "PUBLIC_URL": "https://uxlab.example.org",
        }
    )
    yield app
    get_engine(app).dispose()


def test_https_public_url_makes_cookies_secure_and_sends_hsts(
    https_app: Flask,
) -> None:
    with Session(get_engine(https_app)) as db:
        create_researcher(db, email=EMAIL, password=PASSWORD)
    client = https_app.test_client()
    response = client.post(
        "/login",
        data={"email": EMAIL, "password": PASSWORD},
        base_url="https://uxlab.example.org",
    )
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie, cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_http_keeps_cookies_plain_and_sends_no_hsts(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "Strict-Transport-Security" not in response.headers
