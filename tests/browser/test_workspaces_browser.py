"""Team work in headless Chromium: invites, the workspace switcher, a viewer's limits.

Each person has their own browser context against the live server; the tests
read what those people see on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from tests.conftest import LiveServer
from uxlab.accounts import create_researcher
from uxlab.demo import simulate_participants
from uxlab.models import ActivityEntry, Participant, Study, Workspace, WorkspaceRole
from uxlab.studies import import_study, load_study_file
from uxlab.workspaces import add_member, create_workspace

pytestmark = pytest.mark.browser

TEMPLATES = Path(__file__).parent.parent.parent / "study_templates"
OWNER = "olivia@example.com"
VIEWER = "victor@example.com"
PASSWORD = "long enough pw"


@dataclass(slots=True)
class Team:
    workspace: Workspace
    team_study: Study
    own_study: Study


@pytest.fixture(name="team")
def team_fixture(session: Session) -> Team:
    """Olivia owns "Checkout team" (one study) and her personal workspace (another);
    Victor is a viewer of the team."""
    owner = create_researcher(session, email=OWNER, password=PASSWORD, name="Olivia")
    create_researcher(session, email=VIEWER, password=PASSWORD, name="Victor")
    workspace = create_workspace(session, "Checkout team", owner_email=OWNER)
    add_member(session, workspace, VIEWER, WorkspaceRole.viewer, by=owner.id)
    team_study = import_study(
        session,
        load_study_file(TEMPLATES / "ab-checkout.json"),
        owner=owner,
        source_text="",
        workspace_id=workspace.id,
    )
    simulate_participants(session, team_study, 8, np.random.default_rng(3))
    own_study = import_study(
        session,
        load_study_file(TEMPLATES / "ecommerce-tasks.yaml"),
        owner=owner,
        source_text="",
    )
    return Team(workspace, team_study, own_study)


@pytest.fixture(name="contexts")
def contexts_fixture(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def new_page(
    browser: Browser, contexts: list[BrowserContext], permissions: tuple[str, ...] = ()
) -> Page:
    context = browser.new_context(permissions=list(permissions))
    contexts.append(context)
    return context.new_page()


def log_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Studies in"))
    # The heading can be in the DOM before the stylesheets apply; tests that
    # measure the layout need them.
    page.wait_for_load_state("load")


def test_owner_invites_a_colleague_who_joins_by_the_copied_link(
    browser: Browser,
    contexts: list[BrowserContext],
    live_server: LiveServer,
    team: Team,
) -> None:
    owner = new_page(
        browser, contexts, permissions=("clipboard-read", "clipboard-write")
    )
    log_in(owner, live_server, OWNER)
    owner.get_by_label("Workspace", exact=True).select_option(team.workspace.slug)
    owner.get_by_role("button", name="Switch").click()
    owner.get_by_role("link", name="Team").click()
    expect(owner.get_by_role("heading", name="Checkout team", level=1)).to_be_visible()

    owner.get_by_label("Colleague's email").fill("Nia@Example.com")
    owner.get_by_label("Role", exact=True).select_option(label="Editor")
    owner.get_by_role("button", name="Make invite link").click()
    expect(owner.get_by_role("status")).to_contain_text(
        "Invited nia@example.com as editor"
    )
    shown = owner.locator("#invite-link").inner_text().strip()
    assert shown.startswith(f"{live_server.url}/join/")
    copy = owner.get_by_role("region", name="Invite link").get_by_role("button")
    expect(copy).to_have_text("Copy link")
    copy.click()
    expect(copy).to_have_text("Copied")
    link = owner.evaluate("navigator.clipboard.readText()")
    assert link == shown
    expect(
        owner.get_by_role("listitem").filter(has_text="nia@example.com")
    ).to_be_visible()

    colleague = new_page(browser, contexts)
    colleague.goto(link)
    expect(colleague.get_by_role("heading", level=1)).to_have_text(
        "Join workspace “Checkout team”"
    )
    expect(colleague.get_by_text("nia@example.com").first).to_be_visible()
    colleague.get_by_label("Your name").fill("Nia")
    colleague.get_by_label("Choose a password").fill(PASSWORD)
    colleague.get_by_label("Password again").fill(PASSWORD)
    colleague.get_by_role("button", name="Create account and join").click()
    expect(colleague.get_by_role("status")).to_contain_text(
        "You joined workspace “Checkout team” as editor"
    )
    expect(colleague.get_by_role("heading", level=1)).to_have_text(
        "Studies in Checkout team"
    )
    expect(colleague.get_by_role("link", name=team.team_study.title)).to_be_visible()
    # The workspace switcher now offers the team, already chosen.
    switcher = colleague.get_by_label("Workspace", exact=True)
    expect(switcher).to_have_value(team.workspace.slug)

    # The link worked once.
    again = new_page(browser, contexts)
    response = again.goto(link)
    assert response is not None and response.status == 410
    expect(again.get_by_role("heading", level=1)).to_have_text(
        "This invite link does not work"
    )
    expect(again.get_by_text("has been used already")).to_be_visible()

    owner.reload()
    nia = owner.get_by_role("row").filter(has_text="nia@example.com")
    expect(nia).to_contain_text("Nia")
    expect(nia.get_by_label("Role of nia@example.com")).to_have_value("editor")
    expect(
        owner.get_by_role("listitem").filter(has_text="nia@example.com")
    ).to_have_count(0)
    owner.get_by_role("link", name="Activity log").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(
        "Activity in Checkout team"
    )
    rows = owner.get_by_role("row")
    joined = rows.filter(has_text=re.compile("joined", re.I))
    expect(joined).to_contain_text("nia@example.com")
    invited = rows.filter(has_text=re.compile("invited", re.I))
    expect(invited).to_contain_text(OWNER)
    expect(invited).to_contain_text("nia@example.com")


def test_workspace_switcher_by_keyboard_changes_what_lists_show(
    page: Page, live_server: LiveServer, team: Team
) -> None:
    log_in(page, live_server, OWNER)
    mine, theirs = team.own_study.title, team.team_study.title
    expect(page.get_by_role("heading", level=1)).to_have_text("Studies in Olivia")
    expect(page.get_by_role("link", name=mine)).to_be_visible()
    expect(page.get_by_role("link", name=theirs)).to_have_count(0)

    # Keyboard only: from the main navigation, Tab reaches the switcher, the
    # arrow keys choose a workspace, Tab and Enter apply it.
    page.get_by_role("link", name="Plan").focus()
    page.keyboard.press("Tab")
    switcher = page.get_by_label("Workspace", exact=True)
    expect(switcher).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(switcher).to_have_value(team.workspace.slug)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Switch")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Now in workspace “Checkout team”.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Studies in Checkout team"
    )
    expect(page.get_by_role("link", name=theirs)).to_be_visible()
    expect(page.get_by_role("link", name=mine)).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Compare"
    ).click()
    design_a = page.get_by_label("Design A (baseline)")
    expect(design_a.locator("option")).to_have_text([theirs])
    expect(page.get_by_label("Study", exact=True).locator("option")).to_contain_text(
        [theirs]
    )

    # Switching on Compare stays on Compare, now with the other workspace's studies.
    switcher.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/compare")
    expect(page.get_by_role("status")).to_have_text("Now in workspace “Olivia”.")
    expect(design_a.locator("option")).to_have_text([mine])
    expect(
        page.get_by_text("None of your usability studies has variants.")
    ).to_be_visible()

    # Plan keeps its page too, under the chosen workspace.
    page.get_by_role("link", name="Plan").click()
    switcher.select_option(team.workspace.slug)
    page.get_by_role("button", name="Switch").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/plan")
    expect(page.get_by_role("heading", level=1)).to_have_text("How many participants?")
    expect(switcher).to_have_value(team.workspace.slug)

    # Back on the list, the choice has stuck.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Studies"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Studies in Checkout team"
    )


def test_viewer_reads_results_but_cannot_export(
    page: Page, live_server: LiveServer, team: Team, session: Session
) -> None:
    log_in(page, live_server, VIEWER)
    switcher = page.get_by_label("Workspace", exact=True)
    switcher.select_option(team.workspace.slug)
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("link", name=team.team_study.title).click()
    expect(
        page.get_by_text("You are a viewer in this study's workspace")
    ).to_be_visible()
    exports = page.get_by_role("region", name="Export")
    expect(exports.get_by_role("link", name=re.compile("Codebook"))).to_be_visible()
    for name in ("Tidy CSV files (zip)", "Everything as JSON", "Spreadsheet (XLSX)"):
        expect(exports.get_by_role("link", name=name)).to_have_count(0)

    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Results: {team.team_study.title}"
    )
    downloads = page.get_by_role("navigation", name="Downloads")
    expect(downloads.get_by_role("link", name="Download report (HTML)")).to_be_visible()
    expect(downloads.get_by_role("link", name="Data as XLSX")).to_have_count(0)
    codes = session.exec(
        select(Participant.code).where(Participant.study_id == team.team_study.id)
    ).all()
    shown = page.locator("main").inner_text()
    assert codes and not [code for code in codes if code in shown]

    slug = team.team_study.slug
    for path in ("export.zip", "export.xlsx"):
        response = page.goto(f"{live_server.url}/studies/{slug}/{path}")
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Your role does not allow this"
        )
        expect(page.get_by_text("needs the editor role")).to_be_visible()
        expect(page.get_by_text("you are a viewer there")).to_be_visible()
    # The JSON export answers in JSON, naming the role as well.
    response = page.goto(f"{live_server.url}/studies/{slug}/export.json")
    assert response is not None and response.status == 403
    assert "needs the editor role" in response.json()["message"]
    session.rollback()
    exported = session.exec(
        select(ActivityEntry).where(ActivityEntry.action == "exported")
    ).all()
    assert exported == []


#: Visible elements reaching past the right edge of the window (a phone user
#: would have to scroll sideways, or could not reach them at all).
PAST_THE_EDGE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("main *, header *")]
    .filter((e) => !e.closest(".visually-hidden"))
    .filter((e) => {
      const box = e.getBoundingClientRect();
      return box.width > 0 && box.right > width + 1;
    })
    .map((e) => e.outerHTML.slice(0, 80));
}"""


def test_team_pages_fit_a_phone_screen(
    browser: Browser,
    contexts: list[BrowserContext],
    live_server: LiveServer,
    team: Team,
    session: Session,
) -> None:
    from uxlab.workspaces import invite_member

    _, token = invite_member(
        session, team.workspace, "nia@example.com", WorkspaceRole.editor, by=None
    )
    phone = browser.new_context(viewport={"width": 375, "height": 740})
    contexts.append(phone)
    page = phone.new_page()
    log_in(page, live_server, OWNER)
    slug = team.workspace.slug
    for path in (
        f"/workspaces/{slug}/members",
        f"/workspaces/{slug}/activity",
        "/workspaces",
        "/",
    ):
        page.goto(live_server.url + path)
        assert page.evaluate(PAST_THE_EDGE) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    guest = browser.new_context(viewport={"width": 375, "height": 740})
    contexts.append(guest)
    join = guest.new_page()
    join.goto(f"{live_server.url}/join/{token}")
    assert join.evaluate(PAST_THE_EDGE) == []


@pytest.mark.parametrize("width", [1280, 375])
def test_switcher_list_and_button_share_one_line(
    browser: Browser,
    contexts: list[BrowserContext],
    live_server: LiveServer,
    team: Team,
    width: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    contexts.append(context)
    page = context.new_page()
    log_in(page, live_server, OWNER)
    label = page.locator(".workspace-switcher label").bounding_box()
    select = page.get_by_label("Workspace", exact=True).bounding_box()
    button = page.get_by_role("button", name="Switch").bounding_box()
    assert label and select and button
    for box in (label, button):
        middle = box["y"] + box["height"] / 2
        assert select["y"] <= middle <= select["y"] + select["height"], (box, select)
    if width >= 1024:
        # The whole top bar is one row on a laptop.
        studies = page.get_by_role("link", name="Studies").bounding_box()
        assert studies is not None
        middle = studies["y"] + studies["height"] / 2
        assert select["y"] <= middle <= select["y"] + select["height"]


def switcher_shows(page: Page) -> str:
    """The text of the switcher's selected option."""
    text: str = page.locator("#workspace-switch option:checked").inner_text()
    return text


def test_pages_of_a_shared_workspace_make_it_the_current_one(
    page: Page, live_server: LiveServer, team: Team
) -> None:
    log_in(page, live_server, VIEWER)
    assert switcher_shows(page) == "Victor (personal) · owner"
    slug = team.team_study.slug
    # Opened from a link, without touching the switcher.
    page.goto(f"{live_server.url}/studies/{slug}")
    expect(
        page.get_by_text("You are a viewer in this study's workspace")
    ).to_be_visible()
    assert switcher_shows(page) == "Checkout team · viewer"
    page.get_by_role("link", name="Studies", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Studies in Checkout team"
    )

    page.get_by_label("Workspace", exact=True).select_option(
        label="Victor (personal) · owner"
    )
    page.get_by_role("button", name="Switch").click()
    page.goto(f"{live_server.url}/workspaces/{team.workspace.slug}/members")
    assert switcher_shows(page) == "Checkout team · viewer"

    page.get_by_label("Workspace", exact=True).select_option(
        label="Victor (personal) · owner"
    )
    page.get_by_role("button", name="Switch").click()
    response = page.goto(f"{live_server.url}/studies/{slug}/export.zip")
    assert response is not None and response.status == 403
    expect(page.get_by_text("you are a viewer there")).to_be_visible()
    assert switcher_shows(page) == "Checkout team · viewer"
    page.get_by_role("link", name="Compare", exact=True).click()
    assert switcher_shows(page) == "Checkout team · viewer"


def test_switch_button_looks_the_same_on_every_page(
    page: Page, live_server: LiveServer, team: Team
) -> None:
    log_in(page, live_server, VIEWER)
    slug = team.team_study.slug
    looks = {}
    for path in (
        "/",
        f"/workspaces/{team.workspace.slug}/members",
        "/compare",
        "/plan",
        f"/studies/{slug}/export.zip",
    ):
        page.goto(live_server.url + path)
        button = page.get_by_role("button", name="Switch")
        box = button.bounding_box()
        assert box is not None
        size = button.evaluate("(b) => getComputedStyle(b).fontSize")
        looks[path] = (size, round(box["height"]), round(box["width"]))
    assert len(set(looks.values())) == 1, looks


def test_compare_without_studies_says_what_it_needs(
    page: Page, live_server: LiveServer, team: Team, session: Session
) -> None:
    empty = create_workspace(session, "Empty team", owner_email=OWNER)
    owner = session.exec(select(Workspace).where(Workspace.slug == empty.slug)).one()
    from uxlab.models import Researcher

    olivia = session.exec(select(Researcher).where(Researcher.email == OWNER)).one()
    add_member(session, owner, VIEWER, WorkspaceRole.viewer, by=olivia.id)
    log_in(page, live_server, VIEWER)
    # Victor's personal workspace has no studies; he owns it.
    page.get_by_role("link", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Nothing to compare yet")).to_be_visible()
    expect(page.get_by_text("Compare needs two studies")).to_be_visible()
    expect(page.get_by_role("button", name="Compare studies")).to_have_count(0)
    expect(page.get_by_role("combobox", name="Design A (baseline)")).to_have_count(0)
    page.get_by_role("link", name="Create or import a study").click()
    expect(page).to_have_url(f"{live_server.url}/studies/new")
    # A viewer is told who can add one, not offered a link that would refuse.
    page.goto(f"{live_server.url}/workspaces/{empty.slug}/members")
    page.get_by_role("link", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Nothing to compare yet")).to_be_visible()
    expect(page.get_by_role("link", name="Create or import a study")).to_have_count(0)
    expect(page.get_by_text("Editors and owners of this workspace")).to_be_visible()


def test_only_owner_is_not_offered_a_role_change_that_must_fail(
    page: Page, live_server: LiveServer, team: Team
) -> None:
    log_in(page, live_server, OWNER)
    page.goto(f"{live_server.url}/workspaces/{team.workspace.slug}/members")
    own = page.locator(f'tr[data-member="{OWNER}"]')
    expect(own.get_by_role("button", name=re.compile("Change role"))).to_have_count(0)
    expect(own.get_by_role("combobox")).to_have_count(0)
    expect(own.get_by_text("the only owner")).to_be_visible()
    other = page.locator(f'tr[data-member="{VIEWER}"]')
    expect(other.get_by_role("button", name=re.compile("Change role"))).to_be_visible()
