"""A moderated session in headless Chromium: moderator, participant and observer.

Three browser contexts (three separate people) against the live server: the
moderator drives the session from the console by keyboard, the participant's
page follows, an observer watches and takes notes. Then the network drops.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    expect,
)
from sqlmodel import Session, col, select

from tests.test_moderation import SECRET, moderated_study
from uxlab import moderation as m
from uxlab.models import (
    JudgedBy,
    ModeratedSession,
    Outcome,
    Participant,
    Response,
    SessionNote,
    Task,
    TaskAttempt,
)

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "mod@example.com", "long enough pw"


@pytest.fixture(name="contexts")
def contexts_fixture(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def new_page(browser: Browser, contexts: list[BrowserContext]) -> Page:
    context = browser.new_context()
    contexts.append(context)
    return context.new_page()


def console_errors(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    return problems


def answer(page: Page, group: Locator, value: str) -> None:
    """Choose a value and wait until the autosave has reached the server."""
    with page.expect_response(lambda r: r.url.endswith("/answer")) as saved:
        group.get_by_role("radio", name=value, exact=True).check()
    assert saved.value.status == 200


def item(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def note(page: Page, tag: str, text: str) -> None:
    """Type a tagged note the keyboard way: the tag key, the text, Enter."""
    page.keyboard.press(tag)
    expect(page.locator("#note-text")).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.locator("#note-text")).not_to_be_focused()  # shortcuts work again


def stored(page: Page, text: str) -> Locator:
    return page.locator("#note-list .note:not(.is-pending)", has_text=text)


def task_row(page: Page, key: str) -> Locator:
    return page.locator(f'#task-list [data-task="{key}"]')


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Studies")).to_be_visible()


def test_moderator_drives_a_session_the_participant_follows(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    study = moderated_study(session)
    mod = new_page(browser, contexts)
    mod_errors = console_errors(mod)
    log_in(mod, url)

    # Schedule a session from the study page; take the two links.
    mod.goto(f"{url}/studies/{study.slug}")
    mod.get_by_role("link", name="Sessions", exact=True).click()
    mod.get_by_label("Participant label").fill("P1 (Ana)")
    mod.get_by_label("Scheduled time").fill("2026-12-01T10:30")
    mod.get_by_role("button", name="Schedule session").click()
    expect(mod.get_by_role("heading", name="Session: P1 (Ana)")).to_be_visible()
    participant_url = mod.locator("#participant-link").inner_text()
    observer_url = mod.locator(".observer-links code").first.inner_text()
    mod.get_by_role("link", name="Open the moderator console").click()
    expect(mod.locator("#participant-state")).to_contain_text("not opened")

    part = new_page(browser, contexts)
    part_errors = console_errors(part)
    part.goto(participant_url)
    part.get_by_role("button", name="I agree, start the study").click()
    expect(part.get_by_role("heading", name="Browse the jackets")).to_be_visible()
    expect(
        part.locator("#main").get_by_text("Your moderator will start this task")
    ).to_be_visible()
    expect(part.get_by_role("button", name="I'm done")).to_have_count(0)

    obs = new_page(browser, contexts)
    obs.goto(observer_url)
    expect(obs.get_by_role("button", name=re.compile("Start task"))).to_have_count(0)

    state = mod.locator("#participant-state")
    expect(state).to_contain_text("Task 1: Browse the jackets")
    expect(state).to_contain_text("Given")

    # Task 1: start, a quote, success, on to the SEQ.
    mod.keyboard.press("s")
    expect(task_row(mod, "browse")).to_have_attribute("data-state", "running")
    expect(
        part.locator("#main").get_by_text("Your moderator has started this task")
    ).to_be_visible()
    expect(mod.locator("#task-timer")).not_to_have_text("0:00", timeout=5000)
    note(mod, "q", "Likes the colours")
    expect(stored(mod, "Likes the colours")).to_contain_text("quote")
    mod.keyboard.press("1")
    expect(task_row(mod, "browse")).to_contain_text("success")
    expect(part.locator("#main").get_by_text("That is this task done")).to_be_visible()
    mod.keyboard.press("n")
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()

    # The observer sees the moderator's note and adds one of their own.
    expect(stored(obs, "Likes the colours")).to_be_visible()
    note(obs, "i", "Offer guest checkout")
    expect(stored(mod, "Offer guest checkout")).to_contain_text("idea")
    refused = obs.request.post(observer_url + "/control", data={"action": "next"})
    assert refused.status == 403

    answer(part, part.get_by_role("group"), "6")
    part.get_by_role("button", name="Next").click()
    expect(
        part.get_by_role("heading", name="Add a jacket to your cart")
    ).to_be_visible()

    # Task 2: a tag picked outside the note box, a reason, partial.
    expect(state).to_contain_text("Task 2: Add a jacket to your cart")
    mod.keyboard.press("s")
    expect(task_row(mod, "add-to-cart")).to_have_attribute("data-state", "running")
    mod.keyboard.press("c")
    expect(mod.locator("#note-text")).to_be_focused()
    mod.keyboard.type("Looks for the cart icon")
    mod.keyboard.press("Enter")  # saves, and the next key is a shortcut again
    mod.keyboard.press("r")
    mod.keyboard.type("needed a hint")
    mod.keyboard.press("Escape")
    mod.keyboard.press("2")
    expect(task_row(mod, "add-to-cart")).to_contain_text("partial — needed a hint")
    mod.keyboard.press("n")
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()
    answer(part, part.get_by_role("group"), "4")
    part.get_by_role("button", name="Next").click()
    expect(part.get_by_role("heading", name="Check out")).to_be_visible()

    # Task 3: an error note, failure, on to the SEQ; the participant finishes.
    expect(state).to_contain_text("Task 3: Check out")
    mod.keyboard.press("s")
    expect(task_row(mod, "checkout")).to_have_attribute("data-state", "running")
    note(mod, "e", "Payment error shown")
    mod.keyboard.press("3")
    expect(task_row(mod, "checkout")).to_contain_text("failure")
    expect(stored(mod, "Payment error shown")).to_be_visible()
    mod.keyboard.press("n")
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()
    answer(part, part.get_by_role("group"), "2")
    part.get_by_role("button", name="Next").click()
    expect(part.get_by_role("heading", name="System Usability Scale")).to_be_visible()
    for number in range(1, 11):
        answer(part, item(part, number), "4")
    part.get_by_role("button", name="Next").click()
    for number in (1, 2):
        answer(part, item(part, number), "5")
    part.get_by_role("button", name="Next").click()
    expect(part.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(state).to_contain_text("Finished")
    assert mod_errors == [] and part_errors == []

    # What was stored.
    session.commit()  # end the test's snapshot: read what the server wrote
    ms = session.exec(select(ModeratedSession)).one()
    tasks = {t.id: t.key for t in session.exec(select(Task)).all()}
    attempts = session.exec(
        select(TaskAttempt).order_by(col(TaskAttempt.position))
    ).all()
    assert [(tasks[a.task_id], a.outcome) for a in attempts] == [
        ("browse", Outcome.success),
        ("add-to-cart", Outcome.partial),
        ("checkout", Outcome.failure),
    ]
    assert {a.judged_by for a in attempts} == {JudgedBy.moderator}
    assert attempts[1].outcome_reason == "needed a hint"
    assert all(a.duration_s is not None and a.duration_s > 0 for a in attempts)
    notes = session.exec(select(SessionNote).order_by(col(SessionNote.id))).all()
    assert [(n.tag, tasks.get(n.task_id or 0), n.author_kind) for n in notes] == [
        ("q", "browse", "moderator"),
        ("i", "browse", "observer"),  # typed while the participant was on its SEQ
        ("c", "add-to-cart", "moderator"),
        ("e", "checkout", "moderator"),
    ]
    times = [n.session_ms for n in notes]
    assert times == sorted(times) and times[-1] > 0
    participant = session.exec(select(Participant)).one()
    assert participant.step == "done" and participant.finished_at is not None
    answers = session.exec(select(Response)).all()
    assert sorted({r.questionnaire for r in answers}) == ["seq", "sus", "umux_lite"]
    assert len(answers) == 3 + 10 + 2
    kinds = [i.kind for i in m.timeline(session, ms)]
    assert kinds.count("start") == 3 and kinds.count("outcome") == 3
    assert kinds.count("note") == 4 and kinds.count("step") == 3
    assert kinds[0] == "consent"

    # The session page shows the same, after the session.
    mod.goto(f"{url}/studies/{study.slug}/sessions/{ms.id}")
    expect(mod.locator("#outcomes")).to_contain_text("needed a hint")
    expect(mod.locator(".timeline .tl-note")).to_have_count(4)


def test_reconnects_lose_nothing_and_a_reload_lands_on_the_moderators_step(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    study = moderated_study(session)
    ms = m.schedule_session(
        session, study, label="P2", scheduled_at=None, secret=SECRET
    )
    console = f"{url}/studies/{study.slug}/sessions/{ms.id}/console"
    part = new_page(browser, contexts)
    part.goto(f"{url}/s/{m.participant_link_token(session, ms, SECRET)}")
    part.get_by_role("button", name="I agree, start the study").click()
    expect(part.get_by_role("heading", name="Browse the jackets")).to_be_visible()

    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(console)
    expect(mod.locator("#participant-state")).to_contain_text("Task 1")

    # The moderator's network drops while they work: everything waits, visibly.
    mod.context.set_offline(True)
    expect(mod.locator("#connection")).to_contain_text("Reconnecting")
    mod.keyboard.press("s")
    for text in ("Offline one", "Offline two", "Offline three"):
        note(mod, "q", text)
    expect(mod.locator("#note-list .note.is-pending")).to_have_count(3)
    expect(mod.locator("#connection")).to_contain_text("changes waiting to be sent")
    mod.context.set_offline(False)
    expect(mod.locator("#note-list .note.is-pending")).to_have_count(0)
    expect(mod.locator("#connection")).to_be_hidden()
    expect(task_row(mod, "browse")).to_have_attribute("data-state", "running")

    # A second tab shows the same state; what both send is stored once.
    tab = mod.context.new_page()
    tab.goto(console)
    for text in ("Offline one", "Offline two", "Offline three"):
        expect(stored(tab, text)).to_have_count(1)
    tab.keyboard.press("1")
    expect(task_row(mod, "browse")).to_contain_text("success")
    mod.keyboard.press("n")
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()
    expect(tab.locator("#participant-state")).to_contain_text("Questions after task 1")

    # The participant reloads: still where the moderator put them.
    part.reload()
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()
    # The participant's network drops; the moderator moves them on meanwhile.
    part.context.set_offline(True)
    expect(part.get_by_text("Reconnecting…")).to_be_visible()
    mod.keyboard.press("n")  # the SEQ is unanswered: n again confirms
    expect(mod.locator("#control-message")).to_contain_text("0 of 1 answered")
    mod.keyboard.press("n")
    expect(mod.locator("#participant-state")).to_contain_text("Task 2")
    part.context.set_offline(False)
    expect(
        part.get_by_role("heading", name="Add a jacket to your cart")
    ).to_be_visible()

    session.commit()
    notes = session.exec(select(SessionNote)).all()
    assert sorted(n.text for n in notes) == [
        "Offline one",
        "Offline three",
        "Offline two",
    ]
    assert [n.task_id for n in notes] == [notes[0].task_id] * 3
    attempts = session.exec(select(TaskAttempt)).all()
    assert [(a.outcome, a.judged_by) for a in attempts] == [
        (Outcome.success, JudgedBy.moderator)
    ]
    participant = session.exec(select(Participant)).one()
    assert participant.step == "task:1" == participant.moderator_step

    # The moderator ends the session early (x, twice): both screens say so.
    mod.keyboard.press("x")
    expect(mod.get_by_text("Press x (or End session) again")).to_be_visible()
    mod.keyboard.press("x")
    expect(mod.get_by_text("This session has ended.")).to_be_visible()
    expect(mod.get_by_role("button", name=re.compile("Start task"))).to_be_disabled()
    expect(part.get_by_role("heading", name="This session has ended")).to_be_visible()
    part.reload()
    expect(part.get_by_role("heading", name="This session has ended")).to_be_visible()


def test_session_times_are_entered_and_shown_in_the_researchers_zone(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    """A researcher in Berlin schedules 14:00 their time, in winter and in summer."""
    url = live_server.url
    study = moderated_study(session)
    context = browser.new_context(timezone_id="Europe/Berlin", locale="en-GB")
    contexts.append(context)
    mod = context.new_page()
    errors = console_errors(mod)
    log_in(mod, url)

    for label, day, utc_hour in (
        ("Winter", "2026-12-01", 13),
        ("Summer", "2026-07-01", 12),
    ):
        mod.goto(f"{url}/studies/{study.slug}/sessions")
        expect(mod.locator("#scheduled_at-hint")).to_have_text(
            "In your time zone (Europe/Berlin)."
        )
        mod.get_by_label("Participant label").fill(label)
        mod.get_by_label("Scheduled time").fill(f"{day}T14:00")
        mod.get_by_role("button", name="Schedule session").click()
        expect(mod.get_by_role("heading", name=f"Session: {label}")).to_be_visible()
        shown = mod.locator(".page-head time")
        expect(shown).to_have_text(re.compile(rf"^{day} 14:00 CES?T$"))
        session.commit()  # end the test's snapshot: read what the server wrote
        ms = session.exec(
            select(ModeratedSession).where(ModeratedSession.label == label)
        ).one()
        assert ms.scheduled_at is not None
        assert (ms.scheduled_at.hour, ms.scheduled_at.minute) == (utc_hour, 0)

    mod.goto(f"{url}/studies/{study.slug}/sessions")
    expect(mod.locator("table.sessions time")).to_have_text(
        ["2026-07-01 14:00 CEST", "2026-12-01 14:00 CET"]  # in time order
    )
    assert errors == []
