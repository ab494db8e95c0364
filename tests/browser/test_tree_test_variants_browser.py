"""A tree test of two trees in headless Chromium at 375 px: two participants,
one on each variant, each sees and answers in their own tree."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from tests.browser.test_participant_flow import tab_to, watch
from tests.kinds.test_tree_test_variants import STUDY
from tests.test_participation import open_token
from uxlab.accounts import create_researcher
from uxlab.models import Participant, Study, StudyStatus, TreeAnswer
from uxlab.studies import import_study, parse_study

pytestmark = pytest.mark.browser

#: What each variant's participant opens and chooses for the first task.
ROUTE = {
    "a": (["Home", "Help", "Returns"], "Support"),
    "b": (["Support", "Returns policy"], "Home"),
}


def _study(session: Session) -> Study:
    owner = create_researcher(session, email="o@example.org", password="long-enough")
    study = import_study(session, parse_study(STUDY), owner=owner, source_text=STUDY)
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


def _newest(session: Session) -> Participant:
    session.commit()
    session.expire_all()
    return session.exec(select(Participant).order_by(Participant.id.desc())).first()  # type: ignore[union-attr]


def test_each_variant_sees_its_own_tree_at_phone_width(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    link = f"{live_server.url}/s/{open_token(session, study)}"
    browser = page.context.browser
    assert browser is not None
    problems: list[str] = []
    seen = []
    for _ in range(2):  # balanced: the second participant gets the other tree
        # Two people, two browsers: nothing of the first one's visit (a
        # cookie its last request may still set) reaches the second.
        context = browser.new_context(viewport={"width": 375, "height": 740})
        person = context.new_page()
        problems += watch(person)
        person.goto(link)
        person.get_by_role("button", name="I agree, start the study").click()
        expect(person.get_by_role("heading", name="Task 1 of 2")).to_be_visible()
        variant = str(_newest(session).variant)
        seen.append(variant)
        opens, absent = ROUTE[variant]
        expect(person.get_by_role("button", name=absent, exact=True)).to_have_count(0)
        for label in opens:  # with the keyboard alone
            node = person.get_by_role("button", name=label, exact=True)
            tab_to(person, node)
            person.keyboard.press("Enter")
        choose = person.get_by_role("button", name="I'd find it here")
        box = choose.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375
        person.keyboard.press("Tab")
        expect(choose).to_be_focused()
        person.keyboard.press("Enter")
        expect(person.get_by_role("heading", name="Task 2 of 2")).to_be_visible()
        assert person.evaluate("document.documentElement.scrollWidth") <= 375
        context.close()
    assert sorted(seen) == ["a", "b"]
    assert problems == []
    session.commit()
    session.expire_all()
    answers = {
        (a.chosen, tuple(c[0] for c in a.path))
        for a in session.exec(select(TreeAnswer)).all()
    }
    assert answers == {
        ("a-n3", ("a-n1", "a-n2", "a-n3")),
        ("b-n3", ("b-n1", "b-n3")),
    }
