"""A CX manager's journey in headless Chromium, and a customer answering from an email.

The manager defines a journey with a touchpoint and its survey in the pages;
the customer clicks the "9" of an email's 0-10 buttons, answers the rest with
the keyboard, and the manager finds that answer on the trend and the map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session

from tests.conftest import LiveServer
from uxlab.accounts import create_researcher
from uxlab.audit.checks import run_axe

pytestmark = pytest.mark.browser

MANAGER = "cx@example.com"
PASSWORD = "long enough pw"


@pytest.fixture(name="contexts")
def contexts_fixture(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def new_page(browser: Browser, contexts: list[BrowserContext]) -> Page:
    context = browser.new_context()
    contexts.append(context)
    return context.new_page()


def test_an_email_nps_click_reaches_the_trend_and_the_journey_map(
    browser: Browser,
    contexts: list[BrowserContext],
    live_server: LiveServer,
    session: Session,
) -> None:
    create_researcher(session, email=MANAGER, password=PASSWORD, name="Camila")
    manager = new_page(browser, contexts)
    manager.goto(f"{live_server.url}/login")
    manager.get_by_label("Email").fill(MANAGER)
    manager.get_by_label("Password").fill(PASSWORD)
    manager.get_by_role("button", name="Log in").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text(
        re.compile("^Studies in")
    )

    # Define the journey: stages, then a touchpoint in "Buy".
    manager.get_by_role("link", name="Journeys").click()
    manager.get_by_label("Name").fill("Buy online")
    manager.get_by_label("Stages, one per line, in order").fill("Discover\nBuy")
    manager.get_by_role("button", name="Create journey", exact=True).click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Buy online")
    manager.get_by_label("New touchpoint in Buy").fill("Checkout")
    manager.get_by_label("New touchpoint in Buy").press("Enter")
    manager.get_by_role("link", name="Checkout").click()

    # Its survey: NPS first, then CSAT and an open question.
    expect(manager.get_by_role("heading", level=1)).to_have_text("Checkout")
    manager.get_by_label("CSAT (1-5, satisfaction)").check()
    manager.get_by_label("One open question").check()
    manager.get_by_role("button", name="Save survey").click()
    expect(manager.get_by_text("Survey saved.")).to_be_visible()
    link = manager.get_by_label("Survey link").input_value()
    assert link.startswith(f"{live_server.url}/f/")

    # The customer's email: eleven buttons, each a link carrying its score.
    customer = new_page(browser, contexts)
    buttons = "".join(f'<a href="{link}?nps={v}">{v}</a> ' for v in range(11))
    customer.set_content(f"<p>How likely are you to recommend us?</p><p>{buttons}</p>")
    customer.get_by_role("link", name="9", exact=True).click()
    expect(customer.get_by_role("status")).to_have_text(
        re.compile(r"Your answer is recorded \(9 out of 10\)")
    )
    assert serious_axe_violations(customer) == []
    nps = customer.get_by_role("group", name=re.compile("recommend us"))
    expect(nps.get_by_role("radio", name="9", exact=True)).to_be_checked()

    # The rest with the keyboard: CSAT 4 by arrow keys, then the open answer.
    satisfaction = customer.get_by_role("group", name=re.compile("how satisfied"))
    satisfaction.get_by_role("radio").first.focus()
    customer.keyboard.press("Space")
    for _ in range(3):
        customer.keyboard.press("ArrowRight")
    expect(satisfaction.get_by_role("radio", name="4", exact=True)).to_be_checked()
    customer.keyboard.press("Tab")
    expect(
        customer.get_by_label("What is the main reason for your score?")
    ).to_be_focused()
    customer.keyboard.type("Easy payment")
    customer.keyboard.press("Tab")
    customer.keyboard.press("Enter")
    expect(customer.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(customer.get_by_role("status")).to_contain_text("Your answers are recorded")

    # The manager sees it on the trend (this month) and on the map.
    manager.reload()
    row = manager.get_by_role("row").nth(1)  # the newest month first
    expect(row).to_contain_text("NPS +100")
    expect(row).to_contain_text("CSAT 100%")
    expect(row).to_contain_text("too few answers for an interval")
    expect(
        manager.get_by_text("Answers by channel: link 1, QR code 0, web widget 0.")
    ).to_be_visible()
    expect(manager.get_by_role("region", name="Latest open answers")).to_contain_text(
        "Easy payment"
    )
    manager.get_by_role("link", name="journey map").click()
    card = manager.get_by_role("article", name="Checkout")
    expect(card).to_contain_text("1 response in")
    expect(card).to_contain_text("NPS +100")
    expect(card).to_contain_text("Not asked: add the CES question")
    expect(manager.get_by_role("region", name="Discover")).to_contain_text(
        "No touchpoints in this stage."
    )
    assert serious_axe_violations(manager) == []


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, by rule."""
    return [
        f"{v['id']}: {v['help']}"
        for v in run_axe(page)
        if v.get("impact") in ("serious", "critical")
    ]
