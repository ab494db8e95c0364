"""The recorder in a real headless Chromium, on a test site served on 127.0.0.1.

Every test ends with the same check: each event the recorder created (its
per-attempt sequence numbers 1..N) is stored exactly once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import func
from sqlmodel import Session, col, select

from tests.test_recorder import STUDY, seed
from uxlab.db import get_engine
from uxlab.models import Event, JudgedBy, Outcome, TaskAttempt

pytestmark = pytest.mark.browser

SITE = Path(__file__).parent / "recorder_site"
INGEST = "**/api/v1/attempts/*/events*"


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL (replaces pytest-playwright's fallback, which pytest 9 warns about)."""
    return None


class _Handler(SimpleHTTPRequestHandler):
    uxlab = ""

    def do_GET(self) -> None:  # noqa: N802 - the http.server spelling
        path = SITE / self.path.split("?")[0].split("#")[0].lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_text().replace("{{UXLAB}}", self.uxlab).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@dataclass(slots=True)
class Site:
    url: str
    server: ThreadingHTTPServer


def _serve(uxlab: str) -> Site:
    handler = type("Handler", (_Handler,), {"uxlab": uxlab})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Site(f"http://127.0.0.1:{server.server_address[1]}", server)


@dataclass(slots=True)
class World:
    uxlab: str
    site: Site
    foreign: Site
    token: str
    attempt_id: int
    engine: Any

    def open(self, page: Page, name: str = "index.html", token: bool = True) -> None:
        query = f"?uxlab_attempt={self.token}" if token else ""
        page.goto(f"{self.site.url}/{name}{query}")
        page.wait_for_function("window.uxlabRecorder !== undefined")

    def rows(self) -> list[Event]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Event)
                    .where(Event.attempt_id == self.attempt_id)
                    .order_by(col(Event.seq))
                ).all()
            )

    def created(self, page: Page) -> int:
        """How many events the recorder has made for this attempt (its seq)."""
        return int(self._tab(page)[1])

    def _tab(self, page: Page) -> tuple[str, int]:
        """This tab's recording id and how many events it numbered."""
        rec, n = page.evaluate(
            "t => { try { const [r, n] = (sessionStorage.getItem('uxlab:r' + t)"
            " || ' 0').split(' '); return [r, Number(n)] }"
            " catch (e) { return ['', -1] } }",
            self.token,
        )
        return str(rec), int(n)

    def wait_stored(
        self, page: Page, timeout: float = 12.0, *, tab: tuple[str, int] | None = None
    ) -> list[Event]:
        """Wait until every event the recorder made (seq 1..N) is stored, then
        check each is stored exactly once.

        Waiting goes through ``page`` so Playwright keeps serving route handlers.
        """
        deadline = time.monotonic() + timeout
        while True:
            rec, n = tab or self._tab(page)
            rows = self.rows()
            mine = {r.seq for r in rows if r.recording == rec}
            if n and mine >= set(range(1, n + 1)):
                page.wait_for_timeout(300)  # let stragglers (resends) land first
                if tab or self.created(page) == n:
                    break
            elif time.monotonic() > deadline:
                raise AssertionError(
                    f"stored seqs {sorted(r.seq for r in rows)}, wanted 1..{n}"
                )
            page.wait_for_timeout(100)
        rows = self.rows()
        with Session(self.engine) as session:
            per_id = session.exec(
                select(Event.event_id, func.count())
                .where(Event.attempt_id == self.attempt_id)
                .group_by(col(Event.event_id))
            ).all()
        assert all(c == 1 for _id, c in per_id)
        # Each tab numbers its own events 1..N: none twice, none missing.
        for recording in {r.recording for r in rows}:
            seqs = sorted(r.seq for r in rows if r.recording == recording)
            assert seqs == list(range(1, len(seqs) + 1)), (recording, seqs)
        last = max((r.seq for r in rows if r.recording == rec), default=0)
        # A closed tab may number one more event on its way out.
        assert last >= n if tab else last == n
        return rows

    def attempt(self) -> TaskAttempt:
        with Session(self.engine) as session:
            attempt = session.get(TaskAttempt, self.attempt_id)
            assert attempt is not None
            return attempt


@pytest.fixture(name="world")
def world_fixture(live_server: Any, session: Session) -> Iterator[World]:
    site = _serve(live_server.url)
    foreign = _serve(live_server.url)
    text = STUDY.replace("http://shop.example.com", site.url).replace(
        "/static/demo-shop/cart", "/cart"
    )
    seeded = seed(session, text=text)[0]
    yield World(
        uxlab=live_server.url,
        site=site,
        foreign=foreign,
        token=seeded.tokens["cart"],
        attempt_id=seeded.attempts["cart"].id,  # type: ignore[arg-type]
        engine=get_engine(live_server.app),
    )
    for s in (site, foreign):
        s.server.shutdown()
        s.server.server_close()


def _errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_clicks_and_navigations_arrive(world: World, page: Page) -> None:
    errors = _errors(page)
    world.open(page)
    assert "uxlab_attempt" not in page.url
    page.click("#add")
    page.click("#plain")
    page.click("#q")
    page.wait_for_timeout(1100)  # #plain's dead-click window, undisturbed
    page.click("#spa")
    page.click("#to-jackets")
    page.wait_for_url("**/jackets.html")
    page.wait_for_function("window.uxlabRecorder !== undefined")
    page.click("#blurb")
    page.wait_for_timeout(1200)  # the dead-click window
    rows = world.wait_stored(page)
    types = [r.type for r in rows]
    assert types.count("page_view") == 2 and "route_change" in types
    clicks = [r for r in rows if r.type == "click"]
    add = next(r for r in clicks if r.payload["selector"] == "#add")
    assert add.payload["interactive"] is True and add.payload["text"] == (
        "Add to wishlist"
    )
    assert {"x", "y", "cx", "cy", "vw", "vh", "dw", "dh", "sx", "sy"} <= set(
        add.payload
    )
    plain = next(r for r in clicks if r.payload["selector"] == "#plain")
    assert plain.payload["interactive"] is False
    search = next(r for r in clicks if r.payload["selector"] == "#q")
    assert search.payload["text"] == ""
    assert all("secret" not in json.dumps(r.payload) for r in rows)
    assert all("uxlab_attempt" not in r.url for r in rows)
    dead = {r.payload["selector"] for r in rows if r.type == "dead_click"}
    assert "#plain" in dead and "#blurb" in dead and "#add" not in dead
    assert errors == []


def test_rage_clicks(world: World, page: Page) -> None:
    world.open(page)
    for _ in range(4):
        page.click("#plain", delay=10)
    rows = world.wait_stored(page)
    assert [r.type for r in rows].count("rage_click") == 1


@pytest.mark.reliability
def test_tab_closed_mid_task_leftovers_flushed(world: World, page: Page) -> None:
    context = page.context
    page.route(INGEST, lambda route: route.abort())  # nothing gets through
    world.open(page)
    for selector in ("#add", "#plain", "#add", "#spa"):
        page.click(selector)
    created = world.created(page)
    assert page.evaluate("window.uxlabRecorder.state().queued") == created
    closed_tab = world._tab(page)
    page.unroute(INGEST)
    page.close(run_before_unload=True)
    later = context.new_page()
    world.open(later, "jackets.html", token=False)
    world.wait_stored(later, tab=closed_tab)
    later.wait_for_function("window.uxlabRecorder.state().queued === 0")


@pytest.mark.reliability
def test_offline_for_a_while(world: World, page: Page) -> None:
    world.open(page)
    page.context.set_offline(True)
    for _ in range(3):
        page.click("#add")
        page.click("#plain")
    page.wait_for_timeout(1500)
    assert page.evaluate("window.uxlabRecorder.state().queued") >= 6
    page.context.set_offline(False)
    world.wait_stored(page)


def _failing(times: int, status: int = 500) -> Callable[[Route], None]:
    seen = {"n": 0}

    def handle(route: Route) -> None:
        seen["n"] += 1
        if seen["n"] <= times:
            route.fulfill(status=status, body='{"error": "boom"}')
        else:
            route.continue_()

    return handle


@pytest.mark.reliability
def test_ingest_answering_500_three_times(world: World, page: Page) -> None:
    page.route(INGEST, _failing(3))
    world.open(page)
    page.click("#add")
    page.click("#plain")
    world.wait_stored(page, timeout=20)
    assert page.evaluate("window.uxlabRecorder.state().retries") >= 3


@pytest.mark.reliability
def test_same_batch_sent_twice(world: World, page: Page) -> None:
    """The server commits, the answer is lost, the recorder sends it again."""
    lost = {"n": 0}

    def lose_answer(route: Route) -> None:
        response = route.fetch()
        if lost["n"] == 0:
            lost["n"] += 1
            route.fulfill(status=502, body="")
        else:
            route.fulfill(response=response)

    page.route(INGEST, lose_answer)
    world.open(page)
    page.click("#add")
    world.wait_stored(page, timeout=15)
    page.wait_for_function("window.uxlabRecorder.state().queued === 0")
    assert world.attempt().duplicate_events >= 1


@pytest.mark.reliability
def test_batch_with_one_malformed_event(world: World, page: Page) -> None:
    spoiled = {"n": 0}

    def spoil(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        if spoiled["n"] == 0 and body.get("events"):
            spoiled["n"] += 1
            body["events"].append({"id": "bad-event-0001", "seq": 1, "type": "keys"})
            route.continue_(post_data=json.dumps(body))
        else:
            route.continue_()

    page.route(INGEST, spoil)
    world.open(page)
    page.click("#add")
    page.click("#plain")
    world.wait_stored(page)
    page.wait_for_function("window.uxlabRecorder.state().queued === 0")
    assert page.evaluate("window.uxlabRecorder.state().rejected") == 1
    assert world.attempt().rejected_events == 1


@pytest.mark.reliability
def test_foreign_origin_is_refused(world: World, page: Page) -> None:
    errors = _errors(page)
    page.goto(f"{world.foreign.url}/index.html?uxlab_attempt={world.token}")
    page.wait_for_function("window.uxlabRecorder !== undefined")
    page.click("#add")
    page.wait_for_timeout(2500)
    assert world.rows() == []
    assert page.evaluate("window.uxlabRecorder.state().queued") >= 2  # kept, unsent
    assert errors == []


@pytest.mark.reliability
def test_bad_token_stops_recording(world: World, page: Page) -> None:
    errors = _errors(page)
    page.goto(f"{world.site.url}/index.html?uxlab_attempt=not-a-real-token")
    page.wait_for_function("window.uxlabRecorder.state().recording === false")
    page.click("#add")
    page.wait_for_function("window.uxlabRecorder.state().queued === 0")
    with Session(world.engine) as session:
        assert session.exec(select(func.count()).select_from(Event)).one() == 0
    assert errors == []


def test_url_task_ends_by_itself(world: World, page: Page) -> None:
    world.open(page)
    page.click("#to-jackets")
    page.wait_for_url("**/jackets.html")
    page.click("#to-cart")
    page.wait_for_url("**/cart.html")
    page.wait_for_function("window.uxlabRecorder.state().recording === false")
    attempt = world.attempt()
    assert attempt.outcome == Outcome.success and attempt.judged_by == JudgedBy.auto
    assert attempt.outcome_event_at is not None
    rows = world.rows()
    assert [r.type for r in rows].count("task_success") == 1
    # The participant, still on the site, is told to go back; a click hides it.
    note = page.get_by_role("status")
    expect(note).to_have_text("Task complete. Go back to the study tab.")
    note.click()
    expect(note).to_have_count(0)


@pytest.mark.reliability
def test_without_storage_or_random_uuid(world: World, page: Page) -> None:
    page.add_init_script(
        """
        Object.defineProperty(window, "localStorage", {
          get() { throw new DOMException("denied", "SecurityError"); },
        });
        delete Crypto.prototype.randomUUID;
        """
    )
    errors = _errors(page)
    world.open(page)
    page.click("#add")
    page.click("#plain")
    page.wait_for_function("window.uxlabRecorder.state().queued === 0")
    rows = world.rows()
    assert len(rows) >= 3 and len({r.event_id for r in rows}) == len(rows)
    assert sorted(r.seq for r in rows) == list(range(1, len(rows) + 1))
    assert errors == []


def test_no_token_does_nothing(world: World, page: Page) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{world.site.url}/index.html")
    page.wait_for_load_state("load")
    page.click("#add")
    page.wait_for_timeout(300)
    assert page.evaluate("window.uxlabRecorder") is None
    assert not [u for u in requests if "/api/" in u]


PARTICIPANT_STUDY = """
title: Auto success study
tasks:
  - id: jacket
    title: Find a rain jacket
    prompt: Find the blue rain jacket and add it to your cart.
    start_url: /static/demo-shop/index.html
    success: {url_matches: "/static/demo-shop/cart\\\\.html"}
after_each_task: [seq]
"""


def agree_to_the_study(live_server: Any, session: Session, page: Page) -> None:
    """A participant opens PARTICIPANT_STUDY's link and consents: its task page."""
    from uxlab.invites import invite_token, open_invite

    seeded = seed(session, text=PARTICIPANT_STUDY, participants=0)[0]
    secret = live_server.app.config["SECRET_KEY"]
    link = invite_token(open_invite(session, seeded.study, secret), secret)
    session.commit()
    page.goto(f"{live_server.url}/s/{link}")
    page.get_by_role("button", name="I agree, start the study").click()


def test_participant_page_moves_on_when_the_task_ends_itself(
    live_server: Any, session: Session, page: Page
) -> None:
    """Start opens the hosted shop with a token; reaching the cart ends the task."""
    agree_to_the_study(live_server, session, page)
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Start task").click()
    shop = opened.value
    shop.wait_for_load_state()
    shop.wait_for_function("window.uxlabRecorder !== undefined")  # put on by uxlab
    assert "uxlab_attempt" not in shop.url
    shop.get_by_role("link", name="Cart").first.click()
    shop.wait_for_url("**/cart.html")
    page.wait_for_url(f"{live_server.url}/take/**", timeout=10_000)
    page.get_by_text("I'm done").wait_for(state="detached", timeout=10_000)
    engine = get_engine(live_server.app)
    with Session(engine) as fresh:
        attempt = fresh.exec(select(TaskAttempt)).one()
        assert attempt.outcome == Outcome.success
        assert attempt.judged_by == JudgedBy.auto


def test_a_start_sent_before_the_pages_script_ran_is_caught_up(
    live_server: Any, session: Session, page: Page
) -> None:
    """On a slow page Start can be pressed before participant.js is running.

    The form's own submit (no submit event, as when no script listens yet)
    opens the site; the study's tab still shows the task as not started,
    then learns from its status poll that it has, and offers "I'm done".
    """
    agree_to_the_study(live_server, session, page)
    done = page.get_by_role("button", name="I'm done")
    expect(done).to_be_hidden()
    with page.context.expect_page() as opened:
        page.evaluate("document.querySelector('form.start-form').submit()")
    shop = opened.value
    shop.wait_for_load_state()
    expect(done).to_be_visible(timeout=6_000)
    expect(page.get_by_role("button", name="Open the site again")).to_be_visible()
    shop.get_by_role("link", name="Cart").first.click()
    page.get_by_text("I'm done").wait_for(state="detached", timeout=10_000)


def _attempt_after_done(live_server: Any, page: Page) -> TaskAttempt:
    page.get_by_role("button", name="I'm done").click()
    page.get_by_text("I'm done").wait_for(state="detached", timeout=10_000)
    with Session(get_engine(live_server.app)) as fresh:
        return fresh.exec(select(TaskAttempt)).one()


def test_done_without_reaching_the_goal_is_not_a_success(
    live_server: Any, session: Session, page: Page
) -> None:
    """The task's url_matches criterion decides; the participant's word is kept."""
    agree_to_the_study(live_server, session, page)
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Start task").click()
    shop = opened.value
    shop.wait_for_load_state()
    shop.wait_for_function("window.uxlabRecorder !== undefined")
    shop.get_by_role("link", name="Jackets").first.click()
    shop.wait_for_url("**/jackets.html")
    shop.wait_for_function("window.uxlabRecorder !== undefined")
    with Session(get_engine(live_server.app)) as fresh:
        deadline = time.monotonic() + 10
        while not fresh.exec(select(func.count()).select_from(Event)).one():
            assert time.monotonic() < deadline, "no event stored"
            time.sleep(0.2)
    page.bring_to_front()
    attempt = _attempt_after_done(live_server, page)
    assert attempt.outcome == Outcome.failure
    assert attempt.judged_by == JudgedBy.auto
    assert attempt.self_reported is True


def test_done_with_no_recorder_data_is_unverified(
    live_server: Any, session: Session, page: Page
) -> None:
    """Nothing recorded (the recorder blocked): the goal cannot be seen."""
    agree_to_the_study(live_server, session, page)
    page.context.route(INGEST, lambda route: route.abort())
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Start task").click()
    shop = opened.value
    shop.wait_for_load_state()
    page.bring_to_front()
    expect(page.get_by_role("button", name="I'm done")).to_be_visible(timeout=6_000)
    attempt = _attempt_after_done(live_server, page)
    assert attempt.outcome == Outcome.unverified
    assert attempt.self_reported is True


@pytest.mark.reliability
def test_one_attempt_in_two_tabs_numbers_each_tabs_events(
    world: World, page: Page
) -> None:
    """Case 11: both tabs record; no (recording, seq) is stored twice."""
    other = page.context.new_page()
    world.open(page)
    world.open(other)
    for _ in range(5):
        page.click("#add")
        other.click("#add")
    world.wait_stored(page)
    rows = world.wait_stored(other)
    keys = [(r.recording, r.seq) for r in rows]
    assert len(keys) == len(set(keys))
    assert len({r.recording for r in rows}) == 2
