"""A NUL character in a request is refused with a clear error on both databases.

PostgreSQL text cannot hold NUL, so a crafted request with one would otherwise
end in a 500 there (and be stored on SQLite).
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from tests.test_participation import make_study, open_token
from uxlab.models import Researcher, Response


def test_a_nul_in_a_form_is_a_clear_400_and_stores_nothing(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    client.get(f"/s/{open_token(session, study)}")
    client.post(
        f"/take/{study.slug}/consent", data={"step": "consent", "decision": "agree"}
    )
    refused = client.post(
        "/login", data={"email": "owner@example.com\x00", "password": "x" * 10}
    )
    assert refused.status_code == 400
    assert "NUL" in refused.get_data(as_text=True)
    answered = client.post(
        f"/take/{study.slug}/answer",
        json={"step": "q:sus", "name": "sus", "item": "q1", "value": "3\x00"},
    )
    assert answered.status_code == 400
    assert answered.json is not None and answered.json["error"] == "nul_character"
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Response)).one() == 0
    assert len(session.exec(select(Researcher)).all()) == 1


def test_a_nul_in_a_path_or_query_is_a_clear_400(client: FlaskClient) -> None:
    for url in ("/take/a%00b", "/login?next=/%00"):
        page = client.get(url)
        assert page.status_code == 400, url
        assert "NUL" in page.get_data(as_text=True)
