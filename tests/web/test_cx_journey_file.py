"""A journey file applied to the journey it came from: identity, links and answers kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.web.test_cx import (  # noqa: F401
    define_journey,
    save_survey,
    survey_link,
    team_fixture,
)
from uxlab.cx.models import CxChannel, CxResponse, CxStage, CxTouchpoint


@pytest.fixture(name="shop")
def shop_fixture(app: Flask, team: dict[str, Any]) -> dict[str, Any]:
    """Buy online: Checkout (a survey with one answer) and Support chat (none)."""
    slug, editor = team["slug"], team["editor"]
    journey_id, checkout = define_journey(editor, slug)
    link = survey_link(save_survey(editor, slug, checkout))
    assert app.test_client().get(f"{link}?nps=9").status_code == 200
    url = f"/workspaces/{slug}/cx/journeys/{journey_id}"
    page = editor.get(url).text
    stage = re.search(
        r'name="stage_id" value="(\d+)">\s*<label[^>]*>New touchpoint in Get help', page
    )
    assert stage is not None
    editor.post(
        f"{url}/change",
        data={"action": "add_touchpoint", "stage_id": stage[1], "name": "Support chat"},
    )
    return {"url": url, "checkout": checkout, "link": link}


def journey_file(client: FlaskClient, url: str) -> dict[str, Any]:
    found = yaml.safe_load(client.get(f"{url}/journey.yaml").text)
    assert isinstance(found, dict)
    return found


def apply(client: FlaskClient, url: str, document: dict[str, Any] | str) -> Any:
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    return client.post(f"{url}/apply", data={"source": text})


def channels(session: Session) -> list[tuple[int | None, str, str]]:
    session.rollback()
    rows = session.exec(select(CxChannel).order_by(CxChannel.id)).all()  # type: ignore[arg-type]
    return [(c.id, c.kind, c.token_hash) for c in rows]


def test_a_file_applied_to_its_journey_keeps_touchpoints_their_links_and_answers(
    app: Flask, team: dict[str, Any], shop: dict[str, Any], session: Session
) -> None:
    editor, url = team["editor"], shop["url"]
    before = channels(session)
    document = journey_file(editor, url)
    discover, buy, get_help = document["stages"]
    assert [p["id"] for p in buy["touchpoints"]] == [shop["checkout"]]
    # Renamed and reordered; Checkout moves to Get help, after Support chat;
    # Buy is renamed; a new touchpoint and a new stage are added.
    checkout = buy["touchpoints"][0]
    checkout["name"] = "Checkout page"
    checkout["survey"]["blocks"] = ["nps", "open"]
    buy["name"] = "Purchase"
    buy["touchpoints"] = [{"name": "Order email"}]
    get_help["touchpoints"].append(checkout)
    document["stages"] = [
        discover,
        get_help,
        buy,
        {"name": "Renew", "touchpoints": [{"name": "Reminder"}]},
    ]
    document["name"] = "Buy and renew"
    applied = apply(editor, url, document)
    assert applied.status_code == 303, applied.text
    assert applied.headers["Location"].endswith(url)
    page = editor.get(url).text
    assert "Journey file applied" in page
    order = [
        page.index(s)
        for s in (
            "<h1>Buy and renew</h1>",
            "<h2>Discover</h2>",
            "<h2>Get help</h2>",
            ">Support chat</a>",
            ">Checkout page</a>",
            "<h2>Purchase</h2>",
            ">Order email</a>",
            "<h2>Renew</h2>",
            ">Reminder</a>",
        )
    ]
    assert order == sorted(order)
    # Checkout is the same touchpoint: its id, its links and its answer.
    session.rollback()
    point = session.get(CxTouchpoint, shop["checkout"])
    assert point is not None and point.name == "Checkout page"
    assert channels(session)[: len(before)] == before
    assert [r.touchpoint_id for r in session.exec(select(CxResponse))] == [point.id]
    follow_up = app.test_client().get(f"{shop['link']}?nps=3")
    assert follow_up.status_code == 200 and "recorded" in follow_up.text
    # The file downloaded now is the file applied, the new ids filled in.
    again = journey_file(editor, url)
    assert [s["name"] for s in again["stages"]] == [
        "Discover",
        "Get help",
        "Purchase",
        "Renew",
    ]
    assert again["stages"][1]["touchpoints"][1]["id"] == shop["checkout"]
    assert again["stages"][1]["touchpoints"][1]["survey"]["blocks"] == ["nps", "open"]
    new_ids = [again["stages"][2]["touchpoints"][0]["id"], again["stages"][3]["id"]]
    assert all(isinstance(i, int) for i in new_ids)
    # Applying the downloaded file again changes nothing.
    text = editor.get(f"{url}/journey.yaml").text
    assert apply(editor, url, text).status_code == 303
    assert editor.get(f"{url}/journey.yaml").text == text


def test_a_touchpoint_left_out_is_refused_while_it_has_answers(
    team: dict[str, Any], shop: dict[str, Any], session: Session
) -> None:
    editor, url = team["editor"], shop["url"]
    text = editor.get(f"{url}/journey.yaml").text
    document = journey_file(editor, url)
    document["name"] = "Renamed by the file"
    document["stages"][1]["touchpoints"] = []  # Checkout, with its answer
    refused = apply(editor, url, document)
    assert refused.status_code == 422
    assert (
        "touchpoint “Checkout” (Buy) has 1 answer but is not in the file"
        in refused.text
    )
    assert "enabled: false" in refused.text  # how to keep it, paused
    assert editor.get(f"{url}/journey.yaml").text == text  # nothing changed
    # Support chat has no answers: leaving it out removes it.
    document = journey_file(editor, url)
    document["stages"][2]["touchpoints"] = []
    assert apply(editor, url, document).status_code == 303
    session.rollback()
    names = [p.name for p in session.exec(select(CxTouchpoint))]
    assert names == ["Checkout"]
    # A stage left out goes with it, when its touchpoints are gone or moved.
    document = journey_file(editor, url)
    checkout = document["stages"][1]["touchpoints"]
    document["stages"] = [{**document["stages"][0], "touchpoints": checkout}]
    assert apply(editor, url, document).status_code == 303
    session.rollback()
    assert [s.name for s in session.exec(select(CxStage))] == ["Discover"]
    assert len(session.exec(select(CxResponse)).all()) == 1


def test_a_bad_file_changes_nothing_and_names_each_problem(
    team: dict[str, Any], shop: dict[str, Any], session: Session
) -> None:
    editor, url = team["editor"], shop["url"]
    text = editor.get(f"{url}/journey.yaml").text
    # Another journey's touchpoint, to be refused by id.
    slug = team["slug"]
    _, elsewhere = define_journey(editor, slug)
    document = journey_file(editor, url)
    document["name"] = "Changed"
    buy, get_help = document["stages"][1:]
    get_help["touchpoints"].append({"id": elsewhere, "name": "Stolen"})
    get_help["touchpoints"].append({"id": buy["touchpoints"][0]["id"], "name": "Twice"})
    get_help["touchpoints"].append({"id": "seven", "name": "Odd"})
    document["stages"][0]["id"] = get_help["id"]
    refused = apply(editor, url, document)
    assert refused.status_code == 422
    for problem in (
        f"stages[2].touchpoints[1].id: no touchpoint {elsewhere} in this journey",
        "stages[2].touchpoints[2].id: touchpoint",
        "is also at stages[1].touchpoints[0]",
        "stages[2].touchpoints[3].id: a touchpoint&#39;s number",
        f"stages[2].id: stage {get_help['id']} is also at stages[0]",
    ):
        assert problem in refused.text
    assert "leave the id out" in refused.text
    # The problems a new journey's file would have, named the same way.
    document = journey_file(editor, url)
    document["stages"][1]["touchpoints"][0]["survey"]["blocks"] = ["nps", "stars"]
    document["stages"][2]["touchpoints"][0]["name"] = ""
    refused = apply(editor, url, document)
    assert refused.status_code == 422
    assert "stages[1].touchpoints[0].survey.blocks: stars not among" in refused.text
    assert "stages[2].touchpoints[0].name: needs a name" in refused.text
    # Problems the store finds, such as an open question without wording.
    document = journey_file(editor, url)
    document["stages"][1]["touchpoints"][0]["survey"]["open_question"] = ""
    late = apply(editor, url, document)
    assert late.status_code == 422
    assert "stages[1].touchpoints[0].survey: The open question needs its wording." in (
        late.text
    )
    # Not YAML at all: the line it breaks on.
    broken = apply(editor, url, "name: Buy\nstages:\n  - name: [unclosed\n")
    assert broken.status_code == 422 and "line 4: not valid YAML" in broken.text
    # The text stays in the form to be mended.
    assert "name: [unclosed" in broken.text
    assert editor.get(f"{url}/journey.yaml").text == text


def test_only_editors_of_the_workspace_apply_a_file(
    team: dict[str, Any], shop: dict[str, Any]
) -> None:
    url = shop["url"]
    text = team["editor"].get(f"{url}/journey.yaml").text
    assert "Apply a journey file" in team["editor"].get(url).text
    assert "Apply a journey file" not in team["viewer"].get(url).text
    changed = text.replace("name: Buy online", "name: Taken")
    refused = apply(team["viewer"], url, changed)
    assert refused.status_code == 403 and "needs the editor role" in refused.text
    assert apply(team["other"], url, changed).status_code == 404
    assert team["editor"].get(f"{url}/journey.yaml").text == text


def test_a_file_made_into_a_new_journey_gets_new_touchpoints_whatever_its_ids(
    team: dict[str, Any], shop: dict[str, Any], session: Session
) -> None:
    slug, editor, url = team["slug"], team["editor"], shop["url"]
    text = editor.get(f"{url}/journey.yaml").text
    made = editor.post(f"/workspaces/{slug}/cx/journeys/import", data={"source": text})
    assert made.status_code == 303
    session.rollback()
    assert len(session.exec(select(CxTouchpoint)).all()) == 4
    original = session.get(CxTouchpoint, shop["checkout"])
    assert original is not None and original.name == "Checkout"


def test_a_files_problems_name_their_line_whether_imported_or_applied(
    team: dict[str, Any], shop: dict[str, Any]
) -> None:
    slug, editor, url = team["slug"], team["editor"], shop["url"]
    bad = (
        "name: Renewals\n"
        "stages:\n"
        "  - name: Renew\n"
        "    touchpoints:\n"
        "      - name: Reminder email\n"
        "        survey:\n"
        "          blocks: [nps, stars]\n"
        "      - name: ''\n"
        "        widget: {trigger: sometimes}\n"
        "followups: {reference_field: Order No}\n"
    )
    imported = editor.post(
        f"/workspaces/{slug}/cx/journeys/import", data={"source": bad}
    )
    applied = apply(editor, url, bad)
    for refused in (imported, applied):
        assert refused.status_code == 422
        for problem in (
            "stages[0].touchpoints[0].survey.blocks: stars not among nps, csat, ces, "
            "seq, open (line 7)",
            "stages[0].touchpoints[1].name: needs a name (text) (line 8)",
            "stages[0].touchpoints[1].widget: trigger (&#39;sometimes&#39;) must be "
            "one of manual, delay, url, exit (line 9)",
            "followups: &#39;order no&#39; is not a hidden field&#39;s name",
            "starting with a letter. (line 10)",
        ):
            assert problem in refused.text


def test_applied_links_and_follow_up_rules_follow_the_file(
    team: dict[str, Any], shop: dict[str, Any], session: Session
) -> None:
    from uxlab.cx import ux_side
    from uxlab.cx.followup_models import CxFollowupSettings
    from uxlab.models import AuditProject, Researcher, Workspace
    from uxlab.studies import import_study, parse_study

    editor, url = team["editor"], shop["url"]
    workspace = session.exec(select(Workspace).where(Workspace.slug == team["slug"]))
    workspace_id = workspace.one().id
    owner = session.exec(
        select(Researcher).where(Researcher.email == "editor@example.com")
    ).one()
    text = "title: Checkout usability\ntasks:\n  - title: Pay for a jacket\n"
    study = import_study(
        session,
        parse_study(text),
        owner=owner,
        source_text=text,
        workspace_id=workspace_id,
    )
    session.add(
        AuditProject(
            workspace_id=workspace_id,
            name="Checkout nightly",
            script_yaml="name: x\n",
            base_url="https://shop.example.com",
            badge_token_hash="b" * 64,
        )
    )
    session.commit()
    links = f"/workspaces/{team['slug']}/cx/touchpoints/{shop['checkout']}/links"
    assert editor.post(links, data={"study_id": str(study.id)}).status_code == 303
    document = journey_file(editor, url)
    checkout = document["stages"][1]["touchpoints"][0]
    assert checkout["studies"] == ["checkout-usability"]
    del checkout["studies"]
    checkout["audit_projects"] = ["Checkout nightly"]
    document["followups"] = {"reference_field": "order", "webhook_url": ""}
    assert apply(editor, url, document).status_code == 303
    session.rollback()
    studies, projects = ux_side.links_of(session, shop["checkout"])
    assert (studies, [p.name for _, p in projects]) == ([], ["Checkout nightly"])
    rules = session.exec(select(CxFollowupSettings)).one()
    assert (rules.reference_field, rules.webhook_url) == ("order", "")
    # Left out of the file: no links, no rules.
    del document["followups"], checkout["audit_projects"]
    assert apply(editor, url, document).status_code == 303
    session.rollback()
    assert ux_side.links_of(session, shop["checkout"]) == ([], [])
    rules = session.exec(select(CxFollowupSettings)).one()
    assert (rules.reference_field, rules.webhook_url) == ("", "")


def test_a_survey_left_out_is_stopped_and_a_paused_touchpoint_takes_no_answers(
    app: Flask, team: dict[str, Any], shop: dict[str, Any], session: Session
) -> None:
    editor, url, link = team["editor"], shop["url"], shop["link"]
    document = journey_file(editor, url)
    checkout = document["stages"][1]["touchpoints"][0]
    checkout["enabled"] = False
    assert apply(editor, url, document).status_code == 303
    assert app.test_client().get(f"{link}?nps=2").status_code == 410
    checkout["enabled"] = True
    assert apply(editor, url, document).status_code == 303
    assert app.test_client().get(f"{link}?nps=2").status_code == 200
    del checkout["survey"]
    assert apply(editor, url, document).status_code == 303
    ended = app.test_client().get(f"{link}?nps=2")
    assert ended.status_code == 410 and "This survey has ended" in ended.text
    session.rollback()
    assert len(session.exec(select(CxResponse)).all()) == 2  # its answers stay
