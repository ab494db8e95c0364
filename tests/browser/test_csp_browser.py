"""Every researcher page keeps to a strict, nonce-based Content-Security-Policy.

Chromium reports each script, style or style attribute the policy blocks as a
``securitypolicyviolation`` event and a console error; a page that needs one
is broken for its reader. This visits every researcher page with the demo's
data, an audit run's served report included, the workspace invite page and a
participant's first pages, and expects none.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlmodel import Session, col, select

from tests.conftest import TestDatabases
from uxlab import create_app
from uxlab.audits.demo import DEMO_AUDIT_SCRIPT
from uxlab.cx.followup_models import CxFollowup
from uxlab.cx.models import CxJourney, CxTouchpoint
from uxlab.db import get_engine
from uxlab.demo import DEMO_EMAIL, DEMO_PASSWORD
from uxlab.invites import invite_token, open_invite
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    ModeratedSession,
    Study,
    Workspace,
    WorkspaceRole,
)
from uxlab.moderation import add_observer, observer_token
from uxlab.workspaces.invitations import invite_member

pytestmark = pytest.mark.browser

_LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.lineNumber}`
  );
});
"""


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL (replaces pytest-playwright's fallback, which pytest 9 warns about)."""
    return None


@pytest.fixture(scope="module")
def demo_database(
    databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database seeded by `uxlab demo`, once for the shares of this module."""
    url = databases.new(tmp_path_factory.mktemp("demo"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    result = app.test_cli_runner().invoke(args=["demo", "--participants", "4"])
    assert result.exit_code == 0, result.output
    get_engine(app).dispose()
    return url


@pytest.fixture(name="database_url")
def database_url_fixture(
    databases: TestDatabases, demo_database: str, tmp_path: Path
) -> str:
    """This share's own copy of the demo's database."""
    return databases.copy(demo_database, tmp_path)


def _audit_report(base: str, folder: Path) -> str:
    """report.html of a real `uxlab audit` run against the demo shop."""
    script = folder / "audit.yaml"
    script.write_text(DEMO_AUDIT_SCRIPT)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uxlab",
            "audit",
            str(script),
            "--base-url",
            base,
            "--viewport",
            "desktop",
            "--report",
            str(folder / "out"),
        ],
        check=False,
        capture_output=True,
        timeout=180,
    )
    return (folder / "out" / "report.html").read_text()


def _pages(session: Session, secret: str) -> list[str]:
    session.expire_all()
    project = session.exec(select(AuditProject)).one()
    workspace = session.get(Workspace, project.workspace_id)
    runs = session.exec(select(AuditProjectRun).order_by(col(AuditProjectRun.id))).all()
    assert workspace is not None and runs
    audits = f"/workspaces/{workspace.slug}/audits"
    found = [
        "/",
        "/studies/new",
        "/workspaces",
        f"/workspaces/{workspace.slug}/members",
        f"/workspaces/{workspace.slug}/activity",
        audits,
        f"{audits}/new",
        f"{audits}/{project.id}",
        f"{audits}/{project.id}/script",
        f"{audits}/{project.id}/runs/{runs[-1].id}",
        f"{audits}/{project.id}/runs/{runs[-1].id}/diff",
        f"{audits}/{project.id}/runs/{runs[-1].id}/report.html",
        "/plan",
        "/no-such-page",
    ]
    studies = session.exec(select(Study).order_by(col(Study.id))).all()
    for study in studies:
        base = f"/studies/{study.slug}"
        found += [base, f"{base}/results", f"{base}/report.html", f"{base}/edit"]
        found += [f"{base}/file", f"{base}/clicks", f"{base}/delete"]
        sessions = session.exec(
            select(ModeratedSession).where(ModeratedSession.study_id == study.id)
        ).all()
        if study.mode == "moderated":
            found += [f"{base}/sessions", f"{base}/notes"]
        for ms in sessions[:1]:
            found += [f"{base}/sessions/{ms.id}", f"{base}/sessions/{ms.id}/console"]
            link = add_observer(session, ms, name="Sam", secret=secret)
            found.append(f"/observe/{observer_token(link, secret)}")
    if len(studies) >= 2:
        found.append(f"/compare?a={studies[0].slug}&b={studies[1].slug}")
    journeys = session.exec(select(CxJourney)).all()
    assert journeys, "the demo seeds a customer journey"
    for journey in journeys:
        home = session.get(Workspace, journey.workspace_id)
        assert home is not None
        cx = f"/workspaces/{home.slug}/cx"
        found += [cx, f"{cx}/journeys/{journey.id}", f"{cx}/journeys/{journey.id}/map"]
        touchpoints = session.exec(
            select(CxTouchpoint).where(CxTouchpoint.journey_id == journey.id)
        ).all()
        found += [f"{cx}/touchpoints/{tp.id}" for tp in touchpoints[:2]]
        found += [f"{cx}/followups", f"{cx}/followups?status=open"]
        made = session.exec(select(CxFollowup)).first()
        assert made is not None, "the demo makes follow-ups"
        found.append(f"{cx}/followups/{made.id}")
    return found


def _violations(page: Page) -> list[str]:
    found: Any = page.evaluate("window.__cspViolations || []")
    return [str(v) for v in found]


#: The pages are walked in this many shares, each a test of its own, so that
#: parallel runs of the suite spread the walk's minute over their processes.
SHARES = 3


@pytest.mark.parametrize("share", range(SHARES))
def test_no_researcher_page_breaks_the_content_security_policy(
    page: Page,
    live_server: Any,
    app: Flask,
    session: Session,
    tmp_path: Path,
    share: int,
) -> None:
    pages = _pages(session, app.config["SECRET_KEY"])
    mine = pages[share::SHARES]
    if any(path.endswith("/report.html") and "/audits/" in path for path in mine):
        run = session.exec(
            select(AuditProjectRun).order_by(col(AuditProjectRun.id).desc())
        ).first()
        assert run is not None
        run.report_html = _audit_report(live_server.url, tmp_path)
        assert "<style" in run.report_html and 'class="bars"' in run.report_html
        session.add(run)
        session.commit()

    console: list[str] = []
    page.on(
        "console",
        lambda m: (
            console.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text
            else None
        ),
    )
    page.context.add_init_script(_LISTEN)

    problems: list[str] = []

    def visit(path: str) -> None:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None, path
        expected = 404 if path == "/no-such-page" else 200
        if response.status != expected:
            problems.append(f"{path}: answered {response.status}")
        page.wait_for_load_state("load")
        policy = response.headers.get("content-security-policy", "")
        script_src = re.search(r"script-src([^;]*)", policy)
        # A nonce, or no inline script at all (the participant's pages).
        sources = script_src.group(1).split() if script_src else []
        if "'nonce-" not in " ".join(sources) and sources != ["'self'"]:
            problems.append(f"{path}: no script nonce in {policy!r}")
        if "unsafe-inline" in policy:
            problems.append(f"{path}: 'unsafe-inline' in {policy!r}")
        for frame in page.frames:
            found: Any = frame.evaluate("window.__cspViolations || []")
            problems.extend(f"{path}: {v}" for v in found)

    if share == 0:
        # The pages open before logging in: a workspace invite, a participant's
        # consent page and the study that follows it.
        workspace = session.exec(select(Workspace)).first()
        assert workspace is not None
        _, joining = invite_member(
            session, workspace, "new.member@example.com", WorkspaceRole.viewer, by=None
        )
        visit(f"/join/{joining}")
        study = session.exec(select(Study).where(Study.mode != "moderated")).first()
        assert study is not None
        secret = app.config["SECRET_KEY"]
        visit(f"/s/{invite_token(open_invite(session, study, secret), secret)}")
        page.get_by_role("button", name=re.compile("start the study")).click()
        page.wait_for_load_state("load")
        problems.extend(f"after consent: {v}" for v in _violations(page))

    visit("/login")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    for path in mine:
        visit(path)
    assert problems == []
    assert console == []
