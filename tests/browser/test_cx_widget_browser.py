"""The web widget on a shop page served from another port: a real cross-origin setup."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, Route, expect
from sqlmodel import Session, select

from tests.conftest import LiveServer
from uxlab.cx import journeys
from uxlab.cx.models import CxChannel, CxResponse
from uxlab.models import Workspace

pytestmark = pytest.mark.browser


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
    context = browser.new_context()
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
    context = browser.new_context()
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
    from uxlab.cx.models import CxTouchpoint

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
    context = browser.new_context()
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
    context = browser.new_context()
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
    context = browser.new_context()
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
