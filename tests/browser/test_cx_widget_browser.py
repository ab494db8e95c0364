"""The web widget on a shop page served from another port: a real cross-origin setup."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlmodel import Session, select

from tests.conftest import LiveServer
from uxlab.cx import journeys
from uxlab.cx.models import CxChannel, CxResponse, CxTouchpoint
from uxlab.models import Workspace

pytestmark = pytest.mark.browser

#: Playwright's locators do not enter a closed shadow root. The tests that
#: drive the dialog by its roles open the widget's with this init script;
#: the hostile-page test leaves it closed and uses the keyboard, as a
#: customer would.
OPEN_SHADOW_ROOTS = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, { ...init, mode: "open" });
  };
})();
"""


class Shop:
    """A site on its own port whose page embeds the widget."""

    def __init__(self) -> None:
        self.page = b""
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(shop.page)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(name="shop")
def shop_fixture() -> Iterator[Shop]:
    shop = Shop()
    yield shop
    shop.server.shutdown()
    shop.server.server_close()


def make_touchpoint(session: Session, origins: list[str], **widget: Any) -> str:
    """A touchpoint with an NPS + open survey; the widget's token."""
    workspace = Workspace(name="Shop", slug="shop")
    session.add(workspace)
    session.commit()
    assert workspace.id is not None
    journey = journeys.create_journey(session, workspace.id, "Buy", ["Buy"])
    stage = journeys.journey_view(session, journey).stages[0].stage
    assert stage.id is not None
    point = journeys.add_touchpoint(session, journey, stage.id, "Checkout")
    journeys.save_survey(
        session, point, ["nps", "open"], "Why?", "order", "test-secret"
    )
    point.allowed_origins = origins
    point.widget = {"trigger": "manual", **widget}
    session.add(point)
    session.commit()
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "widget")).one()
    return journeys.channel_token(channel, "test-secret")


def widget_context(browser: Browser) -> BrowserContext:
    """A fresh browser profile whose widget dialogs Playwright's locators can reach."""
    context = browser.new_context()
    context.add_init_script(OPEN_SHADOW_ROOTS)
    return context


def embed(shop: Shop, server: LiveServer, token: str, extra: str = "") -> None:
    shop.page = (
        "<!doctype html><title>Shop</title><h1>Thanks for your order</h1>"
        "<button id=ask>Feedback</button>"
        f'<script src="{server.url}/static/feedback-widget.js" '
        f'data-touchpoint="{token}" data-field-order="A-17" async></script>{extra}'
    ).encode()


def stored(session: Session) -> list[CxResponse]:
    session.rollback()
    return list(session.exec(select(CxResponse)).all())


def test_keyboard_answer_survives_a_network_drop_and_leaves_nothing_behind(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin])
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    posts: list[str] = []

    def flaky(route: Route) -> None:
        posts.append(route.request.method)
        if len(posts) == 1:
            route.abort("connectionreset")  # the first try is lost on the way
        else:
            route.continue_()

    page.route("**/answers", flaky)
    page.goto(shop.origin)
    page.get_by_role("button", name="Feedback").focus()
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.keyboard.press("Enter")  # nothing: the page's button has no handler
    page.evaluate("window.uxlabFeedback.open()")
    dialog = page.get_by_role("dialog", name="Your feedback")
    expect(dialog).to_be_visible()
    first = dialog.get_by_role("radio", name="0", exact=True)
    expect(first).to_be_focused()
    page.keyboard.press("ArrowRight")  # radios move with the arrow keys
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    expect(dialog.get_by_role("radio", name="9", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Why?")).to_be_focused()
    page.keyboard.type("Fast delivery")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("status")).to_have_text(
        "Thank you, your answer is recorded.", timeout=10_000
    )
    assert len(posts) == 2
    answers = stored(session)
    assert [(r.nps, r.open_text, r.hidden) for r in answers] == [
        (9, "Fast delivery", {"order": "A-17"})
    ]
    expect(dialog).to_have_count(0, timeout=10_000)
    # A hostile page finds no trace of the answer: no global, no attribute,
    # no storage entry holding it.
    leaked = page.evaluate(
        """() => JSON.stringify([
            Object.keys(window).map((k) => { try { return String(window[k]); }
                                             catch (e) { return ""; } }),
            document.documentElement.outerHTML,
            Object.keys(localStorage).map((k) => localStorage.getItem(k)),
        ])"""
    )
    assert "Fast delivery" not in leaked
    assert page.evaluate("Object.keys(window.uxlabFeedback)") == ["open"]
    # Answered: not asked again in this browser within the throttle.
    page.reload()
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.evaluate("window.uxlabFeedback.open()")
    page.wait_for_timeout(500)
    expect(page.get_by_role("dialog")).to_have_count(0)
    context.close()


def test_escape_dismisses_and_sampling_is_decided_once(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin], sample_percent=0)
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    page.goto(shop.origin)
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.evaluate("window.uxlabFeedback.open()")
    page.wait_for_timeout(500)
    expect(page.get_by_role("dialog")).to_have_count(0)  # sampled out
    sample = page.evaluate(
        "Object.keys(localStorage).filter((k) => k.endsWith(':sample'))"
        ".map((k) => localStorage.getItem(k))"
    )
    assert sample == ["0:0"]
    # Everyone sampled in: shown; Escape closes it and returns focus.
    session.rollback()
    point = session.exec(select(CxTouchpoint)).one()
    point.widget = {"trigger": "manual", "sample_percent": 100}
    session.add(point)
    session.commit()
    page.reload()
    page.get_by_role("button", name="Feedback").focus()
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.evaluate("window.uxlabFeedback.open()")
    expect(page.get_by_role("dialog", name="Your feedback")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Feedback")).to_be_focused()
    page.reload()  # dismissed: not shown again within the dismissal days
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.evaluate("window.uxlabFeedback.open()")
    page.wait_for_timeout(500)
    expect(page.get_by_role("dialog")).to_have_count(0)
    context.close()


def test_a_site_not_allowed_gets_nothing_and_cannot_post(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, ["https://shop.example.com"])
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    page.goto(shop.origin)
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.evaluate("window.uxlabFeedback.open()")
    page.wait_for_timeout(500)
    expect(page.get_by_role("dialog")).to_have_count(0)
    outcome = page.evaluate(
        """async (url) => {
            try {
              const r = await fetch(url, {method: "POST", body: JSON.stringify(
                {id: "0b9d1f7e-2c4a-4f57-9d1e-8a7c6b5a4f3e", answers: {nps: 0}})});
              return "read " + r.status;
            } catch (e) { return "refused"; }
        }""",
        f"{live_server.url}/api/v1/cx/widget/{token}/answers",
    )
    assert outcome == "refused"
    assert stored(session) == []
    context.close()


def test_a_site_opt_out_stops_the_widget(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin])
    embed(shop, live_server, token)
    shop.page = b"<script>window.uxlabFeedbackOptOut = true</script>" + shop.page
    context = widget_context(browser)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(shop.origin)
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.evaluate("window.uxlabFeedback.open()")
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert not [u for u in requests if "/api/v1/cx/widget/" in u]
    context.close()


def test_an_answer_still_being_retried_is_kept_when_the_visitor_leaves(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin])
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    failing = {"on": True}
    posts: list[str] = []

    def down(route: Route) -> None:
        posts.append(route.request.method)
        if failing["on"]:
            route.fulfill(status=503, body="{}")  # the server is down a while
        else:
            route.continue_()

    page.route("**/answers", down)
    page.goto(shop.origin)
    page.wait_for_function("window.uxlabFeedback !== undefined")
    page.evaluate("window.uxlabFeedback.open()")
    dialog = page.get_by_role("dialog", name="Your feedback")
    dialog.get_by_role("radio", name="4", exact=True).check()
    dialog.get_by_label("Why?").fill("Slow checkout")
    dialog.get_by_role("button", name="Send").click()
    # Four tries fail (0.5 + 1 + 2 s apart); the fifth would come 4 s later,
    # but the visitor leaves now, as the server comes back.
    for _ in range(100):
        if len(posts) >= 4:
            break
        page.wait_for_timeout(100)
    assert len(posts) == 4
    failing["on"] = False
    page.goto(shop.origin + "/next-page")
    for _ in range(50):
        if stored(session):
            break
        page.wait_for_timeout(100)
    answers = stored(session)
    assert [(r.nps, r.open_text) for r in answers] == [(4, "Slow checkout")]
    context.close()


#: A Monday morning, so that "days later" reads plainly in the tests below.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def load(page: Page, url: str) -> None:
    """Open a shop page and let the widget fetch its config and arm its trigger."""
    with page.expect_response(
        lambda r: "/api/v1/cx/widget/" in r.url and r.request.method == "GET"
    ) as fetched:
        page.goto(url)
    fetched.value.finished()
    page.wait_for_function("window.uxlabFeedback !== undefined")
    # The config's JSON is read after its response ends; give the widget that
    # moment before counting on its trigger being armed.
    page.wait_for_timeout(200)


def not_shown(page: Page) -> None:
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(0)


def set_widget(session: Session, **widget: Any) -> None:
    session.rollback()
    point = session.exec(select(CxTouchpoint)).one()
    point.widget = widget
    session.add(point)
    session.commit()


def test_the_delay_trigger_shows_the_survey_after_its_seconds_and_not_before(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin], trigger="delay", delay_s=60)
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    page.clock.install(time=T0)
    load(page, shop.origin)
    not_shown(page)  # the page's first moments, on the clock as it runs
    page.clock.run_for("00:30")
    not_shown(page)
    page.clock.run_for("00:25")
    not_shown(page)
    page.clock.run_for("00:10")
    expect(page.get_by_role("dialog", name="Your feedback")).to_be_visible()
    context.close()


def test_the_exit_trigger_shows_the_survey_when_the_pointer_leaves_through_the_top(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin], trigger="exit")
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    load(page, shop.origin)
    # Moving about the page, from element to element, is not leaving it.
    page.get_by_role("heading", name="Thanks for your order").hover()
    page.get_by_role("button", name="Feedback").hover()
    page.mouse.move(5, 2)
    page.get_by_role("heading", name="Thanks for your order").hover()
    not_shown(page)
    # Out through the side (to a second screen, a side panel): not heading away.
    page.mouse.move(-20, 200)
    not_shown(page)
    page.mouse.move(200, 100)
    page.mouse.move(200, -10)  # up, towards the tabs and the address bar
    expect(page.get_by_role("dialog", name="Your feedback")).to_be_visible()
    context.close()


def test_the_url_trigger_follows_a_single_page_sites_history_and_hash_changes(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(
        session, [shop.origin], trigger="url", url_pattern="/order/*/thanks"
    )
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    load(page, shop.origin + "/cart")
    not_shown(page)
    page.evaluate("history.pushState({}, '', '/order/17')")
    not_shown(page)
    # The shop's own router moves on to the confirmation, without a page load.
    page.evaluate("history.pushState({}, '', '/order/17/thanks')")
    expect(page.get_by_role("dialog", name="Your feedback")).to_be_visible()
    page.keyboard.press("Escape")

    # A site routed by the hash: the pattern names the hash.
    set_widget(session, trigger="url", url_pattern="/app#/thanks*", dismiss_days=0)
    load(page, shop.origin + "/app#/cart")
    not_shown(page)
    page.evaluate("location.hash = '#/thanks?order=17'")
    expect(page.get_by_role("dialog", name="Your feedback")).to_be_visible()
    context.close()

    # A browser without the Navigation API: the widget notices within a second.
    set_widget(session, trigger="url", url_pattern="/order/*/thanks")
    context = widget_context(browser)
    context.add_init_script(
        "Object.defineProperty(window, 'navigation', {value: undefined})"
    )
    page = context.new_page()
    load(page, shop.origin + "/cart")
    page.evaluate("history.pushState({}, '', '/order/18/thanks')")
    expect(page.get_by_role("dialog", name="Your feedback")).to_be_visible()
    context.close()


def answer(page: Page, score: str) -> None:
    page.evaluate("window.uxlabFeedback.open()")
    dialog = page.get_by_role("dialog", name="Your feedback")
    dialog.get_by_role("radio", name=score, exact=True).check()
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Thank you, your answer is recorded."
    )


def asked_on(page: Page, when: datetime) -> bool:
    """Whether the survey opens for this browser on that day (a fresh page)."""
    load(page, page.url)
    page.clock.set_system_time(when)
    page.evaluate("window.uxlabFeedback.open()")
    dialog = page.get_by_role("dialog", name="Your feedback")
    try:
        dialog.wait_for(timeout=1_000)
    except PlaywrightTimeoutError:
        return False
    return True


def test_an_answer_keeps_the_survey_away_for_throttle_days_then_it_asks_again(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin], throttle_days=7, dismiss_days=2)
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    page.clock.install(time=T0)
    load(page, shop.origin)
    answer(page, "9")
    assert not asked_on(page, T0 + timedelta(days=1))
    assert not asked_on(page, T0 + timedelta(days=6, hours=23))
    assert asked_on(page, T0 + timedelta(days=7, hours=1))
    assert len(stored(session)) == 1
    context.close()


def test_a_dismissal_keeps_the_survey_away_for_dismiss_days_then_it_asks_again(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin], throttle_days=2, dismiss_days=5)
    embed(shop, live_server, token)
    context = widget_context(browser)
    page = context.new_page()
    page.clock.install(time=T0)
    load(page, shop.origin)
    page.evaluate("window.uxlabFeedback.open()")
    dialog = page.get_by_role("dialog", name="Your feedback")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    assert not asked_on(page, T0 + timedelta(days=3))
    assert not asked_on(page, T0 + timedelta(days=4, hours=23))
    assert asked_on(page, T0 + timedelta(days=5, hours=1))
    assert stored(session) == []
    context.close()


#: The embedding page's own script, out to read what the customer types.
HOSTILE = """<script>
window.stolen = {values: [], keys: {}};
const grab = (v) => { if (typeof v === "string" && v) window.stolen.values.push(v); };
const types = ["keydown", "keypress", "keyup", "beforeinput", "input", "textInput",
               "compositionupdate", "compositionend", "change", "paste"];
for (const type of types) {
  for (const capture of [true, false]) {
    document.addEventListener(type, (e) => {
      grab(e.target && e.target.value);
      for (const node of e.composedPath()) grab(node && node.value);
      if (!capture) {
        // The keys as a keylogger strings them together, one line per event type.
        const keys = window.stolen.keys;
        keys[type] = (keys[type] || "") + (e.key && e.key.length === 1 ? e.key : "")
          + (e.data || "");
      }
    }, capture);
  }
}
window.pry = () => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    const root = el.shadowRoot;
    if (root) {
      found.push(root.innerHTML);
      for (const f of root.querySelectorAll("textarea,input")) found.push(f.value);
    }
    if (el.getHTML) found.push(el.getHTML({serializableShadowRoots: true}));
    if (el.value !== undefined) found.push(String(el.value));
  }
  for (const f of document.querySelectorAll("textarea, input, :host textarea")) {
    found.push(f.value);
  }
  found.push(document.documentElement.outerHTML);
  for (let i = 0; i < localStorage.length; i++) {
    found.push(localStorage.key(i), localStorage.getItem(localStorage.key(i)));
  }
  for (let i = 0; i < sessionStorage.length; i++) {
    found.push(sessionStorage.getItem(sessionStorage.key(i)));
  }
  found.push(document.cookie);
  return JSON.stringify(found);
};
</script>"""


def test_a_hostile_page_that_tries_to_read_answers_gets_none_of_the_typed_text(
    browser: Browser, live_server: LiveServer, shop: Shop, session: Session
) -> None:
    token = make_touchpoint(session, [shop.origin])
    embed(shop, live_server, token, extra=HOSTILE)
    context = browser.new_context()  # the widget's shadow root as it makes it
    page = context.new_page()
    posts: list[str] = []

    def slow(route: Route) -> None:
        posts.append(route.request.method)
        if len(posts) == 1:
            route.fulfill(status=503, body="{}")  # the first try must be retried
        else:
            route.continue_()

    page.route("**/answers", slow)
    load(page, shop.origin)
    page.evaluate("window.uxlabFeedback.open()")
    # The dialog takes the focus on its first answer (the page sees only its
    # host focused); the customer answers with the keyboard: 7, then the open
    # answer, then Send.
    page.wait_for_function("document.activeElement.tagName === 'DIV'")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    page.keyboard.type("My secret delivery note")
    # While the dialog is open, with the text in it:
    assert "secret" not in page.evaluate("window.pry()")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    for _ in range(50):
        if posts:
            break
        page.wait_for_timeout(20)
    # While the answer waits for its retry: not parked where the page can read.
    assert "secret" not in page.evaluate("window.pry()")
    for _ in range(100):
        if stored(session):
            break
        page.wait_for_timeout(100)
    answers = stored(session)
    assert [(r.nps, r.open_text) for r in answers] == [(7, "My secret delivery note")]
    assert len(posts) == 2
    # After the answer is stored: nothing in the page, its storage or its logs.
    leaked = page.evaluate("window.pry() + JSON.stringify(window.stolen)")
    for fragment in ("secret", "delivery", "note"):
        assert fragment not in leaked
    context.close()
