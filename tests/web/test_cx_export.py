"""A touchpoint's answers download as tidy CSV, for those who may export."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlmodel import Session, select

from tests.web.test_cx import (
    SECRET,
    define_journey,
    save_survey,
    team_fixture,  # noqa: F401  (the "team" fixture)
)
from uxlab.cx import journeys
from uxlab.cx.export import COLUMNS
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.cx.models import CxChannel, CxResponse
from uxlab.models import ActivityEntry


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_answers_download_with_scores_codes_and_hidden_fields(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    _, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id)  # NPS, CSAT, open; hidden "order"
    base = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    for kind in ("link", "qr"):
        channel = session.exec(select(CxChannel).where(CxChannel.kind == kind)).one()
        opened = open_link(session, journeys.channel_token(channel, SECRET))
        record(
            session,
            opened,
            f"browser-{kind}",
            parse_answers(
                opened.survey,
                {
                    "nps": "6" if kind == "link" else "10",
                    "csat": "2",
                    "open_text": '=HYPERLINK("http://x")' if kind == "qr" else "Slow",
                    "order": "A-1001",
                },
            ),
        )
    first = session.exec(select(CxResponse).order_by(CxResponse.id)).first()
    assert first is not None
    editor.post(f"{base}/answers/{first.id}/codes", data={"new": "speed"})

    page = editor.get(base).text
    assert "Download every answer (CSV)" in page
    download = editor.get(f"{base}/answers.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    header = download.text.splitlines()[0].split(",")
    assert header == [*COLUMNS, "hidden.order"]
    rows = _rows(download.text)
    assert [(r["channel"], r["nps"], r["nps_group"], r["csat"]) for r in rows] == [
        ("link", "6", "detractor", "2"),
        ("qr", "10", "promoter", "2"),
    ]
    assert [r["codes"] for r in rows] == ["speed", ""]
    assert rows[0]["touchpoint"] == "Checkout" and rows[0]["stage"] == "Buy"
    assert rows[1]["open_text"] == '\'=HYPERLINK("http://x")'  # not a formula
    assert {r["hidden.order"] for r in rows} == {"A-1001"}
    # A viewer may not download answers, and sees no link to.
    assert viewer.get(f"{base}/answers.csv").status_code == 403
    assert "Download every answer" not in viewer.get(base).text
    # The download is in the workspace's activity.
    session.rollback()
    logged = session.exec(
        select(ActivityEntry).where(ActivityEntry.action == "exported")
    ).all()
    assert [(e.subject, e.detail) for e in logged] == [
        ("Buy online: Checkout", {"format": "answers.csv"})
    ]


def test_a_touchpoint_without_answers_downloads_the_header_alone(
    team: dict[str, Any],
) -> None:
    slug, editor = team["slug"], team["editor"]
    _, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id)
    text = editor.get(
        f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}/answers.csv"
    ).text
    assert text.splitlines() == [",".join([*COLUMNS, "hidden.order"])]
    assert team["other"].get(
        f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}/answers.csv"
    ).status_code in (403, 404)
