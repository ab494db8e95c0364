from __future__ import annotations

import re

import pytest

from uxlab.accounts import create_researcher


def _login(client, email="r@example.org", password="long-enough"):
    return client.post("/login", data={"email": email, "password": password})


def test_login_and_logout(client, session) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    response = _login(client, email="R@Example.org")
    assert response.status_code == 302
    assert response.location == "/"
    assert b"Studies in " in client.get("/").data
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, session) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    wrong = _login(client, password="wrong-password")
    unknown = _login(client, email="nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    message = b"That email and password do not match an account."
    assert message in wrong.data and message in unknown.data


def test_password_is_stored_hashed(session) -> None:
    researcher = create_researcher(
        session, email="r@example.org", password="long-enough"
    )
    assert "long-enough" not in researcher.password_hash
    assert researcher.password_hash.startswith("scrypt:")


def test_next_only_goes_to_local_pages(client, session) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    response = client.post(
        "/login?next=//evil.example/steal",
        data={"email": "r@example.org", "password": "long-enough"},
    )
    assert response.location == "/"


@pytest.mark.reliability
def test_login_is_rate_limited(client, session) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    statuses = [_login(client, password=f"guess-{i}").status_code for i in range(10)]
    assert statuses == [401] * 10
    blocked = _login(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data


def test_login_form_needs_its_csrf_token(csrf_app) -> None:
    from sqlmodel import Session

    from uxlab.db import get_engine

    with Session(get_engine(csrf_app)) as session:
        create_researcher(session, email="r@example.org", password="long-enough")
    client = csrf_app.test_client()
    forged = client.post(
        "/login", data={"email": "r@example.org", "password": "long-enough"}
    )
    assert forged.status_code == 400
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    ok = client.post(
        "/login",
        data={
            "email": "r@example.org",
            "password": "long-enough",
            "csrf_token": token[1],
        },
    )
    assert ok.status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "/\\evil.example",
        "%5C%5Cevil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "https:evil.example",
        "//evil.example",
        "/%2F/evil.example",
        "///evil.example",
        " //evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_refuses_tricks_that_leave_the_site(client, session, target) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    response = client.post(
        f"/login?next={target}",
        data={"email": "r@example.org", "password": "long-enough"},
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_next_keeps_a_local_path_and_its_query(client, session) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    response = client.post(
        "/login?next=/studies/3/results%3Fvariant%3DB",
        data={"email": "r@example.org", "password": "long-enough"},
    )
    assert response.location == "/studies/3/results?variant=B"
