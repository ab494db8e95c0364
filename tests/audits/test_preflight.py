"""A researcher pre-flights a study from its page before publishing it.

Real HTTP to the app, a real `uxlab worker` process, Chromium on both sides:
Playwright drives the researcher's pages, the worker replays the study's tasks
on the fixture sites served on 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.audits.conftest import Workers
from uxlab.accounts import create_researcher
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    Researcher,
    Workspace,
    WorkspaceRole,
)
from uxlab.studies import import_study, parse_study
from uxlab.workspaces import add_member

pytestmark = pytest.mark.browser

STUDY = """\
title: Shop study
tasks:
  - id: jackets
    title: Find the jackets
    start_url: {shop}/
    success: {{url_matches: "/jackets$"}}
  - id: offers
    title: Open the old offers
    start_url: {faulty}/
    success: {{url_matches: "/offers"}}
  - id: feel
    title: Say how it felt
    success: self_report
"""

#: The researcher's steps for the first task; the second is generated.
SCRIPT = """\
name: Shop pre-flight
base_url: {shop}
tasks:
  - name: Find the jackets
    steps:
      - goto: /
      - click: {{role: link, name: Jackets}}
"""

WRONG_TASK = """\
name: Shop pre-flight
tasks:
  - name: Buy a hat
    steps:
      - goto: /
"""


def log_in(page: Any, base: str, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_preflight_shows_what_the_machine_could_do(
    page: Any,
    queue_server: str,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    from playwright.sync_api import expect

    shop, faulty = site_url("storefront"), site_url("faulty")
    owner = db.exec(select(Researcher)).one()
    text = STUDY.format(shop=shop, faulty=faulty)
    study = import_study(db, parse_study(text), owner=owner, source_text=text)
    create_researcher(db, email="v@example.com", password="password-v")
    add_member(db, workspace, "v@example.com", WorkspaceRole.viewer)
    study_url = f"{queue_server}/studies/{study.slug}"

    # A viewer sees the panel but no button, and the server refuses them too.
    log_in(page, queue_server, "v@example.com", "password-v")
    page.goto(study_url)
    expect(page.get_by_role("heading", name="Pre-flight")).to_be_visible()
    expect(page.get_by_role("button", name="Pre-flight")).to_have_count(0)
    refused = page.request.post(f"{study_url}/preflight", form={"script": ""})
    assert refused.status == 403
    assert "needs the editor role" in refused.text()
    assert "you are a viewer there" in refused.text()
    db.rollback()
    assert db.exec(select(AuditProjectRun)).all() == []

    log_in(page, queue_server, "a@example.com", "password-a")
    page.goto(study_url)
    expect(
        page.get_by_text("This study has not been pre-flighted yet.")
    ).to_be_visible()
    # A script naming a task the study does not have: refused, nothing saved.
    page.get_by_label("Pre-flight script (YAML, optional)").fill(WRONG_TASK)
    page.get_by_role("button", name="Pre-flight").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "task 'Buy a hat' is not a task of this study"
    )
    db.rollback()
    assert db.exec(select(AuditProject)).all() == []

    workers.start()
    page.get_by_label("Pre-flight script (YAML, optional)").fill(
        SCRIPT.format(shop=shop)
    )
    page.get_by_role("button", name="Pre-flight").click()
    expect(page.locator(".flash").first).to_contain_text("Pre-flight")
    # The panel follows the run by itself: no reload.
    status = page.locator("[data-preflight-status]")
    expect(status).to_have_attribute(
        "data-preflight-status", re.compile("^(passed|failed)$"), timeout=120_000
    )
    expect(status).to_contain_text("1 of 2 tasks completed")

    jackets = page.locator("tr[data-task=jackets]")
    expect(jackets.locator("[data-field=completed]")).to_have_text("yes")
    expect(jackets.locator("[data-field=path]")).to_have_text("2 pages, 2 steps")
    expect(jackets.locator("[data-field=seconds]")).to_have_text(
        re.compile(r"^\d+\.\d s$")
    )
    offers = page.locator("tr[data-task=offers]")
    expect(offers.locator("[data-field=completed]")).to_have_text("no")
    expect(offers.locator("[data-field=reason]")).to_contain_text(
        "the success criterion was not met: step 2 (expect_url /offers)"
    )
    feel = page.locator("tr[data-task=feel]")
    expect(feel.locator("[data-field=completed]")).to_have_text("not replayed")
    expect(feel.locator("[data-field=reason]")).to_have_text(
        "not replayed: success is self-reported: nothing a machine can check"
    )

    # The faulty home page's image without alt text, linked to the report.
    faulty_page = page.locator(f"li[data-page='{faulty}/']")
    expect(faulty_page).to_contain_text("image-alt")
    faulty_page.get_by_role("link", name="See them in the report").click()
    expect(
        page.get_by_role("heading", name=re.compile("Pre-flight: Shop study"))
    ).to_be_visible()

    # The pre-flight is not one of the workspace's audit projects, and the
    # script is kept for the next pre-flight.
    page.goto(f"{queue_server}/workspaces/{workspace.slug}/audits")
    expect(page.get_by_text("Pre-flight: Shop study")).to_have_count(0)
    page.goto(study_url)
    expect(page.get_by_label("Pre-flight script (YAML, optional)")).to_have_value(
        SCRIPT.format(shop=shop).strip()
    )
