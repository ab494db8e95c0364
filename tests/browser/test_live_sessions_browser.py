"""Moderated sessions as people meet them: notes typed in a hurry, networks
that drop, pages closed and reopened. Each browser context is one person.
"""

from __future__ import annotations

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
from uxlab.models import ModeratedSession, SessionNote

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
