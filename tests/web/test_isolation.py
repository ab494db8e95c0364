"""A researcher can neither see nor change another researcher's studies.

Every researcher route is found from ``app.url_map``, so a route added later is
checked without editing this file (and one taking an argument this file does not
know fails loudly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.routing import Rule

from uxlab.accounts import create_researcher
from uxlab.management import create_study_from_text, make_invites
from uxlab.models import Invite, Participant, Study, Task

DATA = Path(__file__).parent.parent / "data"
STUDY_YAML = (DATA / "researcher_study.yaml").read_text()
SECRET = "test-secret"
#: Blueprints anyone may reach; every other one serves logged-in researchers.
PUBLIC_BLUEPRINTS = ("participant.", "api.", "auth.")
JSON_ENDPOINTS = ("researcher.progress", "researcher.export_json")


def researcher_rules(app: Flask, *, with_args: bool) -> list[Rule]:
    rules = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("researcher.")
    ]
    return [r for r in rules if bool(r.arguments) == with_args]


def owner_rules(app: Flask) -> list[Rule]:
    """Every non-public route that names an object (researcher.*, analytics.* ...)."""
    return [
        r
        for r in app.url_map.iter_rules()
        if r.arguments
        and r.endpoint != "static"
        and not r.endpoint.startswith(PUBLIC_BLUEPRINTS)
    ]


#: Route arguments that name something inside a study: A's participant (made by
#: the world fixture), a chart and a task of A's study.
INSIDE_STUDY = {
    "code": "P-AAAAAAAA",
    "name": "completion",
    "fmt": "svg",
    "key": "find",
    # Moderated sessions: a session id and an observer link's token (unknown).
    "session_id": 1,
    "observer_id": 1,
    "token": "no-such-observer-link",
}


def build(rule: Rule, values: dict[str, Any]) -> str:
    values = {**INSIDE_STUDY, **values}
    unknown = set(rule.arguments) - set(values)
    if unknown:
        pytest.fail(f"{rule.rule}: teach this test about {sorted(unknown)}")
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<{name}>", str(values[name]))
        url = url.replace(f"<int:{name}>", str(values[name]))
    assert "<" not in url, url
    return url


def login(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    return client


def snapshot(session: Session) -> list[dict[str, Any]]:
    """Every row a researcher route could touch, as plain data."""
    session.rollback()  # see the app's commits
    rows: list[dict[str, Any]] = []
    for model in (Study, Task, Invite, Participant):
        query = select(model).order_by(model.id)  # type: ignore[attr-defined]
        rows.extend(row.model_dump() for row in session.exec(query).all())
    return rows


@pytest.fixture(name="world")
def world_fixture(app: Flask, session: Session) -> dict[str, Any]:
    """Researcher A with a study, invites and a participant; researcher B with a study."""
    a = create_researcher(session, email="a@example.com", password="password-a")
    b = create_researcher(session, email="b@example.com", password="password-b")
    assert a.id is not None and b.id is not None
    study_a = create_study_from_text(session, STUDY_YAML, owner_id=a.id)
    invite_a = make_invites(session, study_a, 2, SECRET)[0]
    session.add(
        Participant(study_id=study_a.id, token_hash="a" * 64, code="P-AAAAAAAA")
    )  # type: ignore[arg-type]
    session.commit()
    study_b = create_study_from_text(
        session, "title: B's study\nquestionnaires: [sus]\n", owner_id=b.id
    )
    return {
        "study_a": study_a,
        "invite_a": invite_a,
        "study_b": study_b,
        "client_b": login(app, "b@example.com", "password-b"),
    }


def test_the_walk_finds_the_routes_it_should(app: Flask) -> None:
    endpoints = {r.endpoint for r in owner_rules(app)}
    assert {
        "researcher.study",
        "researcher.edit",
        "researcher.publish",
        "researcher.close",
        "researcher.reopen",
        "researcher.delete",
        "researcher.create_invite_links",
        "researcher.revoke",
        "researcher.invites_download",
        "researcher.regenerate_open_link",
        "researcher.progress",
        "researcher.export_zip",
        "researcher.export_json",
    } <= endpoints


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_other_researchers_study_is_404_everywhere(
    app: Flask, session: Session, world: dict[str, Any], method: str
) -> None:
    study_a: Study = world["study_a"]
    client_b: FlaskClient = world["client_b"]
    before = snapshot(session)
    # A's study by slug and by its numeric id (a guessed id).
    for ref in (study_a.slug, str(study_a.id)):
        values = {"slug": ref, "invite_id": world["invite_a"].id}
        for rule in owner_rules(app):
            url = build(rule, values)
            data = {"count": "5", "title": "Taken", "consent": "x", "label": "B"}
            response = client_b.open(url, method=method, data=data)
            # A method the route does not take never reaches the view (405).
            expected = 404 if method in (rule.methods or ()) else 405
            assert response.status_code == expected, (method, url)
            assert "Checkout usability" not in response.text, url
            if expected == 404 and rule.endpoint in JSON_ENDPOINTS:
                assert response.json == {
                    "error": "not_found",
                    "message": f"no study {ref!r}",
                }
    assert snapshot(session) == before


def test_other_researchers_invite_is_404_under_own_study(
    app: Flask, session: Session, world: dict[str, Any]
) -> None:
    client_b: FlaskClient = world["client_b"]
    study_b: Study = world["study_b"]
    before = snapshot(session)
    for rule in owner_rules(app):
        if "invite_id" not in rule.arguments:
            continue
        url = build(rule, {"slug": study_b.slug, "invite_id": world["invite_a"].id})
        method = "POST" if "POST" in (rule.methods or ()) else "GET"
        assert client_b.open(url, method=method).status_code == 404, url
    assert snapshot(session) == before


def test_lists_and_forms_do_not_show_other_researchers_studies(
    app: Flask, session: Session, world: dict[str, Any]
) -> None:
    client_b: FlaskClient = world["client_b"]
    for rule in researcher_rules(app, with_args=False):
        if "GET" in (rule.methods or ()):
            page = client_b.get(rule.rule).text
            assert "Checkout usability" not in page, rule.rule
    assert "B&#39;s study" in client_b.get("/").text


def test_every_researcher_route_needs_login(
    app: Flask, session: Session, world: dict[str, Any]
) -> None:
    anonymous = app.test_client()
    before = snapshot(session)
    values = {"slug": world["study_a"].slug, "invite_id": world["invite_a"].id}
    rules = researcher_rules(app, with_args=True) + researcher_rules(
        app, with_args=False
    )
    for rule in rules:
        url = build(rule, values)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = anonymous.open(url, method=method)
            if url.endswith(".json"):
                assert response.status_code == 401, url
            else:
                assert response.status_code == 302, (method, url)
                assert response.headers["Location"].startswith("/login"), url
    assert snapshot(session) == before
