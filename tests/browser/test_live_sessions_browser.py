"""Moderated sessions as people meet them: notes typed in a hurry, networks
that drop, pages closed and reopened. Each browser context is one person.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, col, select

from tests.browser.test_moderated_session import (  # noqa: F401 - a fixture
    contexts_fixture,
    log_in,
    new_page,
    stored,
)
from tests.test_moderation import SECRET, join, moderated_study
from uxlab import moderation as m
from uxlab import participation as p
from uxlab.export import export_csv_files
from uxlab.models import (
    ModeratedSession,
    Outcome,
    SessionNote,
    Study,
    TaskAttempt,
)

pytestmark = pytest.mark.browser


def console(
    browser: Browser, contexts: list[BrowserContext], url: str, session: Session
) -> tuple[Page, ModeratedSession]:
    """A session whose participant has joined, and its console, logged in."""
    study = moderated_study(session)
    ms = m.schedule_session(
        session, study, label="P1", scheduled_at=None, secret=SECRET
    )
    join(session, ms)
    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{study.slug}/sessions/{ms.id}/console")
    expect(mod.locator("#participant-state")).to_contain_text("Task 1")
    return mod, ms


def participation_token(session: Session, ms: ModeratedSession) -> str:
    """The participant's own token, as their browser holds it."""
    link = m.participant_link_token(session, ms, SECRET)
    return p.enter_with_invite(session, link, secret=SECRET).token


def saved_notes(session: Session) -> list[tuple[str, str]]:
    session.commit()  # end the test's snapshot: read what the server wrote
    notes = session.exec(select(SessionNote).order_by(col(SessionNote.id))).all()
    return [(n.tag, n.text) for n in notes]


def test_every_letter_typed_in_the_note_box_is_kept(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    mod, _ = console(browser, contexts, live_server.url, session)
    chip = mod.locator("#note-tag-chip")
    keys = mod.keyboard

    # A tag key outside the box picks the tag, shown as a chip, and opens the
    # box; the note typed next keeps its first letter.
    keys.press("c")
    expect(mod.locator("#note-text")).to_be_focused()
    expect(chip).to_contain_text("confusion")
    keys.type("clicked the logo twice")
    keys.press("Enter")
    expect(stored(mod, "clicked the logo twice")).to_contain_text("confusion")
    expect(chip).to_be_hidden()  # the next note starts untagged again

    # Notes starting with a tag's letter, typed after / or a click.
    keys.press("/")
    keys.type("quickly found it")
    keys.press("Enter")
    expect(stored(mod, "quickly found it")).to_be_visible()
    mod.locator("#note-text").click()
    keys.type("idea: a bigger cart")
    keys.press("Enter")
    expect(stored(mod, "idea: a bigger cart")).to_be_visible()

    # Alt and a tag key pick the tag from inside the box; the chip removes it.
    keys.press("/")
    keys.press("Alt+e")
    expect(chip).to_contain_text("error")
    keys.type("every letter")
    chip.get_by_role("button", name="Remove the tag error").click()
    expect(chip).to_be_hidden()
    mod.locator("#note-text").press("Enter")
    expect(stored(mod, "every letter")).to_be_visible()

    assert saved_notes(session) == [
        ("c", "clicked the logo twice"),
        ("q", "quickly found it"),
        ("q", "idea: a bigger cart"),
        ("q", "every letter"),
    ]


def scheduled(session: Session) -> tuple[str, ModeratedSession]:
    study = moderated_study(session)
    ms = m.schedule_session(
        session, study, label="P1", scheduled_at=None, secret=SECRET
    )
    return study.slug, ms


def participant_joins(
    page: Page, url: str, session: Session, ms: ModeratedSession
) -> None:
    page.goto(f"{url}/s/{m.participant_link_token(session, ms, SECRET)}")
    page.get_by_role("button", name="I agree, start the study").click()
    expect(page.get_by_role("heading", name="Browse the jackets")).to_be_visible()


def test_a_participant_offline_while_the_session_moves_on_catches_up(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    part = new_page(browser, contexts)
    participant_joins(part, url, session, ms)
    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    expect(mod.locator("#participant-state")).to_contain_text("Task 1")
    mod.keyboard.press("s")
    expect(
        part.locator("#main").get_by_text("Your moderator has started this task")
    ).to_be_visible()

    # The participant's network drops; the moderator judges the task and ends
    # the session. The participant's page waits, saying so, styled.
    part.context.set_offline(True)
    notice = part.get_by_text("Reconnecting…")
    expect(notice).to_be_visible()
    mod.keyboard.press("1")
    expect(mod.locator('#task-list [data-task="browse"]')).to_contain_text("success")
    mod.keyboard.press("x")
    mod.keyboard.press("x")
    expect(mod.get_by_text("This session has ended.")).to_be_visible()
    part.wait_for_timeout(3000)  # what the page would do with the news, it has done
    assert part.url.startswith(url), f"the page left for {part.url}"
    expect(notice).to_be_visible()
    header = part.locator(".site-header").bounding_box()
    shown = notice.bounding_box()
    assert header is not None and shown is not None
    assert shown["y"] >= header["y"] + header["height"]  # below the header
    assert notice.evaluate("n => getComputedStyle(n).backgroundColor") not in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )

    # Back online: the page moves on by itself.
    part.context.set_offline(False)
    expect(part.get_by_role("heading", name="This session has ended")).to_be_visible()


def test_the_console_shows_whether_the_participants_page_is_open(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    part = new_page(browser, contexts)
    participant_joins(part, url, session, ms)
    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    state = mod.locator("#participant-state")
    expect(state).to_contain_text("Task 1")
    expect(state.locator("[data-presence]")).to_have_text("Connected")

    # The participant closes their tab: the console says so, and when they
    # were last seen, instead of "Now on Task 1".
    part.close()
    expect(state.locator("[data-presence]")).to_contain_text(
        "Not connected", timeout=15_000
    )
    expect(state.locator("[data-presence]")).to_contain_text("last seen")
    expect(state).to_contain_text("Was on")

    # Start asks first: nobody is there to see it.
    mod.keyboard.press("s")
    expect(mod.locator("#control-message")).to_contain_text(
        "Nobody is on the participant's page"
    )
    expect(mod.locator('#task-list [data-task="browse"]')).to_have_attribute(
        "data-state", "waiting"
    )
    mod.keyboard.press("s")  # again: start anyway
    expect(mod.locator('#task-list [data-task="browse"]')).to_have_attribute(
        "data-state", "running"
    )

    # They come back: connected again.
    back = new_page(browser, contexts)
    back.context.add_cookies(part.context.cookies())
    back.goto(f"{url}/take/{slug}")
    expect(state.locator("[data-presence]")).to_have_text("Connected")
    expect(state).to_contain_text("Now on")


def test_an_outcome_pressed_offline_keeps_the_time_it_was_pressed(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    part = new_page(browser, contexts)
    participant_joins(part, url, session, ms)
    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    row = mod.locator('#task-list [data-task="browse"]')
    expect(mod.locator("#participant-state")).to_contain_text("Connected")
    mod.keyboard.press("s")
    expect(row).to_have_attribute("data-state", "running")
    mod.wait_for_timeout(1000)

    # Judged 1 s in, while offline; sent 5 s later.
    mod.context.set_offline(True)
    expect(mod.locator("#connection")).to_contain_text("Reconnecting")
    mod.keyboard.press("1")
    expect(row).to_contain_text("not sent yet")
    expect(row).not_to_have_attribute("data-state", "running")
    timer = mod.locator("#task-timer").inner_text()
    mod.wait_for_timeout(5000)
    expect(mod.locator("#task-timer")).to_have_text(timer)  # stopped when pressed
    mod.context.set_offline(False)
    expect(row).to_contain_text("success")
    expect(row).not_to_contain_text("not sent yet")

    session.commit()
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.outcome == Outcome.success
    assert attempt.duration_s is not None
    # Pressed about 1 s in (plus the test's own steps); sent 5 s later.
    assert attempt.duration_s < 4.0, attempt.duration_s


def test_only_the_moderator_starts_a_task(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    part = new_page(browser, contexts)
    participant_joins(part, url, session, ms)
    open_site = part.get_by_role("button", name="Open the site")
    expect(
        part.locator("#main").get_by_text("Your moderator will start this task")
    ).to_be_visible()
    expect(open_site).to_have_count(0)
    # A start sent anyway (an old page, a crafted form) starts nothing.
    task_id = part.locator("[data-task]").get_attribute("data-task")
    refused = part.request.post(
        f"{url}/take/{slug}/start",
        form={"step": "task:0", "task": str(task_id)},
        max_redirects=0,
    )
    assert refused.status in (200, 303)
    session.commit()
    assert session.exec(select(TaskAttempt)).first() is None

    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    expect(mod.locator("#participant-state")).to_contain_text("Connected")
    mod.keyboard.press("s")
    expect(mod.locator('#task-list [data-task="browse"]')).to_have_attribute(
        "data-state", "running"
    )
    expect(
        part.locator("#main").get_by_text("Your moderator has started this task")
    ).to_be_visible()
    expect(open_site).to_be_visible()


def test_skipping_a_task_not_started_moves_the_participants_page_on(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    part = new_page(browser, contexts)
    participant_joins(part, url, session, ms)
    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    expect(mod.locator("#participant-state")).to_contain_text("Connected")
    mod.keyboard.press("0")
    expect(mod.locator('#task-list [data-task="browse"]')).to_contain_text("skipped")
    expect(part.locator("#main").get_by_text("That is this task done")).to_be_visible()
    mod.keyboard.press("n")
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()


def test_the_observers_page_says_when_the_session_has_ended(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    mod, ms = console(browser, contexts, url, session)
    obs = new_page(browser, contexts)
    obs.goto(f"{url}/observe/{m.observer_token(m.observers(session, ms)[0], SECRET)}")
    expect(obs.locator("#participant-state")).to_contain_text("Task 1")
    ended = obs.get_by_text("This session has ended")
    expect(ended).to_be_hidden()
    mod.keyboard.press("x")
    mod.keyboard.press("x")
    expect(mod.get_by_text("This session has ended.")).to_be_visible()
    expect(ended).to_be_visible()
    obs.reload()
    expect(ended).to_be_visible()


def test_each_console_tab_hears_what_became_of_its_own_move(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    part = new_page(browser, contexts)
    participant_joins(part, url, session, ms)
    first = new_page(browser, contexts)
    log_in(first, url)
    first.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    second = first.context.new_page()
    second.goto(first.url)
    for tab in (first, second):
        expect(tab.locator("#participant-state")).to_contain_text("Connected")
    first.keyboard.press("s")
    expect(
        part.locator("#main").get_by_text("Your moderator has started this task")
    ).to_be_visible()
    first.keyboard.press("1")
    expect(part.locator("#main").get_by_text("That is this task done")).to_be_visible()

    # Both tabs press n while offline: both moves wait, then go out together.
    first.context.set_offline(True)
    for tab in (first, second):
        expect(tab.locator("#connection")).to_contain_text("Reconnecting")
        tab.keyboard.press("n")
    first.context.set_offline(False)
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()
    for tab in (first, second):
        expect(tab.locator("#control-message")).not_to_be_empty()
    said = sorted(t.locator("#control-message").inner_text() for t in (first, second))
    assert said == [
        "Moved them on to Questions after task 1.",
        "They had already moved on.",
    ], said
    session.commit()
    session.refresh(ms)
    participant = m.session_participant(session, ms)
    assert participant is not None and participant.step == "seq:0"  # once


def test_an_edit_refused_as_stale_keeps_the_typed_text_beside_the_other(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    first, _ = console(browser, contexts, live_server.url, session)
    first.keyboard.press("q")
    first.keyboard.type("first draft")
    first.keyboard.press("Enter")
    expect(stored(first, "first draft")).to_be_visible()
    second = first.context.new_page()
    second.goto(first.url)

    first.locator("#note-list").get_by_role("button", name="Edit").click()
    first.get_by_label("Edit note").fill("the logo, clicked twice")
    second.locator("#note-list").get_by_role("button", name="Edit").click()
    second.get_by_label("Edit note").fill("clicked the logo")
    second.get_by_role("button", name="Save").click()
    expect(stored(first, "clicked the logo")).to_have_count(0)  # the editor stays
    first.get_by_role("button", name="Save").click()

    # Refused: what this tab typed stays in the box, the other version beside it.
    expect(first.locator("[data-conflict]")).to_contain_text("clicked the logo")
    expect(first.get_by_label("Edit note")).to_have_value("the logo, clicked twice")
    first.get_by_label("Edit note").fill("clicked the logo twice")
    first.get_by_role("button", name="Save").click()
    expect(stored(second, "clicked the logo twice")).to_be_visible()
    assert saved_notes(session) == [("q", "clicked the logo twice")]


def test_a_moderators_move_lands_a_keyboard_user_on_the_new_step(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    """A participant on a 375 px screen, by keyboard, with a screen reader."""
    url = live_server.url
    slug, ms = scheduled(session)
    context = browser.new_context(viewport={"width": 375, "height": 740})
    contexts.append(context)
    part = context.new_page()
    part.goto(f"{url}/s/{m.participant_link_token(session, ms, SECRET)}")
    agree = part.get_by_role("button", name="I agree, start the study")
    agree.focus()
    part.keyboard.press("Enter")
    heading = part.get_by_role("heading", name="Browse the jackets")
    expect(heading).to_be_visible()
    expect(part).to_have_title(
        "Task 1 (waiting) · Think-aloud session, Northwind checkout"
    )
    region = part.locator("#live-announce")
    expect(region).to_have_attribute("aria-live", "polite")

    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    expect(mod.locator("#participant-state")).to_contain_text("Connected")
    mod.keyboard.press("s")

    # The page changed under them: focus is on the step's heading, not the
    # top of the page; the title and the live region say what happened.
    expect(part).to_have_title(
        "Task 1 (started) · Think-aloud session, Northwind checkout"
    )
    expect(heading).to_be_focused()
    expect(region).to_have_text("Your moderator has started this task: go ahead.")
    part.keyboard.press("Tab")
    expect(part.get_by_role("button", name="Open the site")).to_be_focused()

    mod.keyboard.press("1")
    expect(part).to_have_title(
        "Task 1 (done) · Think-aloud session, Northwind checkout"
    )
    expect(heading).to_be_focused()
    mod.keyboard.press("n")
    expect(part.get_by_role("heading", name="How was that task?")).to_be_focused()
    expect(part.locator("#live-announce")).to_contain_text("How was that task?")


def test_the_timeline_has_no_negative_times_and_the_participants_own_moves(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    participant = join(session, ms)  # consent: before the session's clock starts
    session.commit()
    assert ms.id is not None
    first = participant.task_order[0]
    for n, (kind, extra) in enumerate(
        [
            ("start", {"task_id": first}),
            ("outcome", {"task_id": first, "outcome": "success"}),
            ("next", {"from_step": "task:0"}),
        ]
    ):
        m.control(session, ms.id, action_id=f"tl-action-{n}", kind=kind, **extra)
    long_note = "hesitates " + "a" * 300 + " then finds it"
    m.write_note(
        session,
        ms.id,
        m.moderator(ms.id, "Mo"),
        op="create",
        note_id="tl-note-0001",
        tag="c",
        text=long_note,
    )
    entry_token = participation_token(session, ms)
    p.save_answers(session, slug, entry_token, step="seq:0", answers={"seq.q1": "6"})

    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.set_viewport_size({"width": 375, "height": 740})
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}")
    timeline = mod.locator(".timeline")
    expect(timeline.locator('[data-kind="consent"] .tl-time')).to_have_text(
        "before start"
    )
    expect(timeline).not_to_contain_text("-0:")
    expect(timeline.locator('[data-kind="answers"]')).to_contain_text(
        "Answered: Questions after task 1"
    )
    shown = timeline.locator('[data-kind="note"] .tl-detail')
    expect(shown).to_have_text(long_note)
    clipped = shown.evaluate(
        "n => n.scrollWidth > n.clientWidth || n.getBoundingClientRect().right"
        " > document.documentElement.clientWidth"
    )
    assert clipped is False


def test_moving_past_an_unanswered_questionnaire_asks_first_and_keeps_it_partial(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    part = new_page(browser, contexts)
    participant_joins(part, url, session, ms)
    mod = new_page(browser, contexts)
    log_in(mod, url)
    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}/console")
    expect(mod.locator("#participant-state")).to_contain_text("Connected")
    for key in ("s", "1", "n"):
        mod.keyboard.press(key)
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()
    expect(mod.locator("#participant-state")).to_contain_text("Questions after task 1")

    mod.keyboard.press("n")  # nothing answered yet: asks first
    message = mod.locator("#control-message")
    expect(message).to_contain_text("0 of 1 answered")
    mod.wait_for_timeout(1000)
    expect(part.get_by_role("heading", name="How was that task?")).to_be_visible()
    mod.keyboard.press("n")  # again: on anyway
    expect(
        part.get_by_role("heading", name="Add a jacket to your cart")
    ).to_be_visible()

    mod.goto(f"{url}/studies/{slug}/sessions/{ms.id}")
    expect(mod.locator('.timeline [data-kind="step"]').last).to_contain_text(
        "left partial: 0 of 1 answered"
    )


def to_the_sus(
    session: Session, slug: str, ms: ModeratedSession, token: str
) -> list[int]:
    """Drive a joined session through its three tasks and their SEQs."""
    participant = m.session_participant(session, ms)
    assert participant is not None and ms.id is not None
    order = list(participant.task_order)
    for i, task in enumerate(order):
        for kind, extra in (
            ("start", {"task_id": task}),
            ("outcome", {"task_id": task, "outcome": "success"}),
            ("next", {"from_step": f"task:{i}"}),
        ):
            m.control(
                session, ms.id, action_id=f"to-sus-{i}-{kind}", kind=kind, **extra
            )
        p.save_answers(session, slug, token, step=f"seq:{i}", answers={"seq.q1": "6"})
    return order


def test_a_questionnaire_left_partial_is_marked_partial_and_never_scored(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    study = session.exec(select(Study).where(Study.slug == slug)).one()
    # Even where blanks are prorated, a questionnaire the participant never
    # submitted is not scored as if it were complete.
    study.settings = {**study.settings, "sus_missing": "prorate"}
    session.add(study)
    session.commit()
    join(session, ms)
    token = participation_token(session, ms)
    to_the_sus(session, slug, ms, token)
    for n in range(1, 10):  # nine of ten: the moderator moves on before q10
        p.save_answer(
            session, slug, token, step="q:sus", questionnaire="sus",
            item=f"q{n}", value=4 if n % 2 else 2,
        )  # fmt: skip
    assert ms.id is not None
    with pytest.raises(m.UnansweredError, match="9 of 10 answered"):
        m.control(session, ms.id, action_id="past-the-sus", kind="next")
    m.control(
        session, ms.id, action_id="past-the-sus", kind="next", confirm_partial=True
    )
    p.save_answers(
        session, slug, token, step="q:umux_lite",
        answers={"umux_lite.q1": "6", "umux_lite.q2": "6"},
    )  # fmt: skip

    page = new_page(browser, contexts)
    log_in(page, url)
    for address in (
        f"{url}/studies/{slug}/results",
        f"{url}/studies/{slug}/report.html",
    ):
        page.goto(address)
        sus = page.locator("#q-sus")
        expect(sus.locator('[data-field="partial"]')).to_contain_text(
            "1 partial, not scored"
        )
        expect(sus.locator('[data-field="sus-mean"]')).to_have_count(0)
        expect(page.locator("#q-umux_lite")).not_to_contain_text("partial")

    session.commit()
    responses = list(
        csv.DictReader(io.StringIO(export_csv_files(session, study)["responses.csv"]))
    )
    marks = {(r["questionnaire"], r["partial"]) for r in responses}
    assert marks == {("seq", "false"), ("sus", "true"), ("umux_lite", "false")}


def test_the_timeline_names_the_participant_for_their_own_moves(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, session: Session
) -> None:
    url = live_server.url
    slug, ms = scheduled(session)
    study = session.exec(select(Study).where(Study.slug == slug)).one()
    moderation = {**study.settings["moderation"], "participant_starts": True}
    study.settings = {**study.settings, "moderation": moderation}
    session.add(study)
    session.commit()
    first, second, third = join(session, ms).task_order
    token = participation_token(session, ms)
    assert ms.id is not None

    def moderator(name: str, kind: str, **extra: Any) -> None:
        assert ms.id is not None
        m.control(session, ms.id, action_id=f"tl-own-{name}", kind=kind, **extra)

    def answers(step: str, **given: str) -> None:
        assert p.save_answers(session, slug, token, step=step, answers=given) == []

    # Task 1: the participant opens the site themselves; the moderator judges.
    p.start_task(session, slug, token, step="task:0", task_id=first, secret=SECRET)
    moderator("judge-1", "outcome", task_id=first, outcome="success")
    moderator("next-1", "next", from_step="task:0")
    answers("seq:0", **{"seq.q1": "6"})
    # Task 2: started by the moderator, given up by the participant.
    moderator("start-2", "start", task_id=second)
    p.finish_task(session, slug, token, step="task:1", task_id=second, gave_up=True)
    answers("seq:1", **{"seq.q1": "2"})
    moderator("start-3", "start", task_id=third)
    moderator("judge-3", "outcome", task_id=third, outcome="success")
    moderator("next-3", "next", from_step="task:2")
    answers("seq:2", **{"seq.q1": "5"})
    # The SUS is left partial by the moderator: not the participant's move.
    p.save_answer(
        session, slug, token, step="q:sus", questionnaire="sus", item="q1", value=4
    )
    moderator("past-sus", "next", from_step="q:sus", confirm_partial=True)
    answers("q:umux_lite", **{"umux_lite.q1": "6", "umux_lite.q2": "7"})

    page = new_page(browser, contexts)
    log_in(page, url)
    page.goto(f"{url}/studies/{slug}/sessions/{ms.id}")
    timeline = page.locator(".timeline")
    own = timeline.locator('[data-actor="participant"]')
    expect(own.locator(".tl-label")).to_have_text(
        [
            "Consent given",
            "Task 1 started",
            "Answered: Questions after task 1",
            "Task 2: gave up",
            "Answered: Questions after task 2",
            "Answered: Questions after task 3",
            "Answered: About the Northwind shop",
            "Finished",
        ]
    )
    for n in range(8):
        expect(own.nth(n).locator(".tl-meta")).to_contain_text("P1 (participant)")
    expect(own.filter(has_text="Task 2 started")).to_have_count(0)
    expect(timeline.locator("li", has_text="Task 1 started")).to_have_count(1)
    expect(timeline.locator("li", has_text="Task 2 started")).to_have_count(1)
    expect(timeline.get_by_text("System Usability Scale")).to_have_count(0)
    expect(
        timeline.locator('[data-kind="step"]', has_text="left partial")
    ).to_have_count(1)
