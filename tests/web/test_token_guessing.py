"""Guessing tokens is throttled per address; a lab sharing one address is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.test_participation import make_study, open_token
from uxlab import create_app
from uxlab.db import get_engine

GUESSER = {"REMOTE_ADDR": "203.0.113.7"}
NEIGHBOUR = {"REMOTE_ADDR": "203.0.113.8"}


@pytest.fixture(name="strict_app")
def strict_app_fixture(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "UNKNOWN_TOKEN_RATE_LIMIT": "10 per minute",
            "ENTER_RATE_LIMIT": "5 per minute",
        }
    )
    yield app
    get_engine(app).dispose()


def _guess(client: FlaskClient, kind: str, i: int, env: dict[str, str]) -> int:
    token = f"guess-{i:04d}-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    if kind == "ingest":
        response = client.post(
            f"/api/v1/attempts/{token}/events",
            data=b'{"events": []}',
            content_type="text/plain",
            environ_base=env,
        )
    elif kind == "state":
        response = client.get(f"/api/v1/attempts/{token}", environ_base=env)
    else:
        response = client.get(f"/{kind}/{token}", environ_base=env)
    if response.status_code == 429:
        assert int(response.headers["Retry-After"]) > 0
    return response.status_code


@pytest.mark.parametrize("kind", ["r", "observe", "ingest", "state", "f"])
@pytest.mark.reliability
def test_unknown_tokens_are_throttled_per_address(strict_app: Flask, kind: str) -> None:
    client = strict_app.test_client()
    statuses = [_guess(client, kind, i, GUESSER) for i in range(15)]
    assert 429 not in statuses[:10], statuses
    assert statuses[10:] == [429] * 5, statuses
    # Another address is not held back by the guesser.
    assert _guess(client, kind, 99, NEIGHBOUR) != 429


def test_a_known_link_is_never_counted_as_a_guess(
    strict_app: Flask, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    client = strict_app.test_client()
    entered = client.get(f"/s/{open_token(session, study)}", environ_base=GUESSER)
    assert entered.status_code == 303
    page = client.get(f"/take/{study.slug}", environ_base=GUESSER).text
    import re

    resume = re.search(r"/r/[\w-]+", page)
    assert resume is not None
    statuses = [
        client.get(resume.group(0), environ_base=GUESSER).status_code for _ in range(20)
    ]
    assert 429 not in statuses


LAB_STUDY = """
title: Lab study
lab_mode: true
questionnaires: [sus]
"""


@pytest.mark.reliability
def test_a_lab_behind_one_address_is_not_throttled(
    strict_app: Flask, session: Session
) -> None:
    from tests.test_participation import DATA  # noqa: F401
    from uxlab.accounts import create_researcher
    from uxlab.studies import import_study, parse_study

    owner = create_researcher(session, email="lab@example.org", password="long-enough")
    lab = import_study(
        session,
        parse_study(LAB_STUDY),
        owner=owner,
        source_text=LAB_STUDY,
        publish=True,
    )
    ordinary = make_study(session, "participant_study.yaml")
    lab_link, ordinary_link = open_token(session, lab), open_token(session, ordinary)
    lab_statuses = [
        strict_app.test_client().get(f"/s/{lab_link}", environ_base=GUESSER).status_code
        for _ in range(8)
    ]
    assert lab_statuses == [303] * 8
    ordinary_statuses = [
        strict_app.test_client()
        .get(f"/s/{ordinary_link}", environ_base=NEIGHBOUR)
        .status_code
        for _ in range(8)
    ]
    assert ordinary_statuses[:5] == [303] * 5
    assert 429 in ordinary_statuses[5:]
