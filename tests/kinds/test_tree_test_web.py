"""A tree test's participant pages over HTTP: the tree, posting answers,
refusing tampered ones."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.kinds.helpers import live_study, post_step, start
from tests.kinds.test_tree_test import STUDY
from tests.web.test_participant import assert_no_inline_code, rows
from uxlab.models import Participant, Response, Study, Task, TreeAnswer


@pytest.fixture
def study(session: Session) -> Study:
    return live_study(session, STUDY)


PATH = json.dumps(
    [["n1", 800], ["n2", 1900], ["n1", 3000], ["n1", 3500], ["n5", 4100], ["n6", 5000]]
)


def test_the_tree_is_nested_buttons_collapsed_with_the_first_task(
    client: FlaskClient, session: Session, study: Study
) -> None:
    html = start(client, session, study)
    assert '<h1 id="tree-heading">Task 1 of 2</h1>' in html
    assert "Where would you send shoes back?" in html
    headings = re.findall(
        r'<button type="button" class="tree-node" data-node="(n\d)" disabled '
        r'aria-expanded="false" aria-controls="group-\1">(\w+)</button>',
        html,
    )
    assert headings == [("n1", "Home"), ("n2", "Shop"), ("n5", "Help")]
    # a leaf: no aria-expanded; every heading waits for tree_test.js to enable it
    assert re.search(r'data-node="n8" disabled>About</button>', html)
    assert html.count('<ul class="tree-group"') == 3
    assert html.count(" hidden>") >= 3
    assert html.count('<li class="tree-item">') == html.count("</li>") == 8
    assert html.count("<ul") == html.count("</ul>")
    assert "I'd give up" in html
    assert "tree_test.js" in html
    assert_no_inline_code(html)


def test_an_answer_is_stored_with_its_path_and_time_once(
    client: FlaskClient, session: Session, study: Study
) -> None:
    start(client, session, study)
    for _ in range(2):  # a double click
        response = post_step(
            client, study, "tree:1", node="n6", path=PATH, elapsed_ms="6200"
        )
        assert response.status_code == 303
    (answer,) = rows(session, TreeAnswer)
    assert (answer.task_key, answer.position, answer.chosen) == ("returns", 1, "n6")
    assert answer.path[0] == ["n1", 800] and len(answer.path) == 6
    assert answer.seconds == pytest.approx(6.2)
    assert rows(session, Participant)[0].step == "tree:2"
    html = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert "Task 2 of 2" in html and "Where would you buy a coat?" in html
    response = post_step(
        client, study, "tree:2", action="skip", path="[]", elapsed_ms="900"
    )
    assert response.status_code == 303
    skipped = [a for a in rows(session, TreeAnswer) if a.task_key == "coats"]
    assert skipped[0].chosen is None and skipped[0].path == []
    assert rows(session, Participant)[0].step == "done"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            {"node": "n99", "path": "[]"},
            "node &#39;n99&#39; is not in this study&#39;s tree",
        ),
        (
            {"node": "n6", "path": '[["n1", 10], ["zz", 20]]'},
            "click 2 of the path names node &#39;zz&#39;",
        ),
        ({"node": "n6", "path": "not json"}, "the path is not valid JSON"),
        (
            {"node": "n6", "path": '[["n1", 50], ["n5", 20]]'},
            "is before the click before it",
        ),
        ({"node": "n6", "path": '{"a": 1}'}, "the path must be a list"),
        (
            {"node": "n6", "path": "[]", "elapsed_ms": "-5"},
            "the time taken (-5) must be between",
        ),
        ({"action": "jump", "path": "[]"}, "choose a node"),
        ({"path": "[]"}, "choose a node"),
    ],
)
def test_a_tampered_answer_is_refused_with_a_reason_and_nothing_is_stored(
    client: FlaskClient,
    session: Session,
    study: Study,
    data: dict[str, str],
    reason: str,
) -> None:
    start(client, session, study)
    response = post_step(client, study, "tree:1", **data)
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert rows(session, TreeAnswer) == []
    assert rows(session, Participant)[0].step == "tree:1"


def test_a_randomised_study_gives_each_participant_one_order(
    client: FlaskClient, session: Session
) -> None:
    text = STUDY.replace("randomise: false", "randomise: true")
    study = live_study(session, text, "o@example.org")
    html = start(client, session, study)
    first = re.search(r'class="tree-prompt" id="tree-prompt">([^<]+)<', html)
    again = client.get(f"/take/{study.slug}").get_data(as_text=True)
    assert first is not None and first.group(1) in again


def test_hostile_labels_and_prompts_are_escaped_on_both_pages(
    client: FlaskClient, session: Session
) -> None:
    text = (
        "title: Hostile\nkind: tree_test\nconsent: Agree?\nrandomise: false\n"
        "tree:\n  - label: '<img src=x onerror=alert(1)'\n    children: [Leaf]\n"
        "tasks:\n  - prompt: '<script>alert(2)</script> Find the leaf'\n"
        "    correct: '<img src=x onerror=alert(1) > Leaf'\n"
    )
    study = live_study(session, text, "h@example.org")
    html = start(client, session, study)
    assert "<script>alert(2)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt; Find the leaf" in html
    assert_no_inline_code(html)
    assert (
        post_step(client, study, "tree:1", node="n2", path='[["n1", 5]]').status_code
        == 303
    )
    client.post("/logout")
    client.post("/login", data={"email": "h@example.org", "password": "long-enough"})
    results = client.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    assert "<script>alert(2)" not in results and "<img src=x" not in results
    assert "&lt;img src=x onerror=alert(1) &gt; Leaf" in results


def test_a_tree_shown_open_starts_with_every_heading_expanded(
    client: FlaskClient, session: Session
) -> None:
    text = STUDY.replace("randomise: false", "randomise: false\ncollapsed: false")
    study = live_study(session, text, "c@example.org")
    html = start(client, session, study)
    assert html.count('aria-expanded="true"') == 3
    assert 'aria-expanded="false"' not in html
    assert '<ul class="tree-group" id="group-n1">' in html  # not hidden


def _prompt(html: str) -> str:
    found = re.search(r'class="tree-prompt" id="tree-prompt">([^<]+)<', html)
    assert found is not None, html
    return found.group(1)


def test_each_task_is_followed_by_its_seq_kept_for_that_task(
    app: Flask, session: Session
) -> None:
    text = STUDY.replace("randomise: false", "randomise: true") + (
        "after_each_task: [seq]\n"
    )
    study = live_study(session, text, "seq@example.org")
    titles = {t.key: t.title for t in rows(session, Task)}
    ids = {t.key: t.id for t in rows(session, Task)}
    ratings = iter([5, 6, 7, 2, 2, 2])
    seen_orders = set()
    for _ in range(3):
        client = app.test_client()
        html = start(client, session, study)
        order = []
        for position in (1, 2):
            key = "returns" if "shoes back" in _prompt(html) else "coats"
            order.append(key)
            assert (
                post_step(
                    client, study, f"tree:{position}", action="skip", path="[]"
                ).status_code
                == 303
            )
            page = client.get(f"/take/{study.slug}").get_data(as_text=True)
            # the SEQ page asks about the task just done, by its title
            assert 'name="seq.q1"' in page and titles[key] in page
            step = rows(session, Participant)[-1].step
            assert step.startswith("seq:")
            rating = next(ratings) if key == "returns" else 1
            client.post(
                f"/take/{study.slug}/answers",
                data={"step": step, "seq.q1": str(rating)},
            )
            html = client.get(f"/take/{study.slug}").get_data(as_text=True)
        seen_orders.add(tuple(order))
        assert rows(session, Participant)[-1].step == "done"
    stored = {
        (r.scope, r.value_num)
        for r in rows(session, Response)
        if r.questionnaire == "seq"
    }
    assert {v for scope, v in stored if scope == f"task:{ids['returns']}"} == {5, 6, 7}
    assert {v for scope, v in stored if scope == f"task:{ids['coats']}"} == {1}

    researcher = app.test_client()
    researcher.post(
        "/login", data={"email": "seq@example.org", "password": "long-enough"}
    )
    page = researcher.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    returns = page[page.index('id="task-returns"') : page.index('id="task-coats"')]
    # SEQ answers 5, 6 and 7: mean 6, sd 1, t(0.975, 2) = 4.303, so
    # 6 ± 4.303 / sqrt(3) = 3.52 to 8.48, clipped to the 7-point scale
    # (t interval of a rating mean, Sauro & Lewis 2016, ch. 3)
    assert re.search(
        r'data-field="rating-seq">[^<]*mean <strong>6.00</strong> '
        r"\(95\W?% CI 3\.52–7\.00, t interval of the mean\), n = 3",
        returns,
    ), returns
    coats = page[page.index('id="task-coats"') :]
    assert "all answers were 1" in coats and "n = 3" in coats


def test_a_counterbalanced_tree_test_orders_tasks_by_the_latin_square(
    app: Flask, session: Session
) -> None:
    text = STUDY.replace("randomise: false", "task_order: counterbalanced")
    study = live_study(session, text, "cb@example.org")
    firsts = []
    for _ in range(4):
        html = start(app.test_client(), session, study)
        firsts.append(_prompt(html))
    # a balanced Latin square of two tasks: rows (1, 2) and (2, 1) in turn
    assert firsts[0] == firsts[2] != firsts[1] == firsts[3]
