"""Every number on the journey map links to the page it comes from.

The demo's map is read as a viewer of the demo team sees it: each figure on a
card (CX scores, responses, task success, SUS, the audit run) sits inside a
link, the link opens for that viewer, and the page it opens shows that figure
where the fragment points. Someone outside the workspace opens none of them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from lxml.html import HtmlElement
from sqlmodel import Session, select

from uxlab.accounts import create_researcher
from uxlab.cx.models import CxJourney
from uxlab.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_VIEWER_EMAIL,
    DEMO_VIEWER_PASSWORD,
)
from uxlab.models import Workspace

#: Card text that is not a figure: what would fill an empty slot (it names the
#: period, so it has digits), and the open follow-ups, which only members who
#: may see customers' own data can open (checked on their own below).
_NOT_FIGURES = ("cx-fill", "cx-followups-open")


def _classes(el: HtmlElement) -> set[str]:
    return set((el.get("class") or "").split())


def _figures(card: HtmlElement) -> list[tuple[str, HtmlElement | None]]:
    """Each piece of text with a digit in it, with the link it is inside (or None)."""
    found = []
    for text in card.xpath(".//text()"):
        if not re.search(r"\d", text):
            continue
        holder = text.getparent()
        if text.is_tail:
            holder = holder.getparent()
        chain = [holder, *holder.iterancestors()]
        chain = chain[: chain.index(card) + 1]
        if any(_classes(el) & set(_NOT_FIGURES) for el in chain):
            continue
        link = next((el for el in chain if el.tag == "a"), None)
        found.append((" ".join(text.split()), link))
    return found


class _Pages:
    """The pages one member opens from the map, each fetched once."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.seen: dict[str, HtmlElement] = {}

    def open(self, href: str) -> HtmlElement:
        """GET the link as the browser would (without its fragment); 200 or fail."""
        url = href.split("#", 1)[0]
        if url not in self.seen:
            response = self.client.get(url)
            assert response.status_code == 200, href
            self.seen[url] = lxml.html.fromstring(response.text)
        return self.seen[url]

    def target(self, href: str) -> HtmlElement:
        """The element the link's fragment points at, on the page it opens."""
        fragment = urlsplit(href).fragment
        assert fragment, f"{href} points at the page, not at the figure"
        found = self.open(href).xpath(f'//*[@id="{fragment}"]')
        assert len(found) == 1, f"{href}: no element with id {fragment!r}"
        return found[0]


def _words(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _demo(app: Flask, session: Session) -> tuple[str, int, str]:
    result = app.test_cli_runner().invoke(args=["demo", "--participants", "12"])
    assert result.exit_code == 0, result.output
    journey = session.exec(select(CxJourney)).one()
    team = session.get(Workspace, journey.workspace_id)
    assert team is not None and journey.id is not None
    return team.slug, journey.id, f"/workspaces/{team.slug}/cx/journeys/{journey.id}"


def _login(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    return client


def _map_figures(
    viewer: FlaskClient, slug: str, url: str, every: str
) -> dict[str, int]:
    """Check every figure of the map at ``url``; count them by kind."""
    page = viewer.get(url)
    assert page.status_code == 200
    doc = lxml.html.fromstring(page.text)
    label = _words(doc.xpath('//nav[@class="cx-periods"]/strong')[0])
    cards = doc.xpath('//article[contains(@class, "cx-card")]')
    assert len(cards) == 5
    pages = _Pages(viewer)
    seen: dict[str, int] = {}
    for card in cards:
        name = _words(card.xpath(".//h3")[0])
        for text, link in _figures(card):
            assert link is not None, f"{name}: {text!r} is not a link"
            href = link.get("href")
            assert href, f"{name}: {text!r}"
            kind = _check_source(pages, slug, label, link, href, every)
            seen[kind] = seen.get(kind, 0) + 1
    return seen


def test_every_number_on_the_demo_map_links_to_its_source(
    app: Flask, session: Session
) -> None:
    slug, _, journey_url = _demo(app, session)
    viewer = _login(app, DEMO_VIEWER_EMAIL, DEMO_VIEWER_PASSWORD)
    seen = _map_figures(viewer, slug, f"{journey_url}/map?every=month", "month")
    # The demo's cards have each kind of figure: the map checked them all.
    assert set(seen) == {
        *("responses", "nps", "csat", "ces"),
        *("study", "task", "sus", "audit"),
    }
    assert seen["task"] >= 3


def test_a_map_of_an_older_period_links_to_that_period_on_the_trend(
    app: Flask, session: Session
) -> None:
    """Thirty weeks back is not among the trend's latest twelve weeks: the
    figure's link opens the trend up to that week, at its row."""
    slug, _, journey_url = _demo(app, session)
    viewer = _login(app, DEMO_VIEWER_EMAIL, DEMO_VIEWER_PASSWORD)
    back = (datetime.now(UTC) - timedelta(weeks=30)).date().isoformat()
    seen = _map_figures(
        viewer, slug, f"{journey_url}/map?every=week&period={back}", "week"
    )
    assert {"responses", "nps", "csat", "ces"} <= set(seen)


def _check_source(
    pages: _Pages, slug: str, label: str, link: HtmlElement, href: str, every: str
) -> str:
    """Check that ``href`` opens the page the figure comes from; say which figure."""
    parts = urlsplit(href)
    if "/cx/touchpoints/" in parts.path:
        # A CX figure: the touchpoint's trend, by the map's period length and
        # up to the map's period, at that period's row with the same figure.
        assert re.fullmatch(rf"/workspaces/{slug}/cx/touchpoints/\d+", parts.path)
        query = parse_qs(parts.query)
        assert query.keys() == {"every", "until"} and query["every"] == [every]
        row = pages.target(href)
        assert parts.fragment == f"period-{query['until'][0]}", href
        assert row.tag == "tr" and "cx-trend" in _classes(row.getparent().getparent())
        assert _words(row.xpath("th")[0]) == label, href
        if "cx-responses" in _classes(link.getparent()):
            n = _words(row.xpath('td[@data-label="Responses"]')[0])
            assert _words(link).startswith(f"{n} response"), href
            return "responses"
        measure = _words(link.xpath('.//span[@class="cx-value"]')[0]).split()[0]
        cell = row.xpath(f'td[@data-label="{measure}"]')[0]
        assert _words(cell.xpath('.//span[@class="cx-value"]')[0]) == _words(
            link.xpath('.//span[@class="cx-value"]')[0]
        ), href
        return measure.lower()
    if parts.path.startswith("/studies/") and parts.path.endswith("/results"):
        target = pages.target(href)
        if parts.fragment.startswith("task-"):
            # "Task “Find a rain jacket”: 82% succeeded (…)": that task's details.
            title = re.match(r"Task “(.+?)”:", _words(link))
            assert title is not None, href
            assert "task-detail" in _classes(target)
            assert _words(target.xpath("summary")[0]).startswith(title[1]), href
            return "task"
        if _words(link).startswith("SUS"):
            mean = re.match(r"SUS (\d+\.\d)", _words(link))
            assert mean is not None
            assert target.get("data-kind") == "sus", href
            shown = target.xpath('.//dd[@data-field="sus-mean"]')[0]
            assert _words(shown) == mean[1], href
            return "sus"
        # The study's participants, and the tasks the card leaves out.
        assert parts.fragment in ("overview", "tasks"), href
        return "study"
    if "/audits/" in parts.path:
        assert re.fullmatch(rf"/workspaces/{slug}/audits/\d+/runs/\d+", parts.path)
        run = re.search(r"run #(\d+): (\w+), \d+ critical issues?", _words(link))
        assert run is not None, _words(link)
        assert parts.path.endswith(f"/runs/{run[1]}")
        heading = _words(pages.open(href).xpath("//h1")[0])
        assert heading.startswith(f"Run #{run[1]} of ") and heading.endswith(run[2])
        return "audit"
    raise AssertionError(f"{_words(link)!r} links to {href}, not to its source")


def test_the_maps_links_open_only_for_those_who_may(
    app: Flask, session: Session
) -> None:
    _, _, journey_url = _demo(app, session)
    viewer = _login(app, DEMO_VIEWER_EMAIL, DEMO_VIEWER_PASSWORD)
    owner = _login(app, DEMO_EMAIL, DEMO_PASSWORD)
    hrefs = {f"{journey_url}/map"}
    # Open follow-ups show customers' own words: a link only for those who may
    # read them (the owner), the count alone for a viewer.
    for client, linked in ((viewer, False), (owner, True)):
        doc = lxml.html.fromstring(client.get(f"{journey_url}/map").text)
        waiting = doc.xpath('//p[@class="cx-followups-open"]')
        assert waiting, "the demo has open follow-ups at Checkout"
        links = waiting[0].xpath(".//a")
        assert bool(links) is linked
        if linked:
            assert re.fullmatch(r"\d+ open follow-ups?", _words(links[0]))
            assert client.get(links[0].get("href")).status_code == 200
        hrefs |= {
            a.get("href").split("#", 1)[0]
            for a in doc.xpath('//article[contains(@class, "cx-card")]//a')
        }
    assert any("/results" in h for h in hrefs) and any("/runs/" in h for h in hrefs)
    # Someone outside the demo team opens none of them.
    create_researcher(session, email="stranger@example.com", password="password-1")
    stranger = _login(app, "stranger@example.com", "password-1")
    for href in sorted(hrefs):
        assert stranger.get(href).status_code in (403, 404), href
