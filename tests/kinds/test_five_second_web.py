"""A five-second test over HTTP: the participant pages, tampered posts, the
results page, coding by role, and the exports."""

from __future__ import annotations

import io
import re

import numpy as np
import openpyxl  # type: ignore[import-untyped]
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.kinds.helpers import (
    PASSWORD,
    export_table,
    live_study,
    log_in,
    post_step,
    start,
)
from tests.kinds.test_five_second import STUDY
from tests.test_participation import open_token
from tests.web.test_participant import assert_no_inline_code, consent, rows
from uxlab.accounts import create_researcher
from uxlab.coding import Code, FiveSecondAnswerCode
from uxlab.kinds.five_second.analysis import analyse_five_second
from uxlab.kinds.five_second.demo import simulate_five_second
from uxlab.models import (
    FiveSecondAnswer,
    FiveSecondView,
    Participant,
    Study,
    WorkspaceRole,
)
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import import_study, load_study_file
from uxlab.workspaces import add_member, create_workspace

ANSWERS = {"q-purpose": "A library", "q-action": "Buy books", "q-clarity": "4"}


@pytest.fixture
def study(session: Session) -> Study:
    return live_study(session, STUDY)


def test_the_pages_say_what_happens_show_the_image_then_ask(
    app: Flask, client: FlaskClient, session: Session, study: Study
) -> None:
    intro = start(client, session, study)
    assert "<h1>You will see an image for 5 seconds</h1>" in intro
    assert "you cannot see it again" in intro
    assert ">Show the image</button>" in intro
    # Fetched ahead, so the timer does not run while it loads.
    assert (
        '<link rel="preload" as="image" href="/static/five-second/homepage-a.svg">'
        in intro
    )
    assert_no_inline_code(intro)
    assert rows(session, FiveSecondView) == []
    post_step(client, study, "intro")
    view = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert 'alt="A library&#39;s home page with a green Get a card button"' in view
    assert 'src="/static/five-second/homepage-a.svg"' in view
    # Without JavaScript the page reloads itself when the five seconds are
    # over; the "Continue" part waits hidden until then.
    assert re.search(
        r'<noscript><meta http-equiv="refresh" content="[1-5]"></noscript>', view
    )
    assert "<div data-five-second-after hidden>" in view
    assert_no_inline_code(view)
    shown = rows(session, FiveSecondView)[0]
    assert shown.continued_at is None
    # Once the time is over, a reload shows no image, only the way on.
    shown.shown_at = shown.shown_at.replace(year=shown.shown_at.year - 1)
    session.add(shown)
    session.commit()
    later = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "homepage-a.svg" not in later and "http-equiv" not in later
    assert "<h1>The image is hidden now</h1>" in later
    assert "autofocus>Continue to the questions</button>" in later
    post_step(client, study, "view")
    recall = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "<h1>What do you remember?</h1>" in recall
    assert '<label for="q-purpose">1. What was the page for?</label>' in recall
    assert "<legend>2. What could you do first?</legend>" in recall
    assert "<legend>3. How clear was it?</legend>" in recall
    assert '<span class="visually-hidden">Not clear at all</span>' in recall
    assert_no_inline_code(recall)
    for _ in range(2):  # a double click sends it twice
        response = post_step(client, study, "recall", **ANSWERS)
        assert response.status_code in (302, 303)
    assert len(rows(session, FiveSecondAnswer)) == 3
    assert rows(session, Participant)[0].step == "done"
    # One participant: every question says how little that shows.
    researcher = _login(app, "r@example.org")
    results = researcher.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    assert results.count("Only 1 answer: read the figures as a first indication") == 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"q-action": "Steal books"}, "is not one of the options of question"),
        ({"q-clarity": "9"}, "is not a whole number from 1 to 5"),
        ({"q-extra": "x"}, "this study asks no question"),
    ],
)
def test_a_tampered_post_is_a_422_with_its_reason_and_nothing_is_stored(
    client: FlaskClient,
    session: Session,
    study: Study,
    change: dict[str, str],
    reason: str,
) -> None:
    client.get(f"/s/{open_token(session, study)}")
    consent(client, study)
    post_step(client, study, "intro")
    post_step(client, study, "view")
    response = post_step(client, study, "recall", **{**ANSWERS, **change})
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert rows(session, FiveSecondAnswer) == []
    assert rows(session, Participant)[0].step == "recall"


@pytest.fixture
def demo_study(session: Session) -> Study:
    owner = create_researcher(session, email="o@example.org", password=PASSWORD)
    create_researcher(session, email="v@example.org", password=PASSWORD)
    create_researcher(session, email="e@example.org", password=PASSWORD)
    team = create_workspace(session, "Team", owner_email="o@example.org")
    add_member(session, team, "v@example.org", WorkspaceRole.viewer)
    add_member(session, team, "e@example.org", WorkspaceRole.editor)
    path = STUDY_TEMPLATES_DIR / "five-second-homepage.yaml"
    made = import_study(
        session,
        load_study_file(path),
        owner=owner,
        source_text=path.read_text(),
        workspace_id=team.id,
    )
    simulate_five_second(session, made, 30, np.random.default_rng(5))
    return made


def _login(app: Flask, email: str) -> FlaskClient:
    return log_in(app.test_client(), email)


def test_the_results_page_shows_each_question_with_its_intervals(
    app: Flask, session: Session, demo_study: Study
) -> None:
    summary = analyse_five_second(session, demo_study)
    client = _login(app, "e@example.org")
    html = client.get(f"/studies/{demo_study.slug}/results").get_data(as_text=True)
    assert "30 participants answered after seeing the image for 5 seconds" in html
    assert "adjusted-Wald interval (Agresti &amp; Coull 1998" in html
    assert "t-interval of the mean" in html
    _, action, clarity = summary.questions
    first = action.shares[0]
    assert first.result is not None
    low, high = round(100 * first.result.ci.low), round(100 * first.result.ci.high)
    assert f'<td class="num">{first.count}</td>' in html
    assert f"{low}–{high} %" in html
    assert clarity.rating is not None
    assert f"Mean {clarity.rating.mean:.2f} on a scale of 1 (Not clear at all)" in html
    # An editor gets the coding forms.
    assert ">Add code</button>" in html and ">Save codes</button>" in html
    assert 'data-field="caution"' not in html  # 30 answers: not a small sample
    viewer = _login(app, "v@example.org")
    seen = viewer.get(f"/studies/{demo_study.slug}/results").get_data(as_text=True)
    assert "library" in seen and ">Add code</button>" not in seen


def test_a_viewer_cannot_code_and_an_editor_can(
    app: Flask, session: Session, demo_study: Study
) -> None:
    slug = demo_study.slug
    viewer = _login(app, "v@example.org")
    editor = _login(app, "e@example.org")
    answer = session.exec(
        select(FiveSecondAnswer).where(
            FiveSecondAnswer.question == "purpose",
            FiveSecondAnswer.value_text != None,  # noqa: E711
        )
    ).first()
    assert answer is not None
    before = len(rows(session, Code))
    refused = [
        viewer.post(
            f"/studies/{slug}/results/questions/purpose/codes", data={"label": "x"}
        ),
        viewer.post(f"/studies/{slug}/results/codes/1", data={"action": "delete"}),
        viewer.post(f"/studies/{slug}/results/answers/{answer.id}/codes", data={}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert len(rows(session, Code)) == before
    made = editor.post(
        f"/studies/{slug}/results/questions/purpose/codes",
        data={"label": "mentions opening hours"},
    )
    assert made.status_code == 303
    assert made.headers["Location"].endswith(f"/studies/{slug}/results#q-purpose")
    code = next(c for c in rows(session, Code) if c.label == "mentions opening hours")
    ticked = editor.post(
        f"/studies/{slug}/results/answers/{answer.id}/codes",
        data={"code": [str(code.id)]},
    )
    assert ticked.status_code == 303
    assert any(
        link.code_id == code.id and link.subject_id == answer.id
        for link in rows(session, FiveSecondAnswerCode)
    )
    html = editor.get(f"/studies/{slug}/results").get_data(as_text=True)
    assert re.search(
        r'<tr data-code="mentions opening hours"><th scope="row">mentions opening '
        r'hours</th><td class="num">1</td>',
        html,
    )
    renamed = editor.post(
        f"/studies/{slug}/results/codes/{code.id}",
        data={"action": "rename", "label": "opening hours"},
    )
    assert renamed.status_code == 303
    assert "opening hours" in {c.label for c in rows(session, Code)}
    clash = editor.post(
        f"/studies/{slug}/results/questions/purpose/codes",
        data={"label": "Opening  Hours"},
        follow_redirects=True,
    )
    # Refused where the researcher is, and nothing is made.
    assert clash.request.path == f"/studies/{slug}/results"
    assert "There is a code “opening hours” already" in clash.get_data(as_text=True)
    deleted = editor.post(
        f"/studies/{slug}/results/codes/{code.id}", data={"action": "delete"}
    )
    assert deleted.status_code == 303
    assert code.id not in {c.code_id for c in rows(session, FiveSecondAnswerCode)}


def test_the_exports_hold_one_row_per_participant_and_question(
    app: Flask, demo_study: Study
) -> None:
    client = _login(app, "o@example.org")
    slug = demo_study.slug
    table = export_table(client, demo_study, "five_second")
    assert len(table) == 30 * 3
    assert {r["question"] for r in table} == {"purpose", "action", "clarity"}
    assert any(" | " in r["codes"] for r in table)  # several codes joined
    assert {r["image"] for r in table} == {
        "five-second/homepage-a.svg",
        "five-second/homepage-b.svg",
    }
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/studies/{slug}/export.xlsx").data)
    )
    assert book["five_second"].max_row == 91
    codebook = client.get(f"/studies/{slug}/codebook.csv").get_data(as_text=True)
    assert "five_second.csv,codes," in codebook
    assert "question=action,action,Recall question (choice)" in codebook


def test_the_report_and_the_json_export_carry_the_answers_and_codes(
    app: Flask, session: Session, demo_study: Study
) -> None:
    summary = analyse_five_second(session, demo_study)
    viewer = _login(app, "v@example.org")
    slug = demo_study.slug
    html = viewer.get(f"/studies/{slug}/report.html").get_data(as_text=True)
    assert "Five-second test report · generated" in html
    assert "30 participants answered after seeing the image for 5 seconds" in html
    for q in summary.questions:
        assert f'<section class="card" id="q-{q.id}"' in html
    purpose = summary.questions[0]
    for share in purpose.shares:
        assert f'<tr data-code="{share.label}">' in html
    # A report holds no forms; a viewer's copy names no participant.
    assert "<form" not in html.split('id="five-second"')[1].split('id="overview"')[0]
    assert purpose.answers[0].participant not in html
    owner = _login(app, "o@example.org")
    bundle = owner.get(f"/studies/{slug}/export.json").get_json()
    part = bundle["five_second"]
    assert [q["id"] for q in part["questions"]] == ["purpose", "action", "clarity"]
    assert {c["label"] for c in part["codes"]} == {s.label for s in purpose.shares}
    assert len(part["answers"]) == 90
    coded = [a for a in part["answers"] if len(a["codes"]) > 1]
    assert coded and all(isinstance(a["codes"], list) for a in part["answers"])


def test_choice_and_code_charts_show_and_download(
    app: Flask, demo_study: Study
) -> None:
    client = _login(app, "v@example.org")
    slug = demo_study.slug
    html = client.get(f"/studies/{slug}/results").get_data(as_text=True)
    action = html.split('id="q-action"')[1].split("</section>")[0]
    assert "<svg" in action and 'id="share-errorbar-0"' in action
    svg = client.get(f"/studies/{slug}/charts/q-action.svg")
    assert svg.status_code == 200 and b"adjusted-Wald CIs" in svg.data
    png = client.get(f"/studies/{slug}/charts/q-purpose.png?download=1")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"
    rating = client.get(f"/studies/{slug}/charts/q-clarity.svg")
    assert rating.status_code == 404
    assert b"one per choice or open question" in rating.data


HOSTILE = '<script>alert("x")</script>'


def test_hostile_text_is_escaped_on_every_page(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    text = (
        STUDY.replace(
            "title: Home page at a glance", "title: 'Glance <script>alert(1)</script>'"
        )
        .replace(
            "alt: A library's home page with a green Get a card button",
            f"alt: '{HOSTILE}'\nintro: '<iframe src=x></iframe>'",
        )
        .replace("What was the page for?", "'<img src=x onerror=alert(1)>'")
        .replace("[Get a card, Buy books, Book a room]", f"['{HOSTILE}', Buy books]")
    )
    study = live_study(session, text, "h@example.org")
    client.get(f"/s/{open_token(session, study)}")
    pages = [client.get(f"/take/{study.slug}").get_data(as_text=True)]
    consent(client, study)
    pages.append(client.get(f"/take/{study.slug}").get_data(as_text=True))
    post_step(client, study, "intro")
    pages.append(client.get(f"/take/{study.slug}").get_data(as_text=True))
    post_step(client, study, "view")
    pages.append(client.get(f"/take/{study.slug}").get_data(as_text=True))
    answer = {"q-purpose": HOSTILE, "q-action": HOSTILE, "q-clarity": "3"}
    assert post_step(client, study, "recall", **answer).status_code == 303
    researcher = _login(app, "h@example.org")
    researcher.post(
        f"/studies/{study.slug}/results/questions/purpose/codes",
        data={"label": "<b onmouseover=alert(1)>code</b>"},
    )
    pages.append(
        researcher.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    )
    pages.append(
        researcher.get(f"/studies/{study.slug}/report.html").get_data(as_text=True)
    )
    for html in pages:
        assert "<script>alert" not in html and "<iframe" not in html.lower()
        assert "<img src=x" not in html and "<b onmouseover" not in html
    for html in pages[:4]:
        assert_no_inline_code(html)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[2]  # the alt
    assert "&lt;b onmouseover=alert(1)&gt;code&lt;/b&gt;" in pages[4]


def test_with_variants_each_question_is_split_by_variant(
    app: Flask, session: Session, demo_study: Study
) -> None:
    from scipy import stats as scipy_stats

    people = {p.id: p.variant for p in rows(session, Participant)}
    ratings: dict[str, list[float]] = {"a": [], "b": []}
    for a in rows(session, FiveSecondAnswer):
        if a.question == "clarity" and a.value_num is not None:
            ratings[str(people[a.participant_id])].append(a.value_num)
    assert len(ratings["a"]) == len(ratings["b"]) == 15  # variants are balanced
    client = _login(app, "v@example.org")
    html = client.get(f"/studies/{demo_study.slug}/results").get_data(as_text=True)
    clarity = html.split('id="q-clarity"')[1].split("</section>")[0]
    for key, name in (("a", "Current design"), ("b", "Redesign")):
        values = ratings[key]
        # The t-interval of the mean (Sauro & Lewis 2016, ch. 3), from scipy:
        # mean ± t(0.975, n−1) · sd / √n.
        mean = sum(values) / len(values)
        low, high = scipy_stats.t.interval(
            0.95, len(values) - 1, loc=mean, scale=scipy_stats.sem(values)
        )
        low, high = max(low, 1), min(high, 5)  # intervals clipped to the scale
        expected = (
            f'<tr><th scope="row">{name}</th><td class="num">15</td>'
            f'<td class="num">{mean:.2f}</td>'
            f'<td class="num">{low:.2f}–{high:.2f}</td></tr>'
        )
        assert expected in clarity
    # A choice question's options and an open question's codes alike.
    for question, caption in (
        ("action", "Answers per option by variant"),
        ("purpose", "Answers per code by variant"),
    ):
        section = html.split(f'id="q-{question}"')[1].split("</section>")[0]
        table = section.split('data-table="by-variant"')[1].split("</table>")[0]
        assert caption in table
        # n: those who answered this question (an open one may go unanswered).
        assert re.search(r"Current design \(n = \d+\)</th>", table)
        assert re.search(r"Redesign \(n = \d+\)</th>", table)
        assert f"/charts/q-{question}.png?download=1" in section
