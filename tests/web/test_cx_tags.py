"""Coding customers' open answers, counting codes per period, and themes to studies."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from tests.web.test_cx import (
    SECRET,
    define_journey,
    save_survey,
    team_fixture,  # noqa: F401  (the "team" fixture)
)
from uxlab.audit.script import parse_script
from uxlab.coding import Code, CxResponseCode
from uxlab.cx import journeys
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.cx.models import CxChannel, CxResponse
from uxlab.cx.ux_side import CxTouchpointLink
from uxlab.models import AuditProject, Study, StudyStatus

SHOP_PAGE = "https://shop.example.com/checkout?step=2"


def _text(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def _answers(team: dict[str, Any], session: Session) -> tuple[int, list[int]]:
    slug, editor = team["slug"], team["editor"]
    _, touchpoint_id = define_journey(editor, slug)
    save_survey(editor, slug, touchpoint_id)
    channel = session.exec(select(CxChannel).where(CxChannel.kind == "link")).one()
    opened = open_link(session, journeys.channel_token(channel, SECRET))
    now = datetime.now(UTC).replace(day=1, hour=12)
    last_month = now - timedelta(days=3)
    said = [
        ("Could not find the delivery date", last_month),
        ("Where is the delivery date?", now),
        ("Delivery date hidden at the bottom", now),
        ("The code <b>SAVE10</b> did not apply", now),
    ]
    for k, (text, at) in enumerate(said):
        record(
            session,
            opened,
            f"c{k}",
            parse_answers(opened.survey, {"nps": "4", "open_text": text}),
            at=at,
        )  # type: ignore[arg-type]
    ids = [r.id or 0 for r in session.exec(select(CxResponse).order_by(CxResponse.id))]
    return touchpoint_id, ids


def _counts(page: str) -> dict[str, str]:
    """The per-period counts table of a touchpoint page, by code."""
    table = re.search(r'<table class="cx-tag-counts">(.*?)</table>', page, re.S)
    if table is None:
        return {}
    return {
        _text(m[0]): _text(m[1])
        for m in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', table[1], re.S)
    }


def test_answers_are_coded_counted_per_month_and_uncoded(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    touchpoint_id, ids = _answers(team, session)
    base = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    for response_id, typed in zip(
        ids[:3], ("delivery  date", " Delivery Date ", "DELIVERY DATE"), strict=True
    ):
        editor.post(f"{base}/answers/{response_id}/codes", data={"new": typed})
    editor.post(f"{base}/answers/{ids[3]}/codes", data={"new": "discount code"})
    session.rollback()  # a fresh snapshot, after the app's writes
    # One code per label in the workspace, whatever the spacing and case typed.
    assert sorted(c.label for c in session.exec(select(Code))) == [
        "delivery date",
        "discount code",
    ]
    empty = editor.post(f"{base}/codes", data={"label": "  "}, follow_redirects=True)
    assert "A code needs a name" in empty.text
    assert (
        viewer.post(f"{base}/answers/{ids[0]}/codes", data={"new": "x"}).status_code
        == 403
    )

    rows = _counts(editor.get(f"{base}?every=month").text)
    # Twelve monthly counts, oldest first, then the total: last month 1, this 2.
    assert rows["delivery date"].startswith("0 " * 10 + "1 2 3")
    assert rows["discount code"].startswith("0 " * 11 + "1 1")
    assert "Start a study from these 3" in rows["delivery date"]
    # A viewer reads the counts and the codes, and gets no forms.
    seen = viewer.get(f"{base}?every=month").text
    assert "delivery date" in seen and "Start a study" not in seen
    assert 'name="new"' not in seen and 'name="label"' not in seen
    # Taken off again: the answer's form saved with no code ticked.
    editor.post(f"{base}/answers/{ids[3]}/codes", data={})
    assert "discount code" not in _counts(editor.get(f"{base}?every=month").text)


def test_the_workspace_codebook_renames_and_deletes_a_code_everywhere(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    touchpoint_id, ids = _answers(team, session)
    base = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    made = editor.post(f"{base}/codes", data={"label": "Delivery date"})
    assert made.status_code == 303 and made.headers["Location"].endswith("#codes-head")
    editor.post(f"{base}/codes", data={"label": "coupon"})
    session.rollback()
    delivery, coupon = session.exec(select(Code).order_by(Code.id)).all()
    # Ticking: both codes on one answer, the first on two more.
    for response_id, ticked in (
        (ids[0], [delivery.id, coupon.id]),
        (ids[1], [delivery.id]),
        (ids[2], [delivery.id]),
    ):
        saved = editor.post(
            f"{base}/answers/{response_id}/codes",
            data={"code": [str(c) for c in ticked]},
        )
        assert saved.headers["Location"].endswith(f"#answer-{response_id}")
    # The same label again, in another case, is refused and changes nothing.
    clash = editor.post(
        f"{base}/codes", data={"label": "COUPON"}, follow_redirects=True
    )
    assert "There is a code “coupon” already." in clash.text
    assert (
        viewer.post(f"{base}/codes/{coupon.id}", data={"action": "delete"}).status_code
        == 403
    )

    renamed = editor.post(
        f"{base}/codes/{delivery.id}",
        data={"action": "rename", "label": "Can't find the delivery date"},
        follow_redirects=True,
    )
    assert "its answers keep it" in renamed.text
    assert _counts(renamed.text)["Can't find the delivery date"].endswith(
        "3 Start a study from these 3 Page to audit Start an audit project from these 3"
    )
    assert "Delivery date" not in _counts(renamed.text)

    deleted = editor.post(
        f"{base}/codes/{coupon.id}", data={"action": "delete"}, follow_redirects=True
    )
    assert (
        "Code “coupon” deleted, and taken off everything it was given to."
        in deleted.text
    )
    assert "coupon" not in _counts(deleted.text)
    session.rollback()
    assert {link.code_id for link in session.exec(select(CxResponseCode))} == {
        delivery.id
    }
    # A code of another workspace's codebook, or a made-up one, is not ticked.
    refused = editor.post(f"{base}/answers/{ids[3]}/codes", data={"code": ["9999"]})
    assert refused.status_code == 404
    assert (
        editor.post(f"{base}/answers/{ids[3]}/codes", data={"code": ["x"]}).status_code
        == 422
    )


def test_a_theme_starts_a_draft_study_linked_both_ways(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor = team["slug"], team["editor"]
    touchpoint_id, ids = _answers(team, session)
    base = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    for response_id in ids[:3]:
        editor.post(
            f"{base}/answers/{response_id}/codes", data={"new": "delivery date"}
        )
    session.rollback()
    tag = session.exec(select(Code)).one()
    made = editor.post(f"{base}/codes/{tag.id}/study")
    assert made.status_code == 303
    session.rollback()
    study = session.exec(select(Study).where(Study.workspace_id == team["id"])).one()
    assert study.status == StudyStatus.draft
    assert study.title == "Checkout: delivery date"
    page = _text(editor.get(made.headers["Location"]).text)
    assert (
        "Started from 3 answers tagged “delivery date” at Checkout (Buy online)."
        in page
    )
    assert "“Delivery date hidden at the bottom”" in page  # a customer's words
    link = session.exec(select(CxTouchpointLink)).one()
    assert (link.touchpoint_id, link.source_count) == (touchpoint_id, 3)
    touchpoint_page = _text(editor.get(base).text)
    assert (
        "Study Checkout: delivery date (started from 3 tagged answers)"
        in touchpoint_page
    )
    # A code of another workspace, or none at all, starts nothing.
    assert editor.post(f"{base}/codes/999/study").status_code == 404


def test_a_theme_starts_an_audit_project_of_the_page_linked_both_ways(
    team: dict[str, Any], session: Session
) -> None:
    slug, editor, viewer = team["slug"], team["editor"], team["viewer"]
    touchpoint_id, ids = _answers(team, session)
    base = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}"
    for response_id in ids[:3]:
        editor.post(
            f"{base}/answers/{response_id}/codes", data={"new": "delivery date"}
        )
    session.rollback()
    tag = session.exec(select(Code)).one()
    url = f"{base}/codes/{tag.id}/audit"
    # A page address that is not one is refused, and nothing is made.
    refused = editor.post(url, data={"page_url": "checkout"}, follow_redirects=True)
    assert "must start with http:// or https://" in refused.text
    assert session.exec(select(AuditProject)).all() == []
    assert viewer.post(url, data={"page_url": SHOP_PAGE}).status_code == 403

    made = editor.post(url, data={"page_url": SHOP_PAGE})
    assert made.status_code == 303
    session.rollback()
    project = session.exec(select(AuditProject)).one()
    assert project.workspace_id == team["id"] and project.schedule is None
    assert project.name == "Checkout: delivery date"
    assert project.base_url == "https://shop.example.com"
    script = parse_script(project.script_yaml, source="script")
    assert [s.goto for s in script.tasks[0].steps] == ["/checkout?step=2"]
    assert [v.name for v in script.viewports] == ["desktop", "mobile"]
    page = _text(editor.get(made.headers["Location"]).text)
    assert (
        "Started from 3 answers tagged “delivery date” at Checkout (Buy online)."
        in page
    )
    link = session.exec(
        select(CxTouchpointLink).where(CxTouchpointLink.audit_project_id == project.id)
    ).one()
    assert (link.touchpoint_id, link.source_count) == (touchpoint_id, 3)
    touchpoint_page = _text(editor.get(base).text)
    assert (
        "Audit project Checkout: delivery date (started from 3 tagged answers)"
        in touchpoint_page
    )
    assert (
        editor.post(f"{base}/codes/999/audit", data={"page_url": SHOP_PAGE}).status_code
        == 404
    )
