"""A researcher creates an audit project in the browser, runs it and reads the report.

Real HTTP to the app, a real `uxlab worker` process, Chromium on both sides:
Playwright drives the researcher's pages, the worker audits the fixture site.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.audits.conftest import SLOW, Workers
from uxlab.models import AuditProject, Workspace

pytestmark = pytest.mark.browser

BROKEN = """\
name: Slow pages
viewports: [desktop]
tasks:
  - name: Walk the slow pages
    steps:
      - gotoo: /slow
"""


def test_create_run_watch_and_read_a_project_in_the_browser(
    page: Any,
    queue_server: str,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{queue_server}/login")
    page.get_by_label("Email").fill("a@example.com")
    page.get_by_label("Password").fill("password-a")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Audits").click()
    page.get_by_role("link", name="New audit project").click()

    page.get_by_label("Name").fill("Faulty shop")
    page.get_by_label("Base URL").fill(site_url("faulty"))
    page.get_by_label("Audit script (YAML)").fill(BROKEN)
    page.get_by_role("button", name="Create project").click()
    # The same line-level error as `uxlab audit`, and nothing saved.
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("nothing was saved")
    expect(problems).to_contain_text(
        "script line 6: tasks[0].steps[0].gotoo: unknown step 'gotoo'"
    )
    assert db.exec(select(AuditProject)).all() == []

    page.get_by_label("Audit script (YAML)").fill(SLOW)
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Faulty shop")).to_be_visible()
    flash = page.locator(".flash").first.inner_text()
    badge_url = re.search(r"http://\S+\.svg", flash)
    assert badge_url is not None, flash

    workers.start()
    page.get_by_role("button", name="Run now").click()
    status = page.locator("tr[data-run] [data-field=status]").first
    # Live progress while it runs: task runs done of all, and the current page.
    expect(status).to_have_text("running", timeout=60_000)
    expect(page.locator("tr[data-run] [data-field=progress]").first).to_contain_text(
        "0 / 1 task runs · http://127.0.0.1", timeout=30_000
    )
    expect(status).to_have_text(re.compile("passed|failed"), timeout=120_000)

    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    report = page.frame_locator("iframe.audit-report")
    expect(report.get_by_role("heading", name=re.compile("Slow pages"))).to_be_visible()

    with urllib.request.urlopen(badge_url.group(0)) as answer:
        svg = answer.read().decode()
    assert answer.headers["Content-Type"].startswith("image/svg+xml")
    assert re.search(r"uxlab audit: (passed|failed)", svg), svg


def test_an_invalid_script_edit_keeps_the_saved_version(
    page: Any,
    queue_server: str,
    db: Session,
    workspace: Workspace,
    site_url: Callable[[str], str],
) -> None:
    from playwright.sync_api import expect

    from tests.audits.conftest import make_project

    project = make_project(db, workspace, SLOW, site_url("faulty")).project
    page.goto(f"{queue_server}/login")
    page.get_by_label("Email").fill("a@example.com")
    page.get_by_label("Password").fill("password-a")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{queue_server}/workspaces/{workspace.slug}/audits/{project.id}/script")
    page.get_by_label("Audit script (YAML)").fill(BROKEN)
    page.get_by_role("button", name="Save script").click()
    expect(page.get_by_role("alert")).to_contain_text("script line 6")
    db.rollback()
    kept = db.get(AuditProject, project.id)
    assert kept is not None
    assert (kept.script_version, kept.script_yaml) == (1, SLOW)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download script").click()
    path = download.value.path()
    with open(path, encoding="utf-8") as f:
        assert f.read() == SLOW
