"""What a newcomer sees in the first hour, in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Locator, Page, Route, expect
from sqlmodel import Session, select

from tests.test_participation import make_study, open_token
from uxlab.accounts import create_researcher
from uxlab.analysis import analyse_study
from uxlab.demo import simulate_participants
from uxlab.export import export_csv_files
from uxlab.models import Participant
from uxlab.studies import import_study, load_study_file, parse_study

pytestmark = pytest.mark.browser

TEMPLATES = Path(__file__).parent.parent.parent / "study_templates"
DATA = Path(__file__).parent.parent / "data"


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


def test_participant_pages_speak_plainly(
    page: Page, live_server: Any, session: Session
) -> None:
    study = make_study(session, "participant_time_limit.yaml")
    title = re.compile("Library renewal study")
    link = f"{live_server.url}/s/{open_token(session, study)}"
    page.goto(link)
    expect(page).to_have_title(title)
    page.get_by_role("button", name="I agree, start the study").click()

    for task in ("Renew a loan", "Check your fees"):
        expect(page.get_by_role("heading", name=task)).to_be_visible()
        expect(page).to_have_title(title)
        if task == "Renew a loan":
            expect(page.get_by_text("Take up to 5 minutes.")).to_be_visible()
        page.get_by_role("button", name="Start task").click()
        page.get_by_role("button", name="I give up").click()
        expect(page.get_by_role("heading", name="How was that task?")).to_be_visible()
        expect(page).to_have_title(title)
        page.get_by_role("group").get_by_role("radio", name="5", exact=True).check()
        page.get_by_role("button", name="Next").click()

    # SUS with the second half left out: one sentence, the five items marked.
    expect(page).to_have_title(title)
    for n in range(1, 6):
        item(page, n).get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Please answer questions 6 to 10."
    )
    expect(page.get_by_role("alert")).not_to_contain_text("sus")
    for n in range(1, 11):
        marked = item(page, n).get_by_text("Please answer this question.")
        expect(marked).to_have_count(0 if n <= 5 else 1)
    for n in range(6, 11):
        item(page, n).get_by_role("radio", name="2", exact=True).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page).to_have_title(title)

    page.goto(link)
    expect(
        page.get_by_role("heading", name="You have already taken part")
    ).to_be_visible()
    expect(page.get_by_text("Library renewal study").first).to_be_visible()
    expect(page).to_have_title(title)
    expect(page.get_by_text(re.compile(r"Error \d+|already_finished"))).to_have_count(0)


def item(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def _log_in(page: Page, live_server: Any, email: str = "r@example.org") -> None:
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("long-enough")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


_CHART_TITLE_PX = """(figure) => {
  const svg = figure.querySelector("svg");
  const texts = [...svg.querySelectorAll("text")];
  const px = (t) => parseFloat(getComputedStyle(t).fontSize);
  const title = texts.reduce((a, b) => (px(b) > px(a) ? b : a));
  return px(title) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
}"""


def test_chart_titles_are_no_larger_than_headings(
    page: Page, live_server: Any, session: Session
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session,
        load_study_file(TEMPLATES / "ab-checkout.json"),
        owner=owner,
        source_text="",
    )
    simulate_participants(session, study, 20, np.random.default_rng(1))
    page.set_viewport_size({"width": 1600, "height": 1000})
    _log_in(page, live_server)
    for path in ("results", "report.html"):
        page.goto(f"{live_server.url}/studies/{study.slug}/{path}")
        heading = page.get_by_role("heading", name="Tasks", exact=True)
        heading_px = heading.evaluate("h => parseFloat(getComputedStyle(h).fontSize)")
        figures = page.locator("figure.chart-figure")
        expect(figures.first).to_be_visible()
        assert figures.count() >= 4
        for figure in figures.all():
            title_px = figure.evaluate(_CHART_TITLE_PX)
            assert title_px <= heading_px + 0.01, (path, title_px, heading_px)


def test_heatmaps_keep_their_space_before_they_load(
    page: Page, live_server: Any, session: Session
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session,
        load_study_file(TEMPLATES / "first-click.yaml"),
        owner=owner,
        source_text="",
    )
    simulate_participants(session, study, 12, np.random.default_rng(3))
    _log_in(page, live_server)
    held: list[Route] = []
    page.route("**/heatmap.png*", lambda route: held.append(route))
    page.goto(f"{live_server.url}/studies/{study.slug}/clicks")
    image = page.locator("img.heatmap").first
    expect(image).to_be_attached()
    # The page may ask for the image a moment after the element is there
    # (it is lazy-loaded); route handlers run while the test waits.
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the heatmap was not asked for within 10 s"
    box = image.bounding_box()
    assert box is not None and box["height"] > 100, box
    for route in held:
        route.continue_()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.heatmap')].every(i => i.naturalWidth)"
    )
    natural = image.evaluate("i => i.naturalWidth / i.naturalHeight")
    assert abs(box["width"] / box["height"] - natural) < 0.02 * natural


def test_results_of_a_study_nobody_took_are_a_short_page_with_its_link(
    page: Page, live_server: Any, session: Session
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session,
        load_study_file(TEMPLATES / "ab-checkout.json"),
        owner=owner,
        source_text="",
        publish=True,
    )
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    expect(
        page.get_by_role("heading", name="Nobody has taken part yet")
    ).to_be_visible()
    link = page.locator("#open-link")
    expect(link).to_contain_text(f"{live_server.url}/s/")
    for machinery in ("Methods", "Tasks", "Overview"):
        expect(page.get_by_role("heading", name=machinery, exact=True)).to_have_count(0)
    expect(page.get_by_label("Confidence level")).to_have_count(0)
    # The link shown is the one participants use.
    page.goto(link.inner_text())
    expect(page.get_by_role("button", name="I agree, start the study")).to_be_visible()


def test_a_draft_study_file_is_edited_in_the_browser_with_line_errors(
    page: Page, live_server: Any, session: Session
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    text = (DATA / "valid_study.yaml").read_text(encoding="utf-8")
    study = import_study(session, parse_study(text), owner=owner, source_text=text)
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/studies/{study.slug}")
    page.get_by_role("link", name="Edit study file").click()
    editor = page.get_by_label("Study file")
    expect(editor).to_have_value(text)

    broken = text.replace("    title: Read the help page", "    colour: blue")
    line = broken.splitlines().index("    colour: blue") + 1
    editor.fill(broken)
    page.get_by_role("button", name="Check and save").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("nothing was saved")
    expect(alert).to_contain_text(f"tasks[1].colour: unknown field (line {line})")
    expect(editor).to_have_value(broken)  # the text stays, to be fixed

    fixed = text.replace(
        "after_each_task:",
        "  - id: returns\n    title: Find the returns policy\n"
        '    success: {url_matches: "returns"}\nafter_each_task:',
    )
    editor.fill(fixed)
    page.get_by_role("button", name="Check and save").click()
    expect(page).to_have_url(f"{live_server.url}/studies/{study.slug}")
    expect(page.get_by_text("Find the returns policy").first).to_be_visible()

    download = page.request.get(f"{live_server.url}/studies/{study.slug}/study.yaml")
    assert download.ok
    assert download.text() == fixed
    assert f'filename="{study.slug}.yaml"' in download.headers["content-disposition"]


def test_any_study_file_downloads_as_yaml(
    page: Page, live_server: Any, session: Session
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    path = TEMPLATES / "ab-checkout.json"
    text = path.read_text(encoding="utf-8")
    study = import_study(
        session, load_study_file(path), owner=owner, source_text=text, publish=True
    )
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/studies/{study.slug}")
    expect(page.get_by_role("link", name="Edit study file")).to_have_count(0)
    with page.expect_download() as info:
        page.get_by_role("link", name="Study file (YAML)").click()
    saved = Path(info.value.path()).read_text(encoding="utf-8")
    assert parse_study(saved) == parse_study(text)
    assert not saved.lstrip().startswith("{")


def test_a_draft_is_previewed_as_a_participant_and_never_counted(
    page: Page, live_server: Any, session: Session
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    text = (DATA / "participant_time_limit.yaml").read_text(encoding="utf-8")
    study = import_study(session, parse_study(text), owner=owner, source_text=text)
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/studies/{study.slug}")
    page.get_by_role("button", name="Preview as a participant").click()
    expect(page.get_by_text("Preview: answers are not counted")).to_be_visible()
    page.get_by_role("button", name="I agree, start the study").click()
    expect(page.get_by_role("heading", name="Renew a loan")).to_be_visible()
    page.get_by_role("button", name="Start task").click()
    page.get_by_role("button", name="I give up").click()
    expect(page.get_by_role("heading", name="How was that task?")).to_be_visible()

    session.commit()  # end the test's own snapshot, to see the app's rows
    session.expire_all()
    people = session.exec(select(Participant)).all()
    assert len(people) == 1 and people[0].preview
    # Not counted: the results page has nobody, the export no row.
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    expect(
        page.get_by_role("heading", name="Nobody has taken part yet")
    ).to_be_visible()
    files = export_csv_files(session, study)
    assert files["participants.csv"].count("\n") == 1  # the header alone
    assert files["attempts.csv"].count("\n") == 1
    assert analyse_study(session, study).overview.started == 0
    # A preview does not lock the draft: its file still saves, previews go.
    page.goto(f"{live_server.url}/studies/{study.slug}/file")
    page.get_by_role("button", name="Check and save").click()
    expect(page).to_have_url(f"{live_server.url}/studies/{study.slug}")
    session.commit()
    session.expire_all()
    assert session.exec(select(Participant)).all() == []
