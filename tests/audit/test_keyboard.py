"""Keyboard and focus checks: each barrier planted on a page, and a clean twin.

Every page under ``sites/keyboard/`` is walked with real Tab presses in
headless Chromium. A barrier page must give exactly the findings planted on
it; its clean twin, built the way a careful site is, must give none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from uxlab.audit import keyboard
from uxlab.audit.findings import Finding
from uxlab.browser import launch_options

pytestmark = pytest.mark.browser

JPEG = b"\xff\xd8\xff"

# page -> the findings planted on it: {rule: count}
BARRIERS = {
    # a div with role=button and a click handler, and a link with tabindex=-1
    "unreachable": {"keyboard-unreachable": 2},
    # two date fields whose keydown handler sends Tab and Shift+Tab round them
    "trap": {"keyboard-trap": 1},
    # three date fields: Tab on the last goes back to the first; Shift+Tab
    # is left alone and gets out
    "focus-loop": {"focus-loop": 1},
    # onfocus="this.blur()" drops the focus (and the link is never reached);
    # a link parked at left: -9999px takes the focus out of sight
    "lost": {"focus-lost": 1, "keyboard-unreachable": 1, "focus-hidden": 1},
    # outline: none on :focus with nothing in its place
    "focus-visible": {"focus-not-visible": 2},
    # a row-reverse flex row: Step 1 -> 2 -> 3 goes right to left; tabindex=2
    "order": {"tab-order": 2, "tabindex-positive": 1},
    # five navigation links before the content, no skip link
    "skip": {"skip-link-missing": 1},
    # in a same-origin frame: a div with role=button and a click handler
    "frame": {"keyboard-unreachable": 1},
    # in a same-origin frame: two fields whose keydown handler keeps Tab in
    "frame-trap": {"keyboard-trap": 1},
}
CLEAN = [f"{name}-clean" for name in BARRIERS]


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    """One desktop-sized page in Chromium, started and stopped with this module.

    Its own Playwright (not pytest-playwright's session one), so the audits
    other modules run with :func:`uxlab.audit.run_audit` can start theirs.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        yield context.new_page()
        browser.close()


@pytest.fixture
def page(browser_page: Page) -> Page:
    return browser_page


def audit(page: Page, url: str) -> list[Finding]:
    page.goto(url)
    return keyboard.keyboard_findings(page, url=url, viewport="desktop")


@pytest.mark.parametrize("name", sorted(BARRIERS))
def test_planted_barrier_is_found(
    page: Page, site_url: Callable[[str], str], name: str
) -> None:
    found = audit(page, f"{site_url('keyboard')}/{name}")
    assert dict(Counter(f.rule for f in found)) == BARRIERS[name], [
        (f.rule, f.selector, f.message) for f in found
    ]
    for finding in found:
        severity, criterion, _ = keyboard.REFERENCES[finding.rule]
        assert finding.severity == severity
        assert finding.wcag == (criterion,)
        assert finding.check == "keyboard"
        assert finding.help_url is not None and finding.help_url.startswith(
            "https://www.w3.org/WAI/WCAG22/Understanding/"
        )


@pytest.mark.parametrize("name", CLEAN)
def test_clean_twin_has_no_findings(
    page: Page, site_url: Callable[[str], str], name: str
) -> None:
    found = audit(page, f"{site_url('keyboard')}/{name}")
    assert [(f.rule, f.selector, f.message) for f in found] == []


def test_findings_name_the_elements(page: Page, site_url: Callable[[str], str]) -> None:
    base = site_url("keyboard")
    unreachable = {f.selector: f for f in audit(page, f"{base}/unreachable")}
    assert set(unreachable) == {"body > main > div", "body > main > a"}
    assert unreachable["body > main > div"].snippet is not None
    assert 'role="button"' in unreachable["body > main > div"].snippet

    (trap,) = audit(page, f"{base}/trap")
    assert trap.selector == "body > main > div > label:nth-of-type(1) > input"
    assert "2 element(s)" in trap.message

    (loop,) = audit(page, f"{base}/focus-loop")
    assert loop.selector == "body > main > div > label:nth-of-type(1) > input"
    assert "3 element(s)" in loop.message
    assert "only Shift+Tab gets out" in loop.message

    order = [f for f in audit(page, f"{base}/order") if f.rule == "tab-order"]
    assert [f.selector for f in order] == [
        "body > main > div > button:nth-of-type(2)",
        "body > main > div > button:nth-of-type(3)",
    ]
    assert all("to its left" in f.message for f in order)

    (skip,) = audit(page, f"{base}/skip")
    assert skip.selector == "body > header > nav"
    assert "5 navigation links" in skip.message


def test_walk_follows_the_focus_into_a_same_origin_frame(
    page: Page, site_url: Callable[[str], str]
) -> None:
    base = site_url("keyboard")
    (unreachable,) = audit(page, f"{base}/frame")
    assert unreachable.selector == "body > main > iframe, body > main > div"
    assert unreachable.snippet is not None
    assert unreachable.snippet.startswith('<div class="more" role="button"')
    (trap,) = audit(page, f"{base}/frame-trap")
    assert trap.selector == (
        "body > main > iframe, body > main > label:nth-of-type(1) > input"
    )
    page.goto(f"{base}/frame-clean")
    result = keyboard.walk(page)
    assert result.wrapped
    # Rooms, then Arrival, More dates and Next inside the frame, then Book
    assert [result.records[i]["selector"] for i in result.order if i >= 0] == [
        "body > main > a",
        "body > main > iframe, body > main > label > input",
        "body > main > iframe, body > main > button:nth-of-type(1)",
        "body > main > iframe, body > main > button:nth-of-type(2)",
        "body > main > button",
    ]


def test_a_cross_origin_frame_is_listed_as_not_walked(
    page: Page, site_url: Callable[[str], str], tmp_path: Path
) -> None:
    other = site_url("keyboard")  # another port: another origin
    (tmp_path / "cross.html").write_text(
        '<!doctype html><html lang="en"><head><title>Cross</title></head><body>'
        f'<main><h1>Cross</h1><a href="/a">A</a>'
        f'<iframe src="{other}/framed" title="Dates"></iframe>'
        '<button type="button">B</button></main></body></html>'
    )
    from tests.audit.conftest import serve

    server, thread = serve(tmp_path)
    try:
        found = audit(page, f"http://127.0.0.1:{server.server_address[1]}/cross")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert [(f.rule, f.check, f.selector) for f in found] == [
        ("frame-not-walked", "needs_review", "body > main > iframe")
    ]
    assert other in found[0].message


def test_walk_puts_focus_and_scroll_back(
    page: Page, site_url: Callable[[str], str]
) -> None:
    page.goto(f"{site_url('keyboard')}/order-clean")
    page.get_by_role("link", name="Boots").focus()
    page.evaluate("() => window.scrollTo(0, 40)")
    before = page.evaluate("() => [document.activeElement.textContent, scrollY]")
    result = keyboard.walk(page)
    assert result.wrapped
    # Home, Account, Basket, 3 steps, 9 column links: reading order, whole cycle
    assert len([i for i in result.order if i >= 0]) == 15
    assert page.evaluate("() => [document.activeElement.textContent, scrollY]") == (
        before
    )
    assert page.locator("[data-uxlab-outline], span[aria-hidden=true]").count() == 0


def test_walk_stops_at_its_bound(page: Page, site_url: Callable[[str], str]) -> None:
    page.goto(f"{site_url('keyboard')}/order-clean")
    result = keyboard.walk(page, max_presses=4)
    assert result.presses == 4
    assert not result.wrapped
    # an incomplete walk cannot say which controls are unreachable
    found = keyboard.walk_findings(result, url=page.url, viewport="desktop")
    assert [f.rule for f, _ in found] == []


def test_screenshot_outlines_the_element(
    page: Page, site_url: Callable[[str], str]
) -> None:
    url = f"{site_url('keyboard')}/focus-visible"
    page.goto(url)
    found = keyboard.keyboard_findings(
        page, url=url, viewport="desktop", shot_prefix="p0"
    )
    shots = [f.screenshot for f in found]
    assert all(shot is not None and shot.data.startswith(JPEG) for shot in shots)
    assert len({shot.name for shot in shots if shot is not None}) == len(found)
    assert page.locator("[data-uxlab-outline]").count() == 0


def test_a_press_whose_key_up_the_page_swallows_is_no_loop(
    page: Page, site_url: Callable[[str], str]
) -> None:
    # Nothing on this page traps the focus: Tab goes through five controls and
    # leaves. Its own key-up handler hides one press from the walk's log.
    found = audit(page, f"{site_url('keyboard')}/swallowed-keyup")
    assert [(f.rule, f.selector) for f in found] == []


def test_focus_that_comes_back_between_two_presses_is_walked(
    page: Page, site_url: Callable[[str], str]
) -> None:
    # The order page, where the focus that left the page comes back to Help
    # on its own after the key-up, before the next press: no key-up is ever
    # read on Help, and the next Tab goes on from it to Step 1.
    found = audit(page, f"{site_url('keyboard')}/order-async")
    assert dict(Counter(f.rule for f in found)) == BARRIERS["order"], [
        (f.rule, f.selector, f.message) for f in found
    ]


def test_a_missed_key_up_just_before_the_walk_wraps_loses_no_control(
    page: Page, site_url: Callable[[str], str]
) -> None:
    # The order page, with the key-up of the Tab that reaches its Help link
    # swallowed (as a key-up read late on a busy machine is missed). The walk
    # wraps right after it; Help is still reached, not reported unreachable.
    found = audit(page, f"{site_url('keyboard')}/order-swallowed")
    assert dict(Counter(f.rule for f in found)) == BARRIERS["order"], [
        (f.rule, f.selector, f.message) for f in found
    ]
