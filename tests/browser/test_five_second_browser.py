"""A five-second test in headless Chromium: the image goes after the display
time, by keyboard at desktop size, at phone width, and without JavaScript;
and an editor codes open answers by keyboard."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from tests.browser.test_participant_flow import tab_to, watch
from tests.results_data import log_in, owner
from tests.test_participation import open_token
from uxlab.accounts import create_researcher
from uxlab.kinds.five_second.demo import simulate_five_second
from uxlab.models import (
    FiveSecondAnswer,
    FiveSecondView,
    Participant,
    Study,
    StudyStatus,
)
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import import_study, load_study_file

pytestmark = pytest.mark.browser

TEMPLATE = STUDY_TEMPLATES_DIR / "five-second-homepage.yaml"


def _study(session: Session) -> Study:
    owner = create_researcher(session, email="o@example.org", password="long-enough")
    study = import_study(
        session, load_study_file(TEMPLATE), owner=owner, source_text=""
    )
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


def _no_overflow(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_keyboard_only_the_image_goes_after_five_seconds(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    tab_to(page, page.get_by_role("button", name="I agree, start the study"))
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name="You will see an image for 5 seconds")
    ).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Show the image"))
    page.keyboard.press("Enter")
    image = page.get_by_role("img", name="Home page")
    expect(image).to_be_visible()
    shown = time.monotonic()
    # The image takes focus, so a screen reader reads its alt text at once.
    expect(image).to_be_focused()
    expect(page.get_by_role("button", name="Continue to the questions")).to_be_hidden()
    page.wait_for_timeout(3500)
    expect(image).to_be_visible()  # still there after 3.5 s
    expect(image).to_have_count(0, timeout=4000)
    hidden = time.monotonic() - shown
    assert 4.0 <= hidden <= 6.5, hidden
    go = page.get_by_role("button", name="Continue to the questions")
    expect(go).to_be_focused()
    expect(
        page.get_by_role("status").filter(has_text="The image is hidden now")
    ).to_have_count(1)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="What do you remember?")).to_be_visible()
    tab_to(page, page.get_by_label("1. What was the page for?"))
    page.keyboard.type("A library")
    page.keyboard.press("Tab")  # into the choice group
    first = page.get_by_role("radio", name="Get a library card")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")  # arrows move within the group and choose
    expect(page.get_by_role("radio", name="Buy books")).to_be_checked()
    page.keyboard.press("Tab")  # into the rating: focus on 1, none chosen yet
    page.keyboard.press("ArrowRight")  # 2
    page.keyboard.press("ArrowRight")  # 3
    expect(page.get_by_role("radio", name="3", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you for taking part")).to_be_visible()
    assert problems == []

    session.commit()
    answers = session.exec(select(FiveSecondAnswer)).all()
    assert sorted((a.question, a.value_text, a.value_num) for a in answers) == [
        ("action", "Buy books", None),
        ("clarity", None, 3.0),
        ("purpose", "A library", None),
    ]
    view = session.exec(select(FiveSecondView)).one()
    assert view.continued_at is not None and view.answered_at is not None
    seen = (view.continued_at - view.shown_at).total_seconds()
    # The server's own record: asked for the image, then went on at once
    # when it was hidden.
    assert 4.5 <= seen <= 8, seen
    assert session.exec(select(Participant)).one().step == "done"


def test_phone_width_fits_and_the_image_scales(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 375, "height": 740})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    _no_overflow(page)
    page.get_by_role("button", name="Show the image").click()
    image = page.get_by_role("img", name="Home page")
    expect(image).to_be_visible()
    box = image.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    _no_overflow(page)
    page.get_by_role("button", name="Continue to the questions").click(timeout=8000)
    expect(page.get_by_role("heading", name="What do you remember?")).to_be_visible()
    _no_overflow(page)
    assert problems == []


def test_without_javascript_the_page_goes_on_by_itself(
    browser: Browser, live_server: Any, session: Session
) -> None:
    study = _study(session)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 375, "height": 740}
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/s/{open_token(session, study)}")
        page.get_by_role("button", name="I agree, start the study").click()
        page.get_by_role("button", name="Show the image").click()
        image = page.get_by_role("img", name="Home page")
        expect(image).to_be_visible()
        # The page reloads itself when the time is over, and the image is gone.
        expect(image).to_have_count(0, timeout=9000)
        page.get_by_role("button", name="Continue to the questions").click()
        expect(
            page.get_by_role("heading", name="What do you remember?")
        ).to_be_visible()
    finally:
        context.close()


def test_an_editor_codes_open_answers_by_keyboard(
    page: Page, live_server: Any, session: Session
) -> None:
    me = owner(session)
    study = import_study(session, load_study_file(TEMPLATE), owner=me, source_text="")
    simulate_five_second(session, study, 6, np.random.default_rng(2))
    page.set_viewport_size({"width": 1280, "height": 900})
    problems = watch(page)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    section = page.locator("#q-purpose")
    expect(section.get_by_text("Only ")).to_be_visible()  # a small sample says so
    tab_to(page, section.get_by_label("New code"), limit=200)
    page.keyboard.type("mentions opening hours")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Code “mentions opening hours” added.")).to_be_visible()
    row = page.locator('#q-purpose tr[data-code="mentions opening hours"]')
    expect(row.locator("td").first).to_have_text("0")
    answer = page.locator("#q-purpose li[data-answer]").first
    box = answer.get_by_role("checkbox", name="mentions opening hours")
    tab_to(page, box, limit=200)
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    tab_to(page, answer.get_by_role("button", name="Save codes"), limit=20)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Codes saved.")).to_be_visible()
    expect(row.locator("td").first).to_have_text("1")
    assert problems == []
