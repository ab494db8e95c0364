"""A participant who acts before the page's script has arrived loses nothing.

On a slow connection a page is shown, and can be clicked, before its deferred
script has run. Each test holds the script back, acts as a quick participant
would, then lets the script through.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from sqlmodel import Session, select

from tests.browser.test_card_sort_browser import _study as card_sort_study
from tests.browser.test_participant_flow import watch
from tests.browser.test_tree_test_browser import _answers
from tests.browser.test_tree_test_browser import _study as tree_study
from tests.test_participation import make_study, open_token
from uxlab.models import Response

pytestmark = pytest.mark.browser


class Held:
    """Requests for one script, kept waiting until :meth:`release`."""

    def __init__(self, page: Page, script: str) -> None:
        self.routes: list[Route] = []
        self.page = page
        self.pattern = re.compile(rf"/static/{re.escape(script)}(\?|$)")
        page.route(self.pattern, self._hold)

    def _hold(self, route: Route) -> None:
        self.routes.append(route)

    def release(self) -> None:
        for route in self.routes:
            route.continue_()
        self.routes.clear()
        self.page.unroute(self.pattern, self._hold)


def test_an_answer_chosen_before_the_script_runs_is_saved(
    page: Page, live_server: Any, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    page.get_by_role("button", name="I agree, start the study").click()
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Start task").click()
    popup.value.close()
    held = Held(page, "participant.js")
    page.get_by_role("button", name="I'm done").click()
    expect(page.get_by_role("heading", name="How was that task?")).to_be_visible()
    page.get_by_role("group").get_by_role("radio", name="6", exact=True).check()
    page.wait_for_timeout(300)  # the change event has come and gone
    assert held.routes, "participant.js came before the answer"
    with page.expect_response(lambda r: r.url.endswith("/answer")) as saved:
        held.release()
    assert saved.value.status == 200
    expect(page.get_by_text("Saved")).to_be_visible()
    session.commit()
    (response,) = session.exec(select(Response)).all()
    assert (response.questionnaire, response.value_num) == ("seq", 6.0)
    assert problems == []


def test_the_tree_waits_for_its_script_before_it_takes_clicks(
    page: Page, live_server: Any, session: Session
) -> None:
    study = tree_study(session)
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    held = Held(page, "tree_test.js")
    page.get_by_role("button", name="I agree, start the study").click()
    home = page.get_by_role("button", name="Home", exact=True)
    expect(home).to_be_visible()
    expect(home).to_be_disabled()  # a click now would open nothing
    held.release()
    home.click()
    page.get_by_role("button", name="Help", exact=True).click()
    page.get_by_role("button", name="Returns", exact=True).click()
    page.get_by_role("button", name="I'd find it here").click()
    expect(page.get_by_role("heading", name="Task 2 of 2")).to_be_visible()
    assert [c[0] for c in _answers(session)["returns"].path] == ["n1", "n5", "n6"]
    assert problems == []


def test_the_cards_wait_for_their_script_before_they_take_clicks(
    page: Page, live_server: Any, session: Session
) -> None:
    study = card_sort_study(session)
    problems = watch(page)
    page.goto(f"{live_server.url}/s/{open_token(session, study)}")
    held = Held(page, "card-sort.js")
    page.get_by_role("button", name="I agree, start the study").click()
    apple = page.locator(".cs-card", has_text="Apple")
    expect(apple).to_be_visible()
    expect(apple).to_be_disabled()
    expect(page.get_by_role("button", name="New group")).to_be_disabled()
    held.release()
    apple.click()
    expect(page.get_by_role("combobox", name="Move Apple to")).to_be_visible()
    assert problems == []
