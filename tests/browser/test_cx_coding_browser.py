"""Coding customers' open answers on a touchpoint's page, in headless
Chromium at phone width and by keyboard alone: the shared coding forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from tests.browser.test_cx_browser import serious_axe_violations
from tests.browser.test_participant_flow import tab_to, watch
from tests.results_data import log_in, owner
from uxlab.cx import journeys
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.models import Membership, Workspace

pytestmark = pytest.mark.browser


def _touchpoint_with_answers(session: Session, secret: str) -> tuple[str, int]:
    me = owner(session)
    workspace_id = session.exec(
        select(Membership.workspace_id).where(Membership.researcher_id == me.id)
    ).one()
    journey = journeys.create_journey(session, workspace_id, "Buy online", ["Buy"])
    stage = journeys.journey_view(session, journey).stages[0].stage
    assert stage.id is not None
    point = journeys.add_touchpoint(session, journey, stage.id, "Checkout")
    survey = journeys.save_survey(session, point, ["nps", "open"], "Why?", "", secret)
    opened = open_link(
        session,
        journeys.channel_token(journeys.channels_of(session, survey)[0], secret),
    )
    for k, text in enumerate(
        ("Where is the delivery date?", "No delivery date shown", "Fine")
    ):
        record(
            session,
            opened,
            f"browser-{k}",
            parse_answers(survey, {"nps": "5", "open_text": text}),
        )
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None and point.id is not None
    return workspace.slug, point.id


def test_an_editor_codes_answers_and_renames_a_code_by_keyboard_at_phone_width(
    page: Page, live_server: Any, session: Session
) -> None:
    slug, touchpoint_id = _touchpoint_with_answers(session, "test-secret")
    page.set_viewport_size({"width": 375, "height": 800})
    problems = watch(page)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/workspaces/{slug}/cx/touchpoints/{touchpoint_id}")
    answers = page.locator(".cx-open-answers > li")
    expect(answers).to_have_count(3)
    counts = page.locator("table.cx-tag-counts")

    # A new code typed on the first answer is made and given at once.
    first = answers.filter(has_text="Where is the delivery date?")
    tab_to(page, first.get_by_label("Add a code to this answer"), limit=300)
    page.keyboard.type("Delivery date")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Codes saved.")).to_be_visible()
    expect(counts.get_by_role("row", name=re.compile("^Delivery date"))).to_be_visible()

    # The second answer ticks the code the first one made.
    second = page.locator(".cx-open-answers > li").filter(
        has_text="No delivery date shown"
    )
    box = second.get_by_role("checkbox", name="Delivery date")
    tab_to(page, box, limit=300)
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    tab_to(page, second.get_by_role("button", name="Save codes"), limit=10)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Codes saved.")).to_be_visible()
    row = counts.get_by_role("row", name=re.compile("^Delivery date"))
    expect(row.locator("td").nth(12)).to_have_text("2")  # after 12 periods

    # Renamed in the codebook: the answers keep it under its new name.
    rename = page.get_by_label("New name for Delivery date")
    tab_to(page, rename, limit=300)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Can't find the delivery date")
    page.keyboard.press("Enter")  # the form's first button: Rename
    expect(page.get_by_text("its answers keep it")).to_be_visible()
    renamed = page.locator("table.cx-tag-counts").get_by_role(
        "row", name=re.compile("^Can't find the delivery date")
    )
    expect(renamed.locator("td").nth(12)).to_have_text("2")
    expect(
        page.locator(".cx-open-answers > li")
        .filter(has_text="No delivery date shown")
        .get_by_role("checkbox", name="Can't find the delivery date")
    ).to_be_checked()
    # Nothing spills sideways at phone width (tables scroll in their own box).
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && !e.closest('.table-wrap'))
            .map(e => e.tagName + (e.id ? '#' + e.id : ''))"""
    )
    assert wide == []
    assert serious_axe_violations(page) == []
    assert problems == []
