"""A tree test in headless Chromium: keyboard alone at desktop size and at
375 px, a reload in the middle of a task, and what is stored."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from tests.browser.test_participant_flow import tab_to, watch
from tests.kinds.test_tree_test import STUDY
from tests.test_participation import open_token
from uxlab.accounts import create_researcher
from uxlab.models import Participant, Study, StudyStatus, TreeAnswer
from uxlab.studies import import_study, parse_study

pytestmark = pytest.mark.browser


def _study(session: Session) -> Study:
    owner = create_researcher(session, email="o@example.org", password="long-enough")
    study = import_study(session, parse_study(STUDY), owner=owner, source_text=STUDY)
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


def _answers(session: Session) -> dict[str, TreeAnswer]:
    session.commit()
    session.expire_all()
    return {a.task_key: a for a in session.exec(select(TreeAnswer)).all()}


def _keyboard_task(page: Page) -> None:
    """Home, Shop (the wrong branch), Shop again to close it, a reload, Help,
    Returns, then "I'd find it here": all with Tab and Enter."""
    tree = page.get_by_role("list").first
    home = page.get_by_role("button", name="Home", exact=True)
    expect(home).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Shop", exact=True)).to_be_hidden()
    tab_to(page, home)
    page.keyboard.press("Enter")
    expect(home).to_have_attribute("aria-expanded", "true")
    shop = page.get_by_role("button", name="Shop", exact=True)
    tab_to(page, shop)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Coats", exact=True)).to_be_visible()
    page.keyboard.press("Enter")  # close Shop again: a backtrack
    expect(shop).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Coats", exact=True)).to_be_hidden()

    page.reload()  # the tree and the path come back as they were
    home = page.get_by_role("button", name="Home", exact=True)
    expect(home).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="Shop", exact=True)).to_have_attribute(
        "aria-expanded", "false"
    )
    expect(tree).to_be_visible()

    help_ = page.get_by_role("button", name="Help", exact=True)
    tab_to(page, help_)
    page.keyboard.press("Enter")
    returns = page.get_by_role("button", name="Returns", exact=True)
    tab_to(page, returns)
    page.keyboard.press("Enter")
    expect(returns).to_have_attribute("aria-current", "true")
    choose = page.get_by_role("button", name="I'd find it here")
    expect(choose).to_have_count(1)  # only beside the node in focus of the answer
    page.keyboard.press("Tab")
    expect(choose).to_be_focused()
    page.keyboard.press("Enter")


def _check_first_answer(session: Session) -> None:
    answer = _answers(session)["returns"]
    assert answer.chosen == "n6"
    # Home, Shop, Shop (closed), Help, Returns: every click, with rising times.
    assert [c[0] for c in answer.path] == ["n1", "n2", "n2", "n5", "n6"]
    times = [c[1] for c in answer.path]
    assert times == sorted(times)
    assert answer.seconds is not None and answer.seconds * 1000 >= times[-1]


@pytest.mark.parametrize("width", [1280, 375])
def test_keyboard_only_with_a_reload_mid_task(
    page: Page, live_server: Any, session: Session, width: int
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": width, "height": 800})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    tab_to(page, page.get_by_role("button", name="I agree, start the study"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Task 1 of 2")).to_be_visible()
    _keyboard_task(page)

    expect(page.get_by_role("heading", name="Task 2 of 2")).to_be_visible()
    expect(page.get_by_text("Where would you buy a coat?")).to_be_visible()
    # A new task starts collapsed, with a path of its own.
    expect(page.get_by_role("button", name="Home", exact=True)).to_have_attribute(
        "aria-expanded", "false"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    tab_to(page, page.get_by_role("button", name="I'd give up"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you for taking part")).to_be_visible()
    assert problems == []

    _check_first_answer(session)
    skipped = _answers(session)["coats"]
    assert skipped.chosen is None and skipped.path == []
    assert session.exec(select(Participant)).one().step == "done"


def test_back_up_a_level_at_phone_width(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 375, "height": 740})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    up = page.get_by_role("button", name="Back up a level")
    expect(up).to_be_disabled()
    page.get_by_role("button", name="Home", exact=True).click()
    expect(up).to_be_disabled()  # Home is at the top
    page.get_by_role("button", name="Help", exact=True).click()
    page.get_by_role("button", name="Delivery", exact=True).click()
    choose = page.get_by_role("button", name="I'd find it here")
    box = choose.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375
    up.click()  # back to Help, which closes
    help_ = page.get_by_role("button", name="Help", exact=True)
    expect(help_).to_have_attribute("aria-expanded", "false")
    expect(help_).to_be_focused()
    page.get_by_role("button", name="I'd find it here").click()
    expect(page.get_by_role("heading", name="Task 2 of 2")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert problems == []
    answer = _answers(session)["returns"]
    assert [c[0] for c in answer.path] == ["n1", "n5", "n7", "n5"]
    assert answer.chosen == "n5"
