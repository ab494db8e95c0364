"""What a newcomer sees in the first hour, in headless Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from uxlab.accounts import create_researcher

pytestmark = pytest.mark.browser


def test_too_many_logins_say_when_and_lead_back(
    page: Page, live_server: Any, session: Session
) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    live_server.app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    page.goto(f"{live_server.url}/login")
    for _ in range(3):
        page.get_by_label("Email").fill("r@example.org")
        page.get_by_label("Password").fill("a-wrong-guess")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Try again in \d+ seconds"))).to_be_visible()
    expect(page.get_by_text("Error 429")).to_have_count(0)
    page.get_by_role("link", name="Back to the login form").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
