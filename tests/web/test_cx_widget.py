"""The web widget's endpoints: origins, refusals, dedupe, rate limit, settings roles."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.web.test_cx import (  # noqa: F401
    define_journey,
    save_survey,
    team_fixture,
    without_ids,
)
from uxlab import create_app
from uxlab.cx import followups, journeys
from uxlab.cx.followup_models import CxFollowup
from uxlab.cx.models import CxChannel, CxJourney, CxResponse, CxTouchpoint
from uxlab.db import get_engine

SHOP = "https://shop.example.com"
ROOT = Path(__file__).resolve().parents[2]


def widget_token(session: Session, secret: str = "test-secret") -> str:
    session.rollback()
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "widget")).one()
    return journeys.channel_token(channel, secret)


def set_widget(client: FlaskClient, slug: str, touchpoint_id: int, **form: Any) -> Any:
    data = {
        "allowed_origins": SHOP,
        "trigger": "delay",
        "delay_s": "5",
        "url_pattern": "",
        "sample_percent": "100",
        "throttle_days": "30",
        "dismiss_days": "90",
        **form,
    }
    url = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}/widget"
    return client.post(url, data=data)


@pytest.fixture(name="widget")
def widget_fixture(team: dict[str, Any], session: Session) -> dict[str, Any]:
    slug, editor = team["slug"], team["editor"]
    _, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id)
    assert set_widget(editor, slug, touchpoint_id).status_code == 303
    return {**team, "touchpoint_id": touchpoint_id, "token": widget_token(session)}


def rows(session: Session) -> list[CxResponse]:
    session.rollback()
    return list(session.exec(select(CxResponse)).all())


def post(client: FlaskClient, token: str, body: Any, origin: str | None = SHOP) -> Any:
    headers = {"Origin": origin} if origin else {}
    return client.post(f"/api/v1/cx/widget/{token}/answers", json=body, headers=headers)


ANSWER = {"id": "0b9d1f7e-2c4a-4f57-9d1e-8a7c6b5a4f3e", "answers": {"nps": 9}}


def test_an_allowed_origin_gets_the_config_with_cors(
    client: FlaskClient, widget: dict[str, Any]
) -> None:
    got = client.get(f"/api/v1/cx/widget/{widget['token']}", headers={"Origin": SHOP})
    assert got.status_code == 200
    assert got.headers["Access-Control-Allow-Origin"] == SHOP
    config = got.get_json()
    assert [b["name"] for b in config["blocks"]] == ["nps", "csat", "open_text"]
    assert config["trigger"] == "delay" and config["delay_s"] == 5
    assert config["sample_percent"] == 100 and config["hidden"] == ["order"]


def test_a_foreign_origin_is_refused_without_cors_and_stores_nothing(
    client: FlaskClient, widget: dict[str, Any], session: Session
) -> None:
    token = widget["token"]
    evil = "https://evil.example.net"
    got = client.get(f"/api/v1/cx/widget/{token}", headers={"Origin": evil})
    assert got.status_code == 403
    assert got.get_json()["error"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in got.headers
    sent = post(client, token, ANSWER, origin=evil)
    assert sent.status_code == 403 and "Access-Control-Allow-Origin" not in sent.headers
    preflight = client.options(
        f"/api/v1/cx/widget/{token}/answers", headers={"Origin": evil}
    )
    assert preflight.status_code == 403
    assert rows(session) == []


def test_answers_outside_the_scale_are_refused_with_reasons_and_nothing_stored(
    client: FlaskClient, widget: dict[str, Any], session: Session
) -> None:
    body = {"id": ANSWER["id"], "answers": {"nps": 11, "csat": 4}}
    refused = post(client, widget["token"], body)
    assert refused.status_code == 422
    found = refused.get_json()
    assert found["error"] == "invalid_answers"
    assert "NPS takes a whole number from 0 to 10" in found["reasons"]["nps"]
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP
    for bad in (
        {"id": "short", "answers": {"nps": 3}},
        {"id": ANSWER["id"], "answers": {"nps": True}},
        {"id": ANSWER["id"], "answers": {}},
        {"id": ANSWER["id"], "answers": {"nps": 5}, "hidden": {"order": "x" * 300}},
        ["not", "an", "object"],
    ):
        assert post(client, widget["token"], bad).status_code == 422, bad
    assert rows(session) == []


def test_a_resend_is_stored_once_and_counted_as_a_widget_answer(
    client: FlaskClient, widget: dict[str, Any], session: Session
) -> None:
    body = {
        **ANSWER,
        "answers": {"nps": 9, "open_text": "Fast"},
        "hidden": {"order": "A-1"},
    }
    first = post(client, widget["token"], body)
    assert first.status_code == 201 and first.get_json() == {
        "stored": True,
        "duplicate": False,
    }
    again = post(client, widget["token"], body)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    stored = rows(session)
    assert [(r.nps, r.open_text, r.hidden) for r in stored] == [
        (9, "Fast", {"order": "A-1"})
    ]
    slug, editor = widget["slug"], widget["editor"]
    page = editor.get(f"/workspaces/{slug}/cx/touchpoints/{widget['touchpoint_id']}")
    assert "web widget 1." in page.text and 'data-touchpoint="' in page.text


def test_a_detractor_from_the_widget_with_a_reference_becomes_one_follow_up(
    client: FlaskClient, widget: dict[str, Any], session: Session
) -> None:
    touchpoint = session.get(CxTouchpoint, widget["touchpoint_id"])
    assert touchpoint is not None
    journey = session.get(CxJourney, touchpoint.journey_id)
    assert journey is not None
    followups.save_settings(session, journey, "order", "")
    body = {**ANSWER, "answers": {"nps": 2}, "hidden": {"order": "A-9"}}
    assert post(client, widget["token"], body).status_code == 201
    # Sent again (its acknowledgement was lost): still one follow-up.
    assert post(client, widget["token"], body).status_code == 200
    session.rollback()
    made = session.exec(select(CxFollowup)).all()
    assert [(f.reference, f.reason) for f in made] == [("A-9", "NPS 2 (detractor)")]


def test_a_paused_touchpoint_answers_410(
    client: FlaskClient, widget: dict[str, Any], session: Session
) -> None:
    session.rollback()
    point = session.get(CxTouchpoint, widget["touchpoint_id"])
    assert point is not None
    point.enabled = False
    session.add(point)
    session.commit()
    got = client.get(f"/api/v1/cx/widget/{widget['token']}", headers={"Origin": SHOP})
    assert got.status_code == 410 and got.get_json()["error"] == "touchpoint_paused"
    assert post(client, widget["token"], ANSWER).status_code == 410
    assert rows(session) == []
    assert client.get("/api/v1/cx/widget/unknown-token").status_code == 404


def test_the_widget_token_is_no_feedback_link(
    client: FlaskClient, widget: dict[str, Any]
) -> None:
    assert client.get(f"/f/{widget['token']}?nps=9").status_code == 404


def test_requests_are_rate_limited_per_touchpoint_and_address(
    database_url: str,
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "WIDGET_RATE_LIMIT": "3 per minute",
        }
    )
    try:
        client = app.test_client()
        codes = [
            client.get("/api/v1/cx/widget/some-token").status_code for _ in range(4)
        ]
        assert codes == [404, 404, 404, 429]
        # Another touchpoint's token has its own count.
        assert client.get("/api/v1/cx/widget/other-token").status_code == 404
    finally:
        get_engine(app).dispose()


def test_only_editors_change_the_widget_settings(
    widget: dict[str, Any], session: Session
) -> None:
    slug, touchpoint_id = widget["slug"], widget["touchpoint_id"]
    assert set_widget(widget["viewer"], slug, touchpoint_id).status_code == 403
    assert set_widget(widget["other"], slug, touchpoint_id).status_code in (403, 404)
    bad = set_widget(
        widget["editor"], slug, touchpoint_id, allowed_origins="https://a.example/path"
    )
    assert bad.status_code == 422 and "is not an origin" in bad.text
    done = set_widget(
        widget["editor"],
        slug,
        touchpoint_id,
        allowed_origins=f"{SHOP}\nhttp://127.0.0.1:8000/",
        trigger="url",
        url_pattern="/checkout/done*",
        sample_percent="10",
    )
    assert done.status_code == 303
    session.rollback()
    point = session.get(CxTouchpoint, touchpoint_id)
    assert point is not None
    assert point.allowed_origins == [SHOP, "http://127.0.0.1:8000"]
    assert point.widget["trigger"] == "url" and point.widget["sample_percent"] == 10
    page = widget["viewer"].get(f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}")
    assert "Save widget settings" not in page.text


def test_the_widget_settings_round_trip_through_the_journey_file(
    widget: dict[str, Any],
) -> None:
    slug, editor = widget["slug"], widget["editor"]
    journey_id = re.search(
        r"/cx/journeys/(\d+)", editor.get(f"/workspaces/{slug}/cx").text
    )
    assert journey_id is not None
    yaml_text = editor.get(
        f"/workspaces/{slug}/cx/journeys/{journey_id[1]}/journey.yaml"
    ).text
    assert f"    widget:\n      allowed_origins:\n      - {SHOP}\n" in yaml_text
    made = editor.post(
        f"/workspaces/{slug}/cx/journeys/import", data={"source": yaml_text}
    )
    assert made.status_code == 303
    copy = made.headers["Location"].rstrip("/").split("/")[-1]
    again = editor.get(f"/workspaces/{slug}/cx/journeys/{copy}/journey.yaml").text
    assert without_ids(again) == without_ids(yaml_text)
    bad = yaml_text.replace("trigger: delay", "trigger: sometimes")
    refused = editor.post(
        f"/workspaces/{slug}/cx/journeys/import", data={"source": bad}
    )
    assert refused.status_code == 422 and "widget: trigger" in refused.text


def test_the_widget_script_is_under_15_kb_gzipped() -> None:
    script = (ROOT / "static" / "feedback-widget.js").read_bytes()
    assert len(gzip.compress(script, compresslevel=9)) < 15 * 1024
