"""The demo shop's confirmation page asks for feedback with the Checkout widget.

As the README's walk-through has it: after `uxlab demo`, placing an order in
the demo shop shows the Checkout survey; a detractor's answer is stored on
the widget channel with the order number, and opens a follow-up.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from tests.browser.test_cx_widget_browser import OPEN_SHADOW_ROOTS
from tests.conftest import LiveServer
from uxlab.cx.followup_models import CxFollowup
from uxlab.cx.models import ChannelKind, CxChannel, CxResponse

pytestmark = pytest.mark.browser

NPS = "How likely are you to recommend us to a friend or colleague?"


@pytest.fixture(scope="session")
def base_url() -> str | None:
    return None


def widget_answers(session: Session) -> list[CxResponse]:
    session.rollback()  # a fresh read, past the server's commits
    return list(
        session.exec(
            select(CxResponse)
            .join(CxChannel, col(CxChannel.id) == CxResponse.channel_id)
            .where(CxChannel.kind == ChannelKind.widget)
        ).all()
    )


def test_an_order_in_the_demo_shop_asks_for_feedback_and_a_detractor_is_followed_up(
    page: Page, live_server: LiveServer, app: Flask, session: Session
) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--participants", "2"])
    assert result.exit_code == 0, result.output
    assert widget_answers(session) == []
    page.add_init_script(OPEN_SHADOW_ROOTS)  # for the locators below
    page.goto(f"{live_server.url}/static/demo-shop/jackets.html")
    page.wait_for_load_state("load")
    expect(page.get_by_role("dialog")).to_have_count(0)  # only after an order

    page.goto(f"{live_server.url}/static/demo-shop/confirmation.html")
    dialog = page.get_by_role("dialog", name="Your feedback")
    expect(dialog).to_be_visible(timeout=10_000)
    nps = dialog.get_by_role("group", name=NPS)
    nps.get_by_role("radio", name="3", exact=True).check()
    dialog.get_by_label("What is the main reason for your score?").fill(
        "I could not find the delivery date"
    )
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Thank you, your answer is recorded.", timeout=10_000
    )
    answers = widget_answers(session)
    assert [(a.nps, a.open_text, a.hidden) for a in answers] == [
        (3, "I could not find the delivery date", {"order": "NW-20418"})
    ]
    followups: Any = session.exec(
        select(CxFollowup).where(CxFollowup.response_id == answers[0].id)
    ).all()
    assert [f.reference for f in followups] == ["NW-20418"]


def test_without_the_demo_the_shop_page_loads_no_widget(
    page: Page, live_server: LiveServer
) -> None:
    answered: dict[str, int] = {}
    page.on("response", lambda r: answered.setdefault(r.url, r.status))
    page.goto(f"{live_server.url}/static/demo-shop/confirmation.html")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(0)
    # The loader answers (no error in the shop's console) and adds nothing.
    assert answered[f"{live_server.url}/demo-shop/feedback.js"] == 200
    assert not [url for url in answered if "feedback-widget" in url]
