"""The HTML report and the results page in headless Chromium: nothing fails to load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, Request, expect
from sqlmodel import Session

from uxlab.accounts import create_researcher
from uxlab.demo import simulate_participants
from uxlab.studies import import_study, load_study_file

pytestmark = pytest.mark.browser

TEMPLATES = Path(__file__).parent.parent.parent / "study_templates"


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL (replaces pytest-playwright's fallback, which pytest 9 warns about)."""
    return None


def test_report_and_results_page_load_cleanly(
    page: Page, live_server, session: Session
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session,
        load_study_file(TEMPLATES / "ab-checkout.json"),
        owner=owner,
        source_text="",
    )
    simulate_participants(session, study, 20, np.random.default_rng(1))

    requests: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def on_failed(request: Request) -> None:
        failed.append(f"{request.url}: {request.failure}")

    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", on_failed)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("r@example.org")
    page.get_by_label("Password").fill("long-enough")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")

    requests.clear()
    report_url = f"{live_server.url}/studies/{study.slug}/report.html?cl=0.9"
    response = page.goto(report_url)
    assert response is not None and response.ok
    expect(page.get_by_role("heading", name="Checkout A/B comparison")).to_be_visible()
    expect(page.get_by_role("img", name="Task completion rate")).to_be_visible()
    # The report is self-contained: the document is its only request.
    assert requests == [report_url]

    response = page.goto(f"{live_server.url}/studies/{study.slug}/results")
    assert response is not None and response.ok
    expect(page.get_by_role("heading", name="Methods")).to_be_visible()
    page.get_by_label("Confidence level").select_option("0.8")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("80 % CI").first).to_be_visible()
    assert failed == []
    assert errors == []
