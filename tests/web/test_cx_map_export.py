"""The journey map as a slide: PNG and SVG with the page's figures."""

from __future__ import annotations

import re
import struct

from flask import Flask
from sqlmodel import Session, col, select

from uxlab.cx.models import CxJourney
from uxlab.cx.ux_side import CxTouchpointLink
from uxlab.demo import (
    DEMO_VIEWER_EMAIL,
    DEMO_VIEWER_PASSWORD,
)
from uxlab.models import Study, Workspace


def test_the_map_downloads_as_a_slide_with_the_pages_figures(
    app: Flask, session: Session
) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--participants", "4"])
    assert result.exit_code == 0, result.output
    journey = session.exec(select(CxJourney)).one()
    team = session.get(Workspace, journey.workspace_id)
    assert team is not None
    viewer = app.test_client()
    viewer.post(
        "/login", data={"email": DEMO_VIEWER_EMAIL, "password": DEMO_VIEWER_PASSWORD}
    )
    base = f"/workspaces/{team.slug}/cx/journeys/{journey.id}/map"
    page = viewer.get(f"{base}?every=month").text
    link = re.search(r'href="([^"]*/map\.png[^"]*)"', page)
    assert link is not None
    png = viewer.get(link[1].replace("&amp;", "&"))
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]
    width, height = struct.unpack(">II", png.data[16:24])  # the PNG's IHDR
    assert (width, height) == (1920, 1080)

    svg = viewer.get(f"{base}.svg?every=month").text
    for name in ("Discover", "Buy", "Get help", "Renew", "Checkout", "Support chat"):
        assert name in svg
    assert "adjusted Wald (Rocks 2016)" in svg
    # The card's NPS on the slide is the page's.
    card = re.search(r'id="card-\d+"><a [^>]*>Checkout</a>(.*?)</article>', page, re.S)
    assert card is not None
    nps = re.search(r"NPS </span>([+−-]?\d+)", card[1])
    if nps:
        assert f"NPS {nps[1].replace('−', '-')}" in svg
    assert viewer.get(f"{base}.pdf").status_code == 404
    assert viewer.get(f"{base}.svg?period=soon").status_code == 400

    # Someone outside the workspace gets nothing.
    app.test_cli_runner().invoke(
        args=["researcher", "create", "out@example.com", "--password", "password-1"]
    )
    outsider = app.test_client()
    outsider.post("/login", data={"email": "out@example.com", "password": "password-1"})
    assert outsider.get(f"{base}.svg").status_code in (403, 404)


def test_the_report_of_a_study_aimed_at_a_touchpoint_carries_its_journey_map(
    app: Flask, session: Session
) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--participants", "4"])
    assert result.exit_code == 0, result.output
    journey = session.exec(select(CxJourney)).one()
    linked = session.exec(
        select(Study)
        .join(CxTouchpointLink, col(CxTouchpointLink.study_id) == Study.id)
        .where(col(CxTouchpointLink.study_id).is_not(None))
    ).one()
    other = session.exec(
        select(Study).where(
            Study.workspace_id == journey.workspace_id, Study.id != linked.id
        )
    ).first()
    assert other is not None
    viewer = app.test_client()
    viewer.post(
        "/login", data={"email": DEMO_VIEWER_EMAIL, "password": DEMO_VIEWER_PASSWORD}
    )
    report = viewer.get(f"/studies/{linked.slug}/report.html")
    assert report.status_code == 200
    section = re.search(
        r'<section [^>]*id="journey-maps".*?</section>', report.text, re.S
    )
    assert section is not None
    assert "Buy online" in section[0] and "this study: Checkout" in section[0]
    # The slide itself, inline: every stage and the Checkout card, as text.
    for name in ("Discover", "Buy", "Get help", "Renew", "Checkout"):
        assert name in section[0]
    assert "adjusted Wald (Rocks 2016)" in section[0]
    # A study aimed at no touchpoint has no journey section.
    plain = viewer.get(f"/studies/{other.slug}/report.html")
    assert plain.status_code == 200 and 'id="journey-maps"' not in plain.text
