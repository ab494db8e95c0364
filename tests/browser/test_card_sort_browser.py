"""A card sort in headless Chromium: dragging with the mouse, the keyboard
alone (with what a screen reader hears), a reload that restores the sort from
the server, and the page at phone width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session, select

from tests.browser.test_participant_flow import tab_to, watch
from tests.test_participation import open_token
from uxlab.accounts import create_researcher
from uxlab.models import CardSort, Participant, Study, StudyStatus
from uxlab.studies import import_study, parse_study

pytestmark = pytest.mark.browser

STUDY = """\
title: Shop aisles
kind: card_sort
sort: hybrid
categories: [Fruit, Dairy]
randomise: false
cards:
  - {id: apple, text: Apple}
  - {id: pear, text: Pear}
  - {id: milk, text: Milk}
  - {id: cola, text: Cola}
  - {id: kohlrabi, text: Kohlrabi}
questionnaires: [sus]
"""


def _study(session: Session) -> Study:
    owner = create_researcher(session, email="o@example.org", password="long-enough")
    study = import_study(session, parse_study(STUDY), owner=owner, source_text=STUDY)
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


def _start(page: Page, live_server: Any, session: Session, study: Study) -> None:
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    expect(page.get_by_role("heading", name="Sort the cards")).to_be_visible()


def _card(page: Page, text: str) -> Locator:
    return page.locator(".cs-card", has_text=text)


def _drag(page: Page, card: Locator, target: Locator) -> None:
    """Press on the card, move in steps (pointer events), release on the target."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    target.scroll_into_view_if_needed()
    goal = target.bounding_box()
    assert goal is not None
    page.mouse.move(
        goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=8
    )
    page.mouse.up()


def _touch_drag(page: Page, card: Locator, target: Locator) -> None:
    """A finger's drag, sent as touch input through the DevTools protocol (the
    page sees touch pointer events, as on a phone)."""
    target.scroll_into_view_if_needed()
    box = card.bounding_box()
    goal = target.bounding_box()
    assert box is not None and goal is not None
    assert box["y"] >= 0 and goal["y"] + goal["height"] / 2 < 740, "both in view"
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1}
    )
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    x1, y1 = goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]},
    )
    for step in range(1, 11):
        x, y = x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]},
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _group(page: Page, name: str) -> Locator:
    return page.locator(".cs-group", has=page.get_by_role("heading", name=name))


def _saved(session: Session, wanted: dict[str, Any]) -> None:
    """Wait for the server to hold ``wanted`` (saves run in the background)."""
    for _ in range(50):
        session.commit()
        session.expire_all()
        row = session.exec(select(CardSort)).first()
        if row is not None and {"groups": row.groups, "unknown": row.unknown} == wanted:
            return
        import time

        time.sleep(0.1)
    raise AssertionError(f"the server never held {wanted}; it has {row and row.groups}")


def test_mouse_drag_new_group_rename_and_a_reload_restores_it(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems = watch(page)
    _start(page, live_server, session, study)
    _drag(page, _card(page, "Apple"), _group(page, "Fruit"))
    expect(_group(page, "Fruit").locator(".cs-card")).to_have_text(["Apple"])
    _drag(page, _card(page, "Pear"), _group(page, "Fruit"))
    _drag(page, _card(page, "Cola"), page.locator(".cs-new"))
    name = page.get_by_role("textbox", name="Group name")
    expect(name).to_have_value("Group 3")
    name.fill("Drinks")
    name.press("Enter")
    _drag(page, _card(page, "Kohlrabi"), page.locator(".cs-unknown"))
    expect(page.locator("#cs-announce")).to_contain_text(
        "Moved Kohlrabi to I don't know"
    )
    expect(page.locator("#cs-pile-count")).to_have_text("1")
    wanted = {
        "groups": [
            {"name": "Fruit", "cards": ["apple", "pear"]},
            {"name": "Dairy", "cards": []},
            {"name": "Drinks", "cards": ["cola"]},
        ],
        "unknown": ["kohlrabi"],
    }
    _saved(session, wanted)

    page.reload()
    expect(_group(page, "Fruit").locator(".cs-card")).to_have_text(["Apple", "Pear"])
    expect(page.get_by_role("textbox", name="Group name")).to_have_value("Drinks")
    expect(page.locator(".cs-group").nth(2).locator(".cs-card")).to_have_text(["Cola"])
    expect(page.locator("#cs-unknown .cs-card")).to_have_text(["Kohlrabi"])
    expect(page.locator("#cs-pile .cs-card")).to_have_text(["Milk"])

    # Deleting a group puts its cards back to sort.
    page.get_by_role("button", name="Delete group").click()
    expect(page.locator("#cs-pile .cs-card")).to_have_text(["Milk", "Cola"])
    _drag(page, _card(page, "Milk"), _group(page, "Dairy"))
    page.get_by_role("button", name="I have finished sorting").click()
    expect(page.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    session.commit()
    session.expire_all()
    row = session.exec(select(CardSort)).one()
    assert row.submitted_at is not None
    assert row.groups == [
        {"name": "Fruit", "cards": ["apple", "pear"]},
        {"name": "Dairy", "cards": ["milk"]},
    ]
    assert session.exec(select(Participant)).one().step == "q:sus"
    assert problems == []


def test_keyboard_only_with_announcements(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    tab_to(page, page.get_by_role("button", name="I agree, start the study"))
    page.keyboard.press("Enter")
    apple = _card(page, "Apple")
    tab_to(page, apple)
    page.keyboard.press("Enter")
    expect(apple).to_have_attribute("aria-pressed", "true")
    target = page.get_by_role("combobox", name="Move Apple to")
    expect(target).to_be_focused()
    expect(page.locator("#cs-announce")).to_have_text(
        "Apple selected. Choose its group and press Move."
    )
    expect(target.locator("option")).to_have_text(
        ["Fruit", "Dairy", "New group…", "I don't know this card"]
    )
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move", exact=True)).to_be_focused()
    page.keyboard.press("Enter")  # the first choice: Fruit
    expect(page.locator("#cs-announce")).to_have_text(
        "Moved Apple to Fruit. 4 cards left to sort."
    )
    expect(apple).to_be_focused()  # the focus stays on the card, now in Fruit
    expect(_group(page, "Fruit").locator(".cs-card")).to_have_text(["Apple"])

    # A new group, named from the keyboard.
    cola = _card(page, "Cola")
    tab_to(page, cola)
    page.keyboard.press("Enter")
    select = page.get_by_role("combobox", name="Move Cola to")
    expect(select).to_be_focused()
    for _ in range(2):
        page.keyboard.press("ArrowDown")
    expect(select).to_have_value("new")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Name of the new group")).to_be_focused()
    page.keyboard.type("Drinks")
    page.keyboard.press("Enter")
    expect(page.locator("#cs-announce")).to_have_text(
        "Moved Cola to Drinks. 3 cards left to sort."
    )
    expect(page.get_by_role("textbox", name="Group name")).to_have_value("Drinks")
    # Escape closes the chooser and gives the focus back to the card.
    pear = _card(page, "Pear")
    tab_to(page, pear)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(pear).to_be_focused()
    expect(page.locator("#cs-move")).to_be_hidden()
    _saved(
        session,
        {
            "groups": [
                {"name": "Fruit", "cards": ["apple"]},
                {"name": "Dairy", "cards": []},
                {"name": "Drinks", "cards": ["cola"]},
            ],
            "unknown": [],
        },
    )
    tab_to(page, page.get_by_role("button", name="I have finished sorting"), limit=40)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    assert problems == []


def test_phone_width_nothing_overflows_and_a_finger_drags(
    page: Page, live_server: Any, session: Session
) -> None:
    study = _study(session)
    page.set_viewport_size({"width": 375, "height": 740})
    problems = watch(page)
    _start(page, live_server, session, study)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    pile = page.locator(".cs-pile").bounding_box()
    groups = page.locator(".cs-groups").bounding_box()
    assert pile is not None and groups is not None
    assert groups["y"] >= pile["y"] + pile["height"] - 1  # stacked, not side by side
    # The last card of the pile to the first group just below it, by finger.
    _touch_drag(page, _card(page, "Kohlrabi"), _group(page, "Fruit"))
    expect(_group(page, "Fruit").locator(".cs-card")).to_have_text(["Kohlrabi"])
    expect(page.locator("#cs-announce")).to_contain_text("Moved Kohlrabi to Fruit")
    page.get_by_role("button", name="New group").click()
    expect(page.get_by_role("textbox", name="Group name")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for box in page.locator(".cs-card, .cs-group").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().right)"
    ):
        assert box <= 375
    assert problems == []


def test_results_page_cut_control_and_standard_names(
    page: Page, live_server: Any, session: Session
) -> None:
    """The researcher's view: the matrix, the dendrogram cut chosen from the
    keyboard, and a merged name shown in each participant's sort."""
    from tests.kinds.test_card_sort import SORTS, _sort
    from tests.kinds.test_card_sort import STUDY as FOUR_CARDS
    from tests.results_data import PASSWORD

    me = create_researcher(session, email="r@example.org", password=PASSWORD)
    study = import_study(
        session, parse_study(FOUR_CARDS), owner=me, source_text=FOUR_CARDS
    )
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    for sort in SORTS:
        _sort(session, study, sort)
    problems = watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    from tests.results_data import log_in

    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    matrix = page.get_by_role("table", name="Grouped together")
    expect(matrix).to_be_visible()
    # Hand-worked: cards A and B were grouped by 2 of 3 participants.
    row_a = matrix.locator("tbody tr", has=page.get_by_role("rowheader", name="Card A"))
    expect(row_a.locator("td")).to_have_text(["100", "67", "33", "0"])
    expect(page.get_by_role("heading", name="2 groups at a cut of 0.5")).to_be_visible()
    cut = page.get_by_label("Cut height (0–1)")
    cut.fill("0.2")
    cut.press("Enter")
    expect(page.get_by_role("heading", name="4 groups at a cut of 0.2")).to_be_visible()
    page.get_by_label("Standard name for Mine").fill("X")
    page.get_by_role("button", name="Save standard names").click()
    expect(page.locator("#sorts")).to_contain_text("(typed “Mine”)")
    expect(page.get_by_role("heading", name="4 groups at a cut of 0.2")).to_be_visible()
    assert problems == []
