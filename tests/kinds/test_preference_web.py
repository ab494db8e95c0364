"""A preference test's participant page over HTTP."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.kinds.helpers import live_study, start
from tests.kinds.test_preference import STUDY
from tests.test_participation import make_study, open_token
from tests.web.test_participant import consent, rows
from uxlab.kinds.preference import PREFERENCE, PreferenceKind
from uxlab.models import Participant, Response, Study


@pytest.fixture
def preference() -> PreferenceKind:
    return PREFERENCE


@pytest.fixture
def study(session: Session, preference) -> Study:
    return live_study(session, STUDY)


def test_the_options_are_a_labelled_radio_group_with_alt_text(
    client: FlaskClient, session: Session, study: Study
) -> None:
    html = start(client, session, study)
    assert re.search(r"<fieldset[^>]*>\s*<legend><h1>Which checkout page", html)
    radios = re.findall(r'<input type="radio" id="option-(\w)" name="option"', html)
    assert sorted(radios) == ["a", "b"]
    for key in radios:
        assert f'<label class="pref-option" for="option-{key}">' in html
    assert 'alt="Checkout page with one green button"' in html
    assert 'alt="Checkout page with two grey buttons"' in html
    assert '<label for="why">Why that one?' in html
    # A reload shows the same order.
    again = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert re.findall(r'id="option-(\w)"', again) == radios


def test_a_tampered_option_is_refused_with_a_reason_and_nothing_is_stored(
    client: FlaskClient, session: Session, study: Study
) -> None:
    start(client, session, study)
    for data in ({"option": "z"}, {}):
        response = client.post(
            f"/take/{study.slug}/step", data={"step": "choose", **data}
        )
        assert response.status_code == 422
    assert "not one of this study&#39;s options" in client.post(
        f"/take/{study.slug}/step", data={"step": "choose", "option": "z"}
    ).get_data(as_text=True)
    assert rows(session, Response) == []
    assert rows(session, Participant)[0].step == "choose"


def test_a_choice_sent_twice_is_stored_once_and_the_study_goes_on(
    client: FlaskClient, session: Session, study: Study
) -> None:
    start(client, session, study)
    for _ in range(2):
        response = client.post(
            f"/take/{study.slug}/step",
            data={"step": "choose", "option": "a", "why": "Calmer"},
        )
        assert response.status_code == 303
    stored = sorted((r.item, r.value_text) for r in rows(session, Response))
    assert stored == [("choice", "a"), ("why", "Calmer")]
    assert rows(session, Participant)[0].step == "q:sus"
    page = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "System Usability Scale" in page or "sus." in page


def test_a_study_without_such_steps_refuses_the_post(
    client: FlaskClient, session: Session
) -> None:
    usability = make_study(session, "participant_study.yaml")
    client.get(f"/s/{open_token(session, usability)}")
    consent(client, usability)
    step = rows(session, Participant)[0].step
    response = client.post(
        f"/take/{usability.slug}/step", data={"step": step, "option": "a"}
    )
    assert response.status_code == 422


def test_named_designs_without_images_and_no_why_question(
    client: FlaskClient, session: Session
) -> None:
    text = (
        "title: Names\nkind: preference\nconsent: Agree?\n"
        "options:\n  - {key: calm, label: Calm layout}\n"
        "  - {key: bold, label: Bold layout}\n  - {key: dense, label: Dense layout}\n"
    )
    study = live_study(session, text, "n@example.org")
    html = start(client, session, study)
    assert "<img" not in html and "<textarea" not in html
    assert sorted(re.findall(r'id="option-(\w+)"', html)) == ["bold", "calm", "dense"]
    response = client.post(
        f"/take/{study.slug}/step", data={"step": "choose", "option": "dense"}
    )
    assert response.status_code == 303
    assert rows(session, Participant)[0].step == "done"
