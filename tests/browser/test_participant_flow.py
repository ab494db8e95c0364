"""A participant's whole study in headless Chromium, and the same by keyboard on a phone."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, expect
from sqlmodel import Session, col, select

from tests.test_participation import make_study, open_token
from uxlab.export import export_csv_files
from uxlab.models import Event, Outcome, Participant, Response, Study, TaskAttempt

pytestmark = pytest.mark.browser


def watch(page: Page) -> list[str]:
    """Collect script dialogs and console errors (CSP violations land there)."""
    problems: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        # A late autosave for a page already submitted gets 409: expected, ignored.
        if message.type == "error" and "status of 409" not in message.text:
            problems.append(f"console: {message.text}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    return problems


def item(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def answer(page: Page, group: Locator, value: str) -> None:
    """Choose a value and wait until the autosave has reached the server."""
    with page.expect_response(lambda r: r.url.endswith("/answer")) as saved:
        group.get_by_role("radio", name=value, exact=True).check()
    assert saved.value.status == 200


@pytest.mark.reliability
def test_participant_takes_a_whole_study(
    page: Page, live_server: Any, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    expect(page).to_have_url(f"{live_server.url}/take/{study.slug}")
    expect(page.get_by_text("Save this link to continue later")).to_be_visible()
    page.get_by_role("button", name="I agree, start the study").click()

    # Task 1 opens the site in a new tab, with the attempt token on its URL.
    expect(page.get_by_role("heading", name="Find your cart")).to_be_visible()
    expect(page.get_by_role("button", name="I'm done")).to_be_hidden()
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Start task").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert "/static/first-click/shop-home.png?from=study&uxlab_attempt=" in popup.url
    popup.close()
    expect(page.get_by_role("button", name="I'm done")).to_be_focused()
    page.get_by_role("button", name="I'm done").click()

    expect(page.get_by_role("heading", name="How was that task?")).to_be_visible()
    answer(page, page.get_by_role("group"), "6")
    page.get_by_role("button", name="Next").click()

    # Task 2 has no site: Start stays in this tab; the participant gives up.
    expect(page.get_by_role("heading", name="Look around")).to_be_visible()
    # The browser's own clock (client_duration_ms) runs from a Start pressed
    # after participant.js has started, across the page the Start leads to.
    clock = page.locator("[data-task]")
    expect(clock).to_have_attribute("data-clock", "ready")
    page.get_by_role("button", name="Start task").click()
    expect(clock).to_have_attribute("data-clock", "on")
    page.get_by_role("button", name="I give up").click()
    answer(page, page.get_by_role("group"), "3")
    page.get_by_role("button", name="Next").click()

    # SUS: six answers, a reload, and the rest.
    expect(page.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    for number in range(1, 7):
        answer(page, item(page, number), "4")
    page.reload()
    for number in range(1, 7):
        expect(
            item(page, number).get_by_role("radio", name="4", exact=True)
        ).to_be_checked()
    expect(item(page, 7).get_by_role("radio").first).to_be_focused()
    for number in range(7, 11):
        answer(page, item(page, number), "2")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.get_by_text("You can close this page now.")).to_be_visible()
    assert problems == []

    session.commit()  # end the test's snapshot: read what the server wrote
    person = session.exec(select(Participant)).one()
    assert person.step == "done" and person.progress == 100
    attempts = session.exec(
        select(TaskAttempt).order_by(col(TaskAttempt.position))
    ).all()
    assert [a.outcome for a in attempts] == [Outcome.success, Outcome.abandoned]
    for attempt in attempts:
        assert attempt.duration_s is not None and attempt.duration_s > 0
        assert attempt.client_duration_ms is not None and attempt.client_duration_ms > 0
    responses = session.exec(select(Response)).all()
    per_item = Counter((r.questionnaire, r.scope, r.item) for r in responses)
    assert len(responses) == 12 and set(per_item.values()) == {1}
    sus = {r.item: r.value_num for r in responses if r.questionnaire == "sus"}
    assert sus == {f"q{i}": 4.0 if i <= 6 else 2.0 for i in range(1, 11)}

    files = export_csv_files(session, session.get(Study, study.id) or study)
    table = {
        name: list(csv.DictReader(io.StringIO(text))) for name, text in files.items()
    }
    (row,) = table["participants.csv"]
    assert row["participant"] == person.code and row["finished"] == "true"
    assert row["progress"] == "100"
    exported = table["attempts.csv"]
    assert [(r["task"], r["outcome"]) for r in exported] == [
        ("find-cart", "success"),
        ("look-around", "abandoned"),
    ]
    assert all(
        float(r["duration_s"]) > 0 and float(r["client_duration_s"]) > 0
        for r in exported
    )
    answers = table["responses.csv"]
    assert len(answers) == 12
    assert Counter(r["questionnaire"] for r in answers) == {"seq": 2, "sus": 10}
    assert {r["task"] for r in answers if r["questionnaire"] == "seq"} == {
        "find-cart",
        "look-around",
    }


def tab_to(page: Page, target: Locator, limit: int = 25) -> None:
    """Press Tab until the control is focused: proof it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with Tab")


def test_phone_width_keyboard_only(
    page: Page, live_server: Any, session: Session
) -> None:
    study = make_study(session, "participant_keyboard.yaml")
    page.set_viewport_size({"width": 375, "height": 740})
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    tab_to(page, page.get_by_role("button", name="I agree, start the study"))
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Browse the shop")).to_be_visible()
    clock = page.locator("[data-task]")  # the browser's clock: see above
    expect(clock).to_have_attribute("data-clock", "ready")
    tab_to(page, page.get_by_role("button", name="Start task"))
    page.keyboard.press("Enter")
    expect(clock).to_have_attribute("data-clock", "on")
    expect(page.get_by_role("button", name="I'm done")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="I'm done"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    tab_to(page, item(page, 1).get_by_role("radio").first)
    for number in range(1, 11):
        page.keyboard.press("Space")  # choose 1
        page.keyboard.press("ArrowRight")  # then 2
        page.keyboard.press("ArrowRight")  # then 3
        expect(
            item(page, number).get_by_role("radio", name="3", exact=True)
        ).to_be_checked()
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert problems == []

    session.commit()
    values = [r.value_num for r in session.exec(select(Response)).all()]
    assert values == [3.0] * 10
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.outcome == Outcome.success and attempt.client_duration_ms


def test_first_click_on_the_image(
    page: Page, live_server: Any, session: Session
) -> None:
    study = make_study(session, "participant_first_click.yaml")
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    page.get_by_role("button", name="Start: show the picture").click()
    image = page.get_by_role("img", name="The page for this task")
    box = image.bounding_box()
    assert box is not None
    image.click(position={"x": box["width"] * 0.9, "y": box["height"] * 0.05})
    expect(page.get_by_role("heading", name="Anything else?")).to_be_visible()
    page.get_by_label("Tell us anything else you noticed.").fill(
        "The cart is <b>easy</b>"
    )
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert problems == []

    session.commit()
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.outcome == Outcome.success and attempt.client_duration_ms
    event = session.exec(select(Event)).one()
    assert event.payload["x"] == pytest.approx(0.9, abs=0.01)
    assert event.payload["y"] == pytest.approx(0.05, abs=0.01)
    assert session.exec(select(Response)).one().value_text == "The cart is <b>easy</b>"


@pytest.mark.parametrize("width", [320, 375])
def test_nps_scale_stays_on_one_row_on_a_phone(
    page: Page, live_server: Any, session: Session, width: int
) -> None:
    """0 to 10 read as one line, each choice at least 24 px wide (WCAG 2.5.8)."""
    study = make_study(session, "../../study_templates/touchpoint-survey.yaml")
    page.set_viewport_size({"width": width, "height": 740})
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    options = page.locator('.scale[data-points="11"] .scale-option')
    expect(options).to_have_count(11)
    # Measured once the page's stylesheets have loaded, not while it streams in.
    page.wait_for_load_state("load")
    boxes = [options.nth(i).bounding_box() or {} for i in range(11)]
    assert len({round(box["y"]) for box in boxes}) == 1, boxes
    assert all(box["width"] >= 24 for box in boxes), boxes
    assert [box["x"] for box in boxes] == sorted(box["x"] for box in boxes)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


#: The wall clock jumps three hours ahead (a time-zone or NTP change), for every
#: page loaded from now on; the monotonic performance.now() does not.
_CLOCK_JUMP = """
(() => {
  const Real = Date;
  const skew = 3 * 3600 * 1000;
  class Jumped extends Real {
    constructor(...args) {
      if (args.length === 0) super(Real.now() + skew);
      else super(...args);
    }
    static now() {
      return Real.now() + skew;
    }
  }
  window.Date = Jumped;
})();
"""


@pytest.mark.reliability
def test_a_clock_change_and_a_reload_mid_task_keep_the_browsers_duration(
    page: Page, live_server: Any, session: Session
) -> None:
    """Reference case 10: 10,801,950 ms were once stored for a 1.9 s attempt."""
    study = make_study(session, "participant_keyboard.yaml")
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    page.get_by_role("button", name="Start task").click()
    expect(page.get_by_role("button", name="I'm done")).to_be_visible()
    page.wait_for_timeout(400)

    page.context.add_init_script(_CLOCK_JUMP)
    page.reload()
    assert (
        page.evaluate("Date.now() - performance.timeOrigin") > 3 * 3600 * 1000 - 60_000
    )
    page.wait_for_timeout(400)
    page.get_by_role("button", name="I'm done").click()
    expect(page.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    assert problems == []

    session.commit()
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.ended_at is not None and attempt.started_at is not None
    server_ms = (attempt.ended_at - attempt.started_at).total_seconds() * 1000
    # The browser's own span (both loads, the reload's gap not counted) is kept:
    # it is at least the two waits and no longer than the server's span.
    assert not attempt.client_clock_disagreed
    assert attempt.client_duration_ms is not None
    assert 800 <= attempt.client_duration_ms <= server_ms
