"""CX journeys as members and customers meet them: pages, links, QR codes, trends.

Expected statistics come from the cited examples of :mod:`uxlab.stats`, which
its own tests check against the published sources.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from uxlab import create_app
from uxlab.accounts import create_researcher
from uxlab.cx import journeys, trends
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.cx.models import CxChannel, CxJourney, CxResponse, CxStage, CxTouchpoint
from uxlab.db import get_engine
from uxlab.models import ActivityEntry, WorkspaceRole
from uxlab.workspaces import add_member, create_workspace, personal_workspace

SECRET = "test-secret"


def login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": "password-1"})
    assert response.status_code == 302
    return client


@pytest.fixture(name="team")
def team_fixture(app: Flask, session: Session) -> dict[str, Any]:
    for who in ("owner", "editor", "viewer", "other"):
        create_researcher(session, email=f"{who}@example.com", password="password-1")
    team = create_workspace(session, "Shop team", owner_email="owner@example.com")
    add_member(session, team, "editor@example.com", WorkspaceRole.editor)
    add_member(session, team, "viewer@example.com", WorkspaceRole.viewer)
    return {
        "slug": team.slug,
        "id": team.id,
        "editor": login(app, "editor@example.com"),
        "viewer": login(app, "viewer@example.com"),
        "other": login(app, "other@example.com"),
    }


def define_journey(client: FlaskClient, slug: str) -> tuple[int, int]:
    """Through the pages: a journey "Buy online" with a touchpoint "Checkout"."""
    response = client.post(
        f"/workspaces/{slug}/cx/journeys",
        data={"name": "Buy online", "stages": "Discover\nBuy\n\nGet help"},
    )
    assert response.status_code == 303
    journey_url = response.headers["Location"]
    journey_id = int(journey_url.rstrip("/").split("/")[-1])
    page = client.get(journey_url).text
    order = [page.index(f"<h2>{s}</h2>") for s in ("Discover", "Buy", "Get help")]
    assert order == sorted(order)
    stage_id = re.search(
        r'name="stage_id" value="(\d+)">\s*<label for="new-touchpoint-\d+">'
        r"New touchpoint in Buy",
        page,
    )
    assert stage_id is not None
    client.post(
        f"{journey_url}/change",
        data={"action": "add_touchpoint", "stage_id": stage_id[1], "name": "Checkout"},
    )
    page = client.get(journey_url).text
    found = re.search(r'/cx/touchpoints/(\d+)">Checkout</a>', page)
    assert found is not None
    return journey_id, int(found[1])


def save_survey(client: FlaskClient, slug: str, touchpoint_id: int, **form: Any) -> str:
    data = {
        "blocks": ["nps", "csat", "open"],
        "open_question": "What is the **main** reason for your score?"
        '<script>alert("x")</script>',
        "hidden_fields": "order",
        "enabled": "on",
        **form,
    }
    url = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    assert client.post(f"{url}/survey", data=data).status_code == 303
    return client.get(url).text


def survey_link(page: str) -> str:
    found = re.search(r'id="feedback-link" readonly size="60" value="([^"]+)"', page)
    assert found is not None
    return found[1].removeprefix("http://localhost")


def test_an_editor_defines_a_journey_and_a_viewer_reads_it_without_links(
    team: dict[str, Any],
) -> None:
    slug = team["slug"]
    journey_id, touchpoint_id = define_journey(team["editor"], slug)
    page = save_survey(team["editor"], slug, touchpoint_id)
    assert "Survey link" in page and "?nps=10" in page
    assert "Download PNG" in page
    viewer: FlaskClient = team["viewer"]
    assert "Buy online" in viewer.get(f"/workspaces/{slug}/cx").text
    page = viewer.get(f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}").text
    assert "NPS (0-10, likelihood to recommend)" in page
    assert "/f/" not in page and "Save survey" not in page
    assert (
        viewer.get(
            f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}/qr.png"
        ).status_code
        == 403
    )
    refused = viewer.post(
        f"/workspaces/{slug}/cx/journeys/{journey_id}/change",
        data={"action": "rename_journey", "name": "Taken"},
    )
    assert refused.status_code == 403 and "needs the editor role" in refused.text
    assert "Buy online" in viewer.get(f"/workspaces/{slug}/cx").text


def test_stages_and_touchpoints_are_reordered_renamed_and_refused_when_blank(
    team: dict[str, Any], session: Session
) -> None:
    editor: FlaskClient = team["editor"]
    journey_id, touchpoint_id = define_journey(editor, team["slug"])
    url = f"/workspaces/{team['slug']}/cx/journeys/{journey_id}"
    stages = session.exec(select(CxStage).where(CxStage.journey_id == journey_id)).all()
    buy = next(s for s in stages if s.name == "Buy")
    editor.post(
        f"{url}/change", data={"action": "move_stage", "id": buy.id, "step": -1}
    )
    page = editor.get(url).text
    assert page.index("<h2>Buy</h2>") < page.index("<h2>Discover</h2>")
    editor.post(
        f"{url}/change",
        data={
            "action": "rename_touchpoint",
            "id": touchpoint_id,
            "name": "Payment page",
        },
    )
    assert "Payment page" in editor.get(url).text
    blank = editor.post(
        f"{url}/change",
        data={"action": "add_stage", "name": "   "},
        follow_redirects=True,
    )
    assert "The stage needs a name." in blank.text
    moved = editor.post(
        f"{url}/change",
        data={"action": "move_stage", "id": buy.id, "step": -1},
        follow_redirects=True,
    )
    assert "It is already at that end." in moved.text
    bad = editor.post(f"{url}/change", data={"action": "drop_tables"})
    assert bad.status_code == 400
    # Deleting the touchpoint takes its survey and links with it.
    link = survey_link(save_survey(editor, team["slug"], touchpoint_id))
    editor.post(
        f"{url}/change", data={"action": "delete_touchpoint", "id": touchpoint_id}
    )
    assert "Payment page" not in editor.get(url).text
    gone = editor.get(f"{link}?nps=9")
    assert gone.status_code == 404 and "This feedback link does not work" in gone.text
    deleted = editor.post(
        f"{url}/change", data={"action": "delete_journey"}, follow_redirects=True
    )
    assert "Deleted the journey “Buy online”." in deleted.text
    assert editor.get(url).status_code == 404


def test_another_workspace_never_sees_or_changes_the_journey(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    journey_id, touchpoint_id = define_journey(team["editor"], team["slug"])
    save_survey(team["editor"], team["slug"], touchpoint_id)
    other: FlaskClient = team["other"]
    own = personal_workspace(session, _id(session, "other@example.com")).slug
    # Their own workspace in the URL, the team's ids: not found.
    for url in (
        f"/workspaces/{own}/cx/journeys/{journey_id}",
        f"/workspaces/{own}/cx/journeys/{journey_id}/map",
        f"/workspaces/{own}/cx/touchpoints/{touchpoint_id}",
        f"/workspaces/{own}/cx/touchpoints/{touchpoint_id}/qr.svg",
    ):
        assert other.get(url).status_code == 404, url
    for url, data in (
        (
            f"/workspaces/{own}/cx/journeys/{journey_id}/change",
            {"action": "delete_touchpoint", "id": touchpoint_id},
        ),
        (f"/workspaces/{own}/cx/touchpoints/{touchpoint_id}/survey/delete", {}),
    ):
        assert other.post(url, data=data).status_code == 404, url
    assert "Buy online" not in other.get(f"/workspaces/{own}/cx").text
    session.rollback()
    assert session.get(CxTouchpoint, touchpoint_id) is not None


def _id(session: Session, email: str) -> int:
    from uxlab.models import Researcher

    found = session.exec(select(Researcher.id).where(Researcher.email == email)).one()
    assert found is not None
    return found


def responses(session: Session) -> list[CxResponse]:
    session.rollback()
    return list(session.exec(select(CxResponse).order_by(CxResponse.id)).all())  # type: ignore[arg-type]


def test_a_link_records_its_answer_once_per_browser_then_the_rest(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    _, touchpoint_id = define_journey(team["editor"], team["slug"])
    link = survey_link(save_survey(team["editor"], team["slug"], touchpoint_id))
    customer = app.test_client()
    first = customer.get(f"{link}?nps=9&order=A-17&utm_source=mail")
    assert first.status_code == 200
    assert "<script>alert" not in first.text
    assert "Your answer is recorded (9 out of 10)" in first.text
    # The researcher's Markdown, sanitised: emphasis kept, nothing else.
    assert (
        '<label for="open-text">What is the <strong>main</strong> reason' in first.text
    )
    again = customer.get(f"{link}?nps=10")  # a second click, another button
    assert again.status_code == 200
    stored = responses(session)
    assert len(stored) == 1
    assert (stored[0].nps, stored[0].hidden) == (10, {"order": "A-17"})
    done = customer.post(link, data={"csat": "4", "open_text": "Delivery date hidden"})
    assert done.status_code == 200 and "Your answers are recorded" in done.text
    stored = responses(session)
    assert [(r.nps, r.csat, r.open_text) for r in stored] == [
        (10, 4, "Delivery date hidden")
    ]
    # The manager reads it; the order id is shown to editors only.
    base = f"/workspaces/{team['slug']}/cx/touchpoints/{touchpoint_id}"
    page = team["editor"].get(base).text
    assert "<blockquote>Delivery date hidden</blockquote>" in page
    assert "NPS answer 10 · CSAT 4 · order <code>A-17</code>" in page
    page = team["viewer"].get(base).text
    assert "<blockquote>Delivery date hidden</blockquote>" in page
    assert "A-17" not in page
    # Another browser is another customer.
    assert app.test_client().get(f"{link}?nps=3").status_code == 200
    assert [r.nps for r in responses(session)] == [10, 3]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("nps=11", "NPS takes a whole number from 0 to 10; got &#39;11&#39;."),
        ("nps=-1", "NPS takes a whole number from 0 to 10"),
        ("nps=nine", "NPS takes a whole number from 0 to 10"),
        ("nps=7&csat=6", "CSAT takes a whole number from 1 to 5; got &#39;6&#39;."),
        ("nps=7&order=" + "x" * 201, "The hidden field order is longer than 200"),
    ],
)
def test_out_of_range_answers_are_refused_with_reasons_and_nothing_is_stored(
    app: Flask, team: dict[str, Any], session: Session, query: str, reason: str
) -> None:
    _, touchpoint_id = define_journey(team["editor"], team["slug"])
    link = survey_link(save_survey(team["editor"], team["slug"], touchpoint_id))
    customer = app.test_client()
    response = customer.get(f"{link}?{query}")
    assert response.status_code == 422
    assert reason in response.text
    assert "Nothing from this link was recorded" in response.text
    assert responses(session) == []


def test_a_form_with_one_bad_answer_changes_nothing(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    _, touchpoint_id = define_journey(team["editor"], team["slug"])
    link = survey_link(save_survey(team["editor"], team["slug"], touchpoint_id))
    customer = app.test_client()
    customer.get(f"{link}?nps=8")
    refused = customer.post(link, data={"nps": "2", "csat": "9", "open_text": "x"})
    assert refused.status_code == 422
    assert "CSAT takes a whole number from 1 to 5" in refused.text
    assert [(r.nps, r.csat, r.open_text) for r in responses(session)] == [
        (8, None, None)
    ]


def test_paused_deleted_and_unknown_links_answer_politely(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    _, touchpoint_id = define_journey(editor, slug)
    link = survey_link(save_survey(editor, slug, touchpoint_id))
    customer = app.test_client()
    save_survey(editor, slug, touchpoint_id, enabled="")  # paused
    paused = customer.get(f"{link}?nps=9")
    assert paused.status_code == 410
    assert "We are not collecting feedback here at the moment" in paused.text
    save_survey(editor, slug, touchpoint_id)  # resumed
    assert customer.get(f"{link}?nps=9").status_code == 200
    editor.post(f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}/survey/delete")
    ended = customer.get(f"{link}?nps=2")
    assert ended.status_code == 410 and "This survey has ended" in ended.text
    assert [r.nps for r in responses(session)] == [9]
    unknown = customer.get("/f/not-a-link?nps=9")
    assert unknown.status_code == 404
    assert "This feedback link does not work" in unknown.text


def test_qr_codes_download_and_count_apart_from_the_link(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    _, touchpoint_id = define_journey(editor, slug)
    page = save_survey(editor, slug, touchpoint_id)
    base = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    png = editor.get(f"{base}/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    svg = editor.get(f"{base}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert editor.get(f"{base}/qr.gif").status_code == 404
    # The QR code's link is the survey's "qr" channel (its own token).
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "qr")).one()
    qr_link = f"/f/{journeys.channel_token(channel, SECRET)}"
    assert qr_link != survey_link(page)
    app.test_client().get(f"{qr_link}?nps=9")
    app.test_client().get(f"{survey_link(page)}?nps=6")
    app.test_client().get(f"{survey_link(page)}?nps=7")
    assert (
        "Answers by channel: link 2, QR code 1, web widget 0." in editor.get(base).text
    )


def test_the_trend_shows_intervals_counts_and_cautions(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    journey_id, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id)
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "link")).one()
    opened = open_link(session, journeys.channel_token(channel, SECRET))
    # Last month and the month before, so both are among the 12 months shown.
    this_month = datetime.now(UTC).replace(day=1, hour=12)
    november = (this_month - timedelta(days=1)).replace(day=10)
    october = (november.replace(day=1) - timedelta(days=1)).replace(day=5)
    nov, octo = november.strftime("%B %Y"), october.strftime("%B %Y")
    nov_day, oct_day = f"{november:%Y-%m}-01", f"{october:%Y-%m}-01"
    # 50 promoters, 30 passives, 20 detractors: NPS +30, 95% adjusted-Wald
    # interval 14.05 to 44.20 (uxlab.stats.nps_from_counts' example, Rocks 2016).
    ratings = [10] * 50 + [8] * 30 + [3] * 20
    # CSAT 5,4,4,3,5,2,4,5: 75% satisfied, 95% adjusted-Wald 40.1% to 93.7%
    # (uxlab.stats.csat's example; Sauro & Lewis 2005).
    satisfaction = [5, 4, 4, 3, 5, 2, 4, 5]
    for k, nps in enumerate(ratings):
        values = {"nps": str(nps)}
        if k < len(satisfaction):
            values["csat"] = str(satisfaction[k])
        record(
            session,
            opened,
            f"customer-{k}",
            parse_answers(opened.survey, values),
            at=november,
        )  # type: ignore[arg-type]
    for k in range(3):
        record(
            session,
            opened,
            f"early-{k}",
            parse_answers(opened.survey, {"nps": "9"}),
            at=october,
        )  # type: ignore[arg-type]
    page = editor.get(
        f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}?every=month"
    ).text
    row = _row(page, nov)
    assert "NPS +30" in row and "95% CI 14 to 44, adjusted Wald (Rocks 2016)" in row
    assert "n = 100" in row
    assert (
        "CSAT 75%" in row
        and "95% CI 40 to 94%, adjusted Wald (Sauro &amp; Lewis 2005)" in row
    )
    assert "Caution: fewer than 30 answers" in row  # the CSAT's 8
    # The chart says the same to a screen reader (and in each mark's title).
    assert (
        f"{oct_day}: NPS 100, n = 3; {nov_day}: NPS 30 (95% CI 14 to 44), n = 100"
        in page
    )
    october_row = _row(page, octo)
    assert "NPS +100" in october_row and "n = 3" in october_row
    assert "too few answers for an interval (needs 5)" in october_row
    assert "95% CI" not in october_row
    # The map of last month: the card shows the same, and says what CES would need.
    card = editor.get(
        f"/workspaces/{slug}/cx/journeys/{journey_id}/map?every=month&period={nov_day}"
    ).text
    assert f"100 responses in {nov}" in card
    assert "95% CI 14 to 44" in card and "NPS </span>+30" in card
    assert "Not asked: add the CES question to this touchpoint" in card
    assert (
        editor.get(
            f"/workspaces/{slug}/cx/journeys/{journey_id}/map?period=soon"
        ).status_code
        == 400
    )


def _row(page: str, label: str) -> str:
    """A trend row's text as a reader sees it (tags dropped, spaces joined)."""
    found = re.search(
        rf"<th scope=\"row\" data-label=\"Period\">{label}</th>(.*?)</tr>", page, re.S
    )
    assert found is not None, label
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split())


def test_a_card_without_a_survey_says_what_would_fill_it(team: dict[str, Any]) -> None:
    journey_id, _ = define_journey(team["editor"], team["slug"])
    page = (
        team["viewer"]
        .get(f"/workspaces/{team['slug']}/cx/journeys/{journey_id}/map")
        .text
    )
    assert "No survey yet. Choose its questions on the" in page
    assert "No touchpoints in this stage." in page


@pytest.fixture(name="limited_app")
def limited_app_fixture(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "FEEDBACK_RATE_LIMIT": "3 per minute",
        }
    )
    yield app
    get_engine(app).dispose()


def test_feedback_links_are_rate_limited_per_address(limited_app: Flask) -> None:
    from sqlmodel import Session as DbSession

    with DbSession(get_engine(limited_app)) as db:
        create_researcher(db, email="solo@example.com", password="password-1")
        workspace = create_workspace(db, "Solo", owner_email="solo@example.com")
        journey = journeys.create_journey(db, workspace.id or 0, "J", ["Buy"])
        stage = journeys.journey_view(db, journey).stages[0].stage
        point = journeys.add_touchpoint(db, journey, stage.id or 0, "Checkout")
        survey = journeys.save_survey(db, point, ["nps"], "", "", SECRET)
        channel = journeys.channels_of(db, survey)[0]
        link = f"/f/{journeys.channel_token(channel, SECRET)}"
    customer = limited_app.test_client()
    assert [customer.get(f"{link}?nps=9").status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_the_rest_of_the_answers_need_the_pages_csrf_token(csrf_app: Flask) -> None:
    from sqlmodel import Session as DbSession

    with DbSession(get_engine(csrf_app)) as db:
        create_researcher(db, email="solo@example.com", password="password-1")
        workspace = create_workspace(db, "Solo", owner_email="solo@example.com")
        journey = journeys.create_journey(db, workspace.id or 0, "J", ["Buy"])
        stage = journeys.journey_view(db, journey).stages[0].stage
        point = journeys.add_touchpoint(db, journey, stage.id or 0, "Checkout")
        survey = journeys.save_survey(db, point, ["nps", "ces"], "", "", SECRET)
        link = (
            f"/f/{journeys.channel_token(journeys.channels_of(db, survey)[0], SECRET)}"
        )
    customer = csrf_app.test_client()
    page = customer.get(f"{link}?nps=6")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    assert customer.post(link, data={"ces": "2"}).status_code == 400
    sent = customer.post(link, data={"ces": "2", "csrf_token": token[1]})
    assert sent.status_code == 200 and "Your answers are recorded" in sent.text
    with DbSession(get_engine(csrf_app)) as db:
        rows = db.exec(select(CxResponse)).all()
        assert [(r.nps, r.ces) for r in rows] == [(6, 2)]


def without_ids(text: str) -> str:
    """A journey file with its stages' and touchpoints' ids blanked."""
    return re.sub(r"(?m)^(\s*-? *)id: \d+$", r"\1id: _", text)


def test_a_journey_round_trips_through_its_yaml_file(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    journey_id, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id, hidden_fields="order, plan")
    download = editor.get(f"/workspaces/{slug}/cx/journeys/{journey_id}/journey.yaml")
    assert download.status_code == 200
    text = download.text
    assert re.match(r"name: Buy online\nstages:\n- id: \d+\n  name: Discover\n", text)
    assert (
        f"  - id: {touchpoint_id}\n    name: Checkout\n    enabled: true\n"
        "    survey:\n      blocks:\n      - nps\n      - csat\n      - open\n"
    ) in text
    assert "      hidden_fields:\n      - order\n      - plan\n" in text
    made = editor.post(f"/workspaces/{slug}/cx/journeys/import", data={"source": text})
    assert made.status_code == 303
    copy_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    assert copy_id != journey_id
    again = editor.get(f"/workspaces/{slug}/cx/journeys/{copy_id}/journey.yaml").text
    assert without_ids(again) == without_ids(text)
    assert again != text  # its own stages and touchpoints
    # The copy has its own links: the original's link is not the copy's.
    session.rollback()
    assert len(session.exec(select(CxChannel)).all()) == 6


def test_a_bad_journey_file_is_refused_whole_with_its_problems(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    bad = (
        "name: Renewals\n"
        "stages:\n"
        "  - name: Renew\n"
        "    touchpoints:\n"
        "      - name: Reminder email\n"
        "        survey: {blocks: [nps, stars]}\n"
        "      - name: ''\n"
    )
    refused = editor.post(
        f"/workspaces/{slug}/cx/journeys/import", data={"source": bad}
    )
    assert refused.status_code == 422
    assert "stages[0].touchpoints[0].survey.blocks: stars not among" in refused.text
    assert "stages[0].touchpoints[1].name: needs a name" in refused.text
    broken = editor.post(
        f"/workspaces/{slug}/cx/journeys/import", data={"source": "name: [unclosed"}
    )
    assert broken.status_code == 422 and "not valid YAML" in broken.text
    # A survey only the store can judge (an open question without wording).
    late = editor.post(
        f"/workspaces/{slug}/cx/journeys/import",
        data={
            "source": "name: R\nstages:\n  - name: S\n    touchpoints:\n"
            "      - name: T\n        survey: {blocks: [open]}\n"
        },
    )
    assert (
        late.status_code == 422 and "The open question needs its wording." in late.text
    )
    session.rollback()
    assert session.exec(select(CxStage)).all() == []


def test_a_link_without_answers_asks_first_and_keeps_its_hidden_fields(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    _, touchpoint_id = define_journey(team["editor"], team["slug"])
    link = survey_link(save_survey(team["editor"], team["slug"], touchpoint_id))
    customer = app.test_client()
    page = customer.get(f"{link}?order=B-2")
    assert page.status_code == 200 and "Tell us how it went" in page.text
    assert responses(session) == []  # a hidden field alone is no response
    assert '<input type="hidden" name="order" value="B-2">' in page.text
    empty = customer.post(link, data={"order": "B-2"})
    assert "Tell us how it went" in empty.text and responses(session) == []
    customer.post(link, data={"order": "B-2", "nps": "5"})
    assert [(r.nps, r.hidden) for r in responses(session)] == [(5, {"order": "B-2"})]


def test_a_change_between_periods_is_judged_by_its_interval(
    app: Flask, team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    journey_id, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id)
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "link")).one()
    opened = open_link(session, journeys.channel_token(channel, SECRET))
    this_month = datetime.now(UTC).replace(day=1, hour=12)
    november = (this_month - timedelta(days=1)).replace(day=10)
    october = (november.replace(day=1) - timedelta(days=1)).replace(day=5)
    octo, nov_day = october.strftime("%B %Y"), f"{november:%Y-%m}-01"
    satisfaction = [5, 4, 4, 3, 5, 2, 4, 5]
    months = (
        # October: 10 promoters, 10 passives, 20 detractors (NPS -25).
        (october, [10] * 10 + [8] * 10 + [3] * 20),
        # November: 50, 30, 20 (NPS +30).
        (november, [10] * 50 + [8] * 30 + [3] * 20),
    )
    for at, ratings in months:
        for k, nps in enumerate(ratings):
            values = {"nps": str(nps)}
            if k < len(satisfaction):  # 6 of 8 satisfied in both months
                values["csat"] = str(satisfaction[k])
            record(
                session,
                opened,
                f"{at:%m}-{k}",
                parse_answers(opened.survey, values),
                at=at,
            )  # type: ignore[arg-type]
    page = editor.get(
        f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}?every=month"
    ).text
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    # NPS difference, adjusted Wald (Rocks 2016), worked by hand: November
    # n' = 103, c = 0.291262, v = 0.609341; October n' = 43, p'P = 10.75/43,
    # p'D = 20.75/43, c = -0.232558, v = 0.678475; SE = 0.147290;
    # 0.523820 -/+ 1.959964 SE = 0.2351 .. 0.8125, so 24 to 81 points around
    # the unadjusted 30 - (-25) = 55. The interval excludes zero: higher.
    assert (
        f"NPS: higher than {octo} by 55 points (95 % CI 24 to 81 points), "
        "adjusted Wald difference (Rocks 2016)." in text
    )
    # CSAT 6 of 8 both months: Sauro & Lewis adjusted-Wald difference,
    # p' = 6.9604/9.9208 = 0.70160 each, 0 -/+ 1.959964 sqrt(2 p'(1-p')/9.9208)
    # = -/+ 0.4027: no detectable change, and the interval is stated.
    assert (
        f"CSAT: no detectable change from {octo}; the 95 % interval of the "
        "difference runs from −40 to 40 points" in text
    )
    assert "CES: not compared" in text  # the survey does not ask it
    november_row = _row(page, november.strftime("%B %Y"))
    assert "↑ higher" in november_row and "→ no detectable change" in november_row
    # The map of November: the card's arrows say the same.
    card = editor.get(
        f"/workspaces/{slug}/cx/journeys/{journey_id}/map?every=month&period={nov_day}"
    ).text
    card_text = " ".join(re.sub(r"<[^>]+>", " ", card).split())
    assert f"Arrows compare {november:%B %Y} with {octo}" in card_text
    assert "↑ higher" in card_text and "→ no detectable change" in card_text
    assert f"NPS: higher than {octo} by 55 points" in card_text


def test_a_stated_change_never_rounds_an_end_to_zero_beside_a_verdict() -> None:
    """Whatever the counts, the ends shown agree with the verdict beside them."""
    rng = random.Random(7)
    checked = 0
    for _ in range(400):
        counts = [(rng.randint(0, 60), rng.randint(0, 20)) for _ in range(2)]
        points = []
        for day, (hits, misses) in zip((1, 2), counts, strict=True):
            share = trends._share("CSAT", "satisfied (4-5)", hits, hits + misses)
            nps = trends._nps(hits, misses, misses // 2)
            points.append(
                trends.Point(datetime(2026, day, 1).date(), 0, nps, share, share)
            )
        for key in ("nps", "csat"):
            moved = trends.change(points[0], points[1], key, trends.Every.month)
            if moved is None:
                continue
            ends = re.findall(r"(−?[\d.]+) to (−?[\d.]+) points", moved.sentence)
            low, high = (float(v.replace("−", "-")) for v in ends[0])
            if moved.direction > 0:
                assert low > 0, moved.sentence
            elif moved.direction < 0:
                assert high < 0, moved.sentence
            else:
                assert low <= 0 <= high, moved.sentence
            checked += 1
    assert checked > 300


def test_the_touchpoint_pages_title_is_its_name(team: dict[str, Any]) -> None:
    slug, editor = team["slug"], team["editor"]
    _, touchpoint_id = define_journey(editor, slug)
    page = editor.get(f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}").text
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None
    assert "<" not in title[1] and title[1].strip().endswith("· uxlab")
    assert page.count('id="open-head"') == 1


def test_answers_split_by_channel_and_by_a_hidden_field_with_intervals(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    _, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id, hidden_fields="plan")
    opened = {
        kind: open_link(
            session,
            journeys.channel_token(
                session.exec(select(CxChannel).where(CxChannel.kind == kind)).one(),
                SECRET,
            ),
        )
        for kind in ("link", "qr")
    }
    # Link: 50 promoters, 30 passives, 20 detractors on plan "pro" (NPS +30,
    # 95 % adjusted Wald 14.05 to 44.20: stats-methods.md §5 anchor, Rocks
    # 2016). QR: 3 answers without a plan, too few for an interval.
    for k, nps in enumerate([10] * 50 + [8] * 30 + [3] * 20):
        record(
            session,
            opened["link"],
            f"l-{k}",
            parse_answers(opened["link"].survey, {"nps": str(nps), "plan": "pro"}),
        )  # type: ignore[arg-type]
    for k in range(3):
        record(
            session,
            opened["qr"],
            f"q-{k}",
            parse_answers(opened["qr"].survey, {"nps": "9"}),
        )  # type: ignore[arg-type]
    url = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"

    def rows(page: str) -> dict[str, str]:
        table = re.search(r'<table class="cx-segments">(.*?)</table>', page, re.S)
        assert table is not None
        found = re.findall(r'data-label="Segment">(.*?)</th>(.*?)</tr>', table[1], re.S)
        return {k: " ".join(re.sub(r"<[^>]+>", " ", v).split()) for k, v in found}

    by_channel = rows(editor.get(url).text)
    assert list(by_channel) == ["link", "QR code"]  # largest first
    assert "NPS +30" in by_channel["link"] and "95% CI 14 to 44" in by_channel["link"]
    assert "n = 100" in by_channel["link"]
    assert "n = 3" in by_channel["QR code"] and "95% CI" not in by_channel["QR code"]
    by_plan = rows(editor.get(f"{url}?segment=plan").text)
    assert list(by_plan) == ["pro", "(not given)"]
    assert "95% CI 14 to 44" in by_plan["pro"]
    # A viewer may split by channel, not by what customers passed in.
    assert 'value="plan"' not in viewer.get(url).text
    assert viewer.get(f"{url}?segment=plan").status_code == 403
    assert editor.get(f"{url}?segment=email").status_code == 400


def test_a_customers_answers_are_deleted_by_their_reference(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    _, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id, hidden_fields="order\ncustomer")
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "link")).one()
    opened = open_link(session, journeys.channel_token(channel, SECRET))
    for key, hidden in (
        ("a", {"customer": "C-1042"}),
        ("b", {"order": "C-1042"}),  # the same reference in another field
        ("c", {"customer": "C-7"}),
        ("d", {}),
    ):
        record(
            session,
            opened,
            key,
            parse_answers(opened.survey, {"nps": "3", **hidden}),
        )  # type: ignore[arg-type]
    url = f"/workspaces/{slug}/cx/forget"
    # A viewer may not; nothing is deleted without the confirmation box.
    assert (
        viewer.post(url, data={"reference": "C-1042", "confirm": "yes"}).status_code
        == 403
    )
    refused = editor.post(url, data={"reference": "C-1042"})
    assert refused.status_code == 400 and "Tick the box to confirm" in refused.text
    assert (
        editor.post(url, data={"reference": " ", "confirm": "yes"}).status_code == 400
    )
    assert len(responses(session)) == 4

    done = editor.post(
        url, data={"reference": "C-1042", "confirm": "yes"}, follow_redirects=True
    )
    assert "Deleted 2 answers carrying that customer reference" in done.text
    session.expire_all()
    left = sorted(r.hidden.get("customer", "-") for r in responses(session))
    assert left == ["-", "C-7"]
    log = editor.get(f"/workspaces/{slug}/activity")
    if log.status_code == 200:  # the activity log is the owner's
        assert "C-1042" not in log.text
    owner_log = session.exec(
        select(ActivityEntry).where(ActivityEntry.action == "customer_answers_deleted")
    ).one()
    assert owner_log.subject == "2 customer answers" and "C-1042" not in str(
        owner_log.detail
    )


def test_a_journey_file_carries_its_links_and_follow_up_rules(
    team: dict[str, Any], session: Session
) -> None:
    from uxlab.models import AuditProject, Researcher
    from uxlab.studies import import_study, parse_study

    slug, editor = team["slug"], team["editor"]
    journey_id, touchpoint_id = define_journey(editor, slug)
    owner = session.exec(
        select(Researcher).where(Researcher.email == "editor@example.com")
    ).one()
    text = "title: Checkout usability\ntasks:\n  - title: Pay for a jacket\n"
    study = import_study(
        session,
        parse_study(text),
        owner=owner,
        source_text=text,
        workspace_id=team["id"],
    )
    project = AuditProject(
        workspace_id=team["id"],
        name="Checkout nightly",
        script_yaml="name: x\n",
        base_url="https://shop.example.com",
        badge_token_hash="b" * 64,
    )
    session.add(project)
    session.commit()
    links = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}/links"
    assert editor.post(links, data={"study_id": str(study.id)}).status_code == 303
    assert (
        editor.post(links, data={"audit_project_id": str(project.id)}).status_code
        == 303
    )
    rules = editor.post(
        f"/workspaces/{slug}/cx/journeys/{journey_id}/followup-rules",
        data={"reference_field": "order", "webhook_url": "https://crm.example.com/h"},
    )
    assert rules.status_code == 303
    url = f"/workspaces/{slug}/cx/journeys/{journey_id}/journey.yaml"
    text = editor.get(url).text
    assert "    studies:\n    - checkout-usability\n" in text
    assert "    audit_projects:\n    - Checkout nightly\n" in text
    assert text.endswith(
        "followups:\n  reference_field: order\n"
        "  webhook_url: https://crm.example.com/h\n"
    )
    made = editor.post(f"/workspaces/{slug}/cx/journeys/import", data={"source": text})
    assert made.status_code == 303
    copy_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    again = editor.get(f"/workspaces/{slug}/cx/journeys/{copy_id}/journey.yaml").text
    assert without_ids(again) == without_ids(text)

    # A study or audit project this workspace lacks, and a bad rule: refused
    # whole, each where it is, and no journey made.
    session.rollback()
    journeys_before = len(session.exec(select(CxJourney)).all())
    bad = (
        text.replace("- checkout-usability", "- someone-elses-study")
        .replace("- Checkout nightly", "- Nightly elsewhere")
        .replace("reference_field: order", "reference_field: Order No")
    )
    refused = editor.post(
        f"/workspaces/{slug}/cx/journeys/import", data={"source": bad}
    )
    assert refused.status_code == 422
    assert "followups: &#39;order no&#39; is not a hidden field" in refused.text
    bad = text.replace("- checkout-usability", "- someone-elses-study").replace(
        "- Checkout nightly", "- Nightly elsewhere"
    )
    refused = editor.post(
        f"/workspaces/{slug}/cx/journeys/import", data={"source": bad}
    )
    assert refused.status_code == 422
    assert (
        "stages[1].touchpoints[0].studies[0]: no study &#39;someone-elses-study&#39; "
        "in this workspace" in refused.text
    )
    assert (
        "stages[1].touchpoints[0].audit_projects[0]: no audit project "
        "&#39;Nightly elsewhere&#39; in this workspace" in refused.text
    )
    session.rollback()
    assert len(session.exec(select(CxJourney)).all()) == journeys_before == 2
