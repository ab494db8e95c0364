"""A preference test in headless Chromium: by keyboard at desktop size, and
stacked options at phone width."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from tests.browser.test_participant_flow import tab_to, watch
from tests.test_participation import open_token
from uxlab.accounts import create_researcher
from uxlab.models import Participant, Response, Study, StudyStatus
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import import_study, load_study_file

pytestmark = pytest.mark.browser

TEMPLATE = STUDY_TEMPLATES_DIR / "preference-checkout.yaml"


def _study(session: Session) -> Study:
    owner = create_researcher(session, email="o@example.org", password="long-enough")
    study = import_study(
        session, load_study_file(TEMPLATE), owner=owner, source_text=""
    )
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


def _boxes(page: Page) -> list[dict[str, float]]:
    return page.locator(".pref-option").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, right: r.right}; })"
    )


def test_keyboard_only_choice_at_desktop_size(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    tab_to(page, page.get_by_role("button", name="I agree, start the study"))
    page.keyboard.press("Enter")

    group = page.get_by_role("group", name="Which checkout page would you rather use?")
    expect(group).to_be_visible()
    radios = group.get_by_role("radio")
    expect(radios).to_have_count(2)
    # Each radio is named by its label and its image's alt text.
    expect(
        group.get_by_role("radio", name=re.compile(r"Design A .*green \"Pay now\""))
    ).to_be_visible()
    first, second = _boxes(page)
    assert first["y"] == second["y"] and first["right"] <= second["x"]  # side by side

    tab_to(page, radios.first)
    page.keyboard.press("ArrowDown")  # arrows move within the group and choose
    chosen = radios.nth(1)
    expect(chosen).to_be_checked()
    key = chosen.get_attribute("value")
    page.keyboard.press("Tab")
    expect(page.get_by_label("What made you choose it?")).to_be_focused()
    page.keyboard.type("Clearer buttons")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    assert problems == []

    session.commit()
    rows = session.exec(select(Response)).all()
    assert sorted((r.item, r.value_text) for r in rows) == [
        ("choice", key),
        ("why", "Clearer buttons"),
    ]
    assert session.exec(select(Participant)).one().step == "q:sus"


def test_options_stack_at_phone_width_and_nothing_overflows(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 375, "height": 740})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    expect(page.locator(".pref-option")).to_have_count(2)
    order = page.get_by_role("radio").evaluate_all("els => els.map(e => e.value)")
    first, second = _boxes(page)
    assert second["y"] > first["y"] and first["x"] == second["x"]  # stacked
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for box in (first, second):
        assert box["right"] <= 375
    page.reload()  # the same order after a reload
    assert (
        page.get_by_role("radio").evaluate_all("els => els.map(e => e.value)") == order
    )
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert problems == []
