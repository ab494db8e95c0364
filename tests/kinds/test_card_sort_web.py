"""A card sort's participant page over HTTP: saving on every move, resuming,
refusing tampered sorts, finishing."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.kinds.helpers import live_study, start
from tests.web.test_participant import assert_no_inline_code, rows
from uxlab.models import CardSort, Participant, Study

CLOSED = """\
title: Closed sort
kind: card_sort
sort: closed
categories: [Fruit, Dairy]
randomise: false
require_all: true
cards:
  - {id: apple, text: Apple}
  - {id: pear, text: Pear}
  - {id: milk, text: Milk}
questionnaires: [sus]
"""

OPEN = """\
title: Open sort
kind: card_sort
sort: open
cards:
  - {id: apple, text: Apple, description: A crisp fruit}
  - {id: pear, text: Pear}
  - {id: milk, text: Milk}
  - {id: cheese, text: Cheese}
"""


@pytest.fixture
def closed(session: Session) -> Study:
    return live_study(session, CLOSED)


@pytest.fixture
def open_sort(session: Session) -> Study:
    return live_study(session, OPEN)


def _state(page: str) -> dict:
    found = re.search(r'data-state="([^"]*)"', page)
    assert found, "the page carries the saved sort"
    return json.loads(html_lib.unescape(found.group(1)))


def _save(client: FlaskClient, study: Study, sort: object):
    return client.post(
        f"/take/{study.slug}/card-sort", json={"step": "sort", "sort": sort}
    )


def test_the_page_deals_every_card_as_a_button_with_no_inline_code(
    client: FlaskClient, session: Session, open_sort: Study
) -> None:
    page = start(client, session, open_sort)
    assert_no_inline_code(page)
    cards = re.findall(
        r'<button type="button" class="cs-card" data-card="([\w-]+)"', page
    )
    assert sorted(cards) == ["apple", "cheese", "milk", "pear"]
    assert 'aria-describedby="cs-desc-apple"' in page
    assert 'role="status" aria-live="polite"' in page
    assert "card-sort.js" in page
    assert _state(page) == {"groups": [], "unknown": []}


def test_every_move_is_saved_and_a_reload_restores_it_exactly(
    client: FlaskClient, session: Session, open_sort: Study
) -> None:
    start(client, session, open_sort)
    sort = {
        "groups": [
            {"name": "Fruit", "cards": ["pear", "apple"]},
            {"name": "Group 2", "cards": []},
        ],
        "unknown": ["cheese"],
    }
    for _ in range(2):  # a resend stores the same sort once
        response = _save(client, open_sort, sort)
        assert response.status_code == 200, response.get_json()
    (row,) = rows(session, CardSort)
    assert row.saves == 1 and row.submitted_at is None
    page = client.get(f"/take/{open_sort.slug}").get_data(as_text=True)
    assert _state(page) == sort
    assert "Your sort so far is saved." in page


@pytest.mark.parametrize(
    ("sort", "reason"),
    [
        ({"groups": [{"name": "A", "cards": ["banana"]}]}, "not one of this study"),
        (
            {"groups": [{"name": "A", "cards": ["apple"]}], "unknown": ["apple"]},
            "placed twice",
        ),
        (
            {"groups": [{"name": "A", "cards": ["apple", "apple"]}]},
            "placed twice",
        ),
        ({"groups": [{"name": "", "cards": ["apple"]}]}, "needs a name"),
        ({"groups": "apple"}, "must be lists"),
    ],
)
def test_a_tampered_sort_is_refused_with_its_reason_and_nothing_is_stored(
    client: FlaskClient, session: Session, open_sort: Study, sort: dict, reason: str
) -> None:
    start(client, session, open_sort)
    good = {"groups": [{"name": "Fruit", "cards": ["pear"]}], "unknown": []}
    assert _save(client, open_sort, good).status_code == 200
    response = _save(client, open_sort, sort)
    assert response.status_code == 422
    assert reason in response.get_json()["message"]
    # The sort saved before is untouched.
    (row,) = rows(session, CardSort)
    assert row.groups == good["groups"]
    final = client.post(
        f"/take/{open_sort.slug}/step", data={"step": "sort", "sort": json.dumps(sort)}
    )
    assert final.status_code == 422
    assert rows(session, Participant)[0].step == "sort"


def test_a_closed_sort_refuses_a_category_it_does_not_have(
    client: FlaskClient, session: Session, closed: Study
) -> None:
    page = start(client, session, closed)
    # The study's categories are there from the start, empty.
    assert _state(page)["groups"] == [
        {"name": "Fruit", "cards": []},
        {"name": "Dairy", "cards": []},
    ]
    response = _save(
        client, closed, {"groups": [{"name": "Snacks", "cards": ["apple"]}]}
    )
    assert response.status_code == 422
    assert "not one of this closed sort's categories" in response.get_json()["message"]
    assert rows(session, CardSort) == []


def test_finishing_needs_every_card_when_the_study_asks_and_then_moves_on(
    client: FlaskClient, session: Session, closed: Study
) -> None:
    start(client, session, closed)
    part = {"groups": [{"name": "Fruit", "cards": ["apple", "pear"]}], "unknown": []}
    response = client.post(
        f"/take/{closed.slug}/step", data={"step": "sort", "sort": json.dumps(part)}
    )
    assert response.status_code == 422
    assert "1 card is not sorted yet" in response.get_data(as_text=True)
    assert rows(session, CardSort) == []
    whole = {
        "groups": [
            {"name": "fruit", "cards": ["apple", "pear"]},
            {"name": "Dairy", "cards": ["milk"]},
        ],
        "unknown": [],
    }
    response = client.post(
        f"/take/{closed.slug}/step", data={"step": "sort", "sort": json.dumps(whole)}
    )
    assert response.status_code == 303
    (row,) = rows(session, CardSort)
    assert row.submitted_at is not None
    # The category is stored as the study spells it.
    assert row.groups[0]["name"] == "Fruit"
    assert rows(session, Participant)[0].step == "q:sus"
    # The step has passed: a late autosave is refused without changing the sort.
    assert _save(client, closed, part).status_code == 409
    assert rows(session, CardSort)[0].groups == row.groups


def test_the_resume_link_restores_the_sort_on_another_device(
    app, client: FlaskClient, session: Session, open_sort: Study
) -> None:
    page = start(client, session, open_sort)
    link = re.search(r'<code class="link-box"[^>]*>([^<]+)</code>', page)
    assert link, "the sort page shows the resume link"
    sort = {"groups": [{"name": "Dairy", "cards": ["milk", "cheese"]}], "unknown": []}
    assert _save(client, open_sort, sort).status_code == 200
    other = app.test_client()
    path = "/" + link.group(1).split("/", 3)[3]
    assert other.get(path).status_code in (302, 303)
    again = other.get(f"/take/{open_sort.slug}").get_data(as_text=True)
    assert _state(again) == sort
