"""A tree test of two trees: results per variant, the comparison of success
between them, and the export, checked against figures worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.kinds.helpers import (
    OWNER,
    PASSWORD,
    Answer,
    add_participant,
    add_tree_answers,
    export_table,
    owned_study,
    template_study,
)
from tests.kinds.test_tree_test_variants import STUDY
from uxlab.kinds.tree_test import analyse_tree_test
from uxlab.kinds.tree_test.demo import simulate_tree_test
from uxlab.models import Study, TreeAnswer

# Variant a (current menu), task "returns" (correct a-n3), 8 participants:
#   6 × Home, Help, Returns, chose Returns       direct success
#   1 × About, Home, Help, Returns, chose it     indirect success (About, then back)
#   1 × Home, Help, Delivery, chose Delivery     direct failure
# Task "contact" (correct a-n5): 2 × About, chose it.
# Variant b (proposed menu), task "returns" (correct b-n3), 9 participants:
#   2 × Support, Returns policy, chose it        direct success
#   4 × Shop, Coats, chose Coats                 direct failure, first click wrong
#   3 × Shop, gave up                            skip
# Task "contact" (correct b-n2): 2 × Support, Contact us, chose it; 1 × Shop,
# Coats, chose Coats.
PEOPLE: list[tuple[str, dict[str, Answer]]] = [
    *[
        (
            "a",
            {
                "returns": (["a-n1", "a-n2", "a-n3"], "a-n3"),
                **({"contact": (["a-n5"], "a-n5")} if i < 2 else {}),
            },
        )
        for i in range(6)
    ],
    ("a", {"returns": (["a-n5", "a-n1", "a-n2", "a-n3"], "a-n3")}),
    ("a", {"returns": (["a-n1", "a-n2", "a-n4"], "a-n4")}),
    *[
        (
            "b",
            {
                "returns": (["b-n1", "b-n3"], "b-n3"),
                "contact": (["b-n1", "b-n2"], "b-n2"),
            },
        )
        for _ in range(2)
    ],
    (
        "b",
        {"returns": (["b-n4", "b-n5"], "b-n5"), "contact": (["b-n4", "b-n5"], "b-n5")},
    ),
    *[("b", {"returns": (["b-n4", "b-n5"], "b-n5")}) for _ in range(3)],
    *[("b", {"returns": (["b-n4"], None)}) for _ in range(3)],
]


@pytest.fixture
def study(session: Session) -> Study:
    made = owned_study(session, STUDY, OWNER)
    for variant, answers in PEOPLE:
        person = add_participant(session, made, step="done", variant=variant)
        add_tree_answers(session, person, answers)
    session.commit()
    return made


def _task(html: str, variant: str, task: str) -> str:
    section = html.split(f'id="task-{variant}-{task}"')[1].split("</section>")[0]
    assert f'data-task="{task}" data-variant="{variant}"' in section
    return section


def _row(section: str, measure: str) -> str:
    return section.split(f'<tr data-measure="{measure}">')[1].split("</tr>")[0]


def test_each_variant_has_its_own_figures(session: Session, study: Study) -> None:
    summary = analyse_tree_test(session, study)
    assert [v.variant for v in summary.variants] == ["a", "b"]
    a, b = summary.variants
    assert (a.participants, b.participants) == (8, 9)
    returns_a, contact_a = a.tasks
    assert returns_a.result is not None and contact_a.result is not None
    assert (returns_a.result.success.successes, returns_a.n) == (7, 8)
    assert returns_a.correct == ["a-n3"] and b.tasks[0].correct == ["b-n3"]
    assert b.tasks[0].result is not None
    assert (b.tasks[0].result.success.successes, b.tasks[0].n) == (2, 9)
    assert a.mean_success == pytest.approx((7 / 8 + 1) / 2)
    assert b.mean_success == pytest.approx((2 / 9 + 2 / 3) / 2)


def test_the_results_page_shows_each_variant_against_hand_worked_figures(
    logged_in: FlaskClient, study: Study
) -> None:
    html = logged_in.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    a, b = _task(html, "a", "returns"), _task(html, "b", "returns")
    # Adjusted Wald (Sauro & Lewis 2016, ch. 3; ../shared/reference/
    # stats-methods.md), z = 1.95996: p~ = (x + z²/2)/(n + z²), p~ ± z·
    # sqrt(p~(1 − p~)/(n + z²)).  7/8: p~ = 8.9207/11.8415 = 0.7534, half-width
    # 0.2455: 51–100 % (99.9 %).  2/9: p~ = 3.9207/12.8415 = 0.3053,
    # half-width 0.2519: 5–56 %.
    assert (
        '<td class="num">7</td><td class="num">88 %</td><td class="num">51–100 %</td>'
        in _row(a, "Success")
    )
    assert (
        '<td class="num">2</td><td class="num">22 %</td><td class="num">5–56 %</td>'
        in _row(b, "Success")
    )
    # Direct: a's 7 who never went back (About, then Home, is a backtrack);
    # every one of b's 9.  7/8 as above; 9/9: p~ = 10.9207/12.8415 = 0.8504,
    # half-width 0.1951: 66–100 %.
    assert (
        '<td class="num">7</td><td class="num">88 %</td><td class="num">51–100 %</td>'
        in _row(a, "Directness")
    )
    assert (
        '<td class="num">9</td><td class="num">100 %</td><td class="num">66–100 %</td>'
        in _row(b, "Directness")
    )
    # First click on the way to the correct node: a's 7 who began with Home
    # (7/8 again); b's 2 who began with Support (2/9 again).
    assert '<td class="num">7</td><td class="num">88 %</td>' in _row(
        a, "First click correct"
    )
    assert (
        '<td class="num">2</td><td class="num">22 %</td><td class="num">5–56 %</td>'
        in (_row(b, "First click correct"))
    )
    # Destinations and the path view in each variant's own tree.
    assert "Home &gt; Help &gt; Returns" in a and "Support" not in a
    assert '<th scope="row">Shop &gt; Coats</th><td class="num">4</td>' in b  # 44 %
    paths = a.split('data-table="paths"')[1].split("</table>")[0]
    about = paths.split('<tr data-node="a-n5"')[1].split("</tr>")[0]
    assert '<td class="num">1</td><td class="num">1</td><td class="num">0</td>' in about
    # Means over the two tasks: a (87.5 % + 100 %)/2 = 93.75 %,
    # b (22.2 % + 66.7 %)/2 = 44.4 %.
    assert '<strong data-field="mean-success" data-variant="a">94 %</strong>' in html
    assert '<strong data-field="mean-success" data-variant="b">44 %</strong>' in html
    assert '<strong data-field="mean-directness" data-variant="b">100 %</strong>' in (
        html
    )
    # Every task of every variant is a bar of each chart: 2 tasks × 2 trees.
    for name in ("success", "directness", "first_click"):
        assert f'id="{name}-bar-3"' in html and f'id="{name}-bar-4"' not in html


def test_success_is_compared_between_the_variants_task_by_task(
    logged_in: FlaskClient, study: Study
) -> None:
    html = logged_in.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    table = html.split('data-table="compare"')[1].split("</table>")[0]
    returns = table.split('<tr data-task="returns" data-variant="b">')[1].split(
        "</tr>"
    )[0]
    # b − a = 2/9 − 7/8 = −65.3 points.  Interval (Sauro & Lewis 2016, ch. 5,
    # after Agresti & Caffo 2000): p~ = (x + z²/4)/(n + z²/2): a 7.9604/9.9207
    # = 0.8024, b 2.9604/10.9207 = 0.2711; −0.5313 ± 1.96·sqrt(0.8024·0.1976/
    # 9.9207 + 0.2711·0.7289/10.9207) = −0.5313 ± 0.3618: −89 to −17 points.
    # N-1 two-proportion test (Campbell 2007): P = 9/17, z = −0.6528 /
    # sqrt(P(1 − P)(1/8 + 1/9)) · sqrt(16/17) = −2.611, p = 0.009.
    assert (
        "Proposed menu is lower than Current menu by 65 points (95 % CI −89 to "
        "−17 points, adjusted-Wald interval of the difference; N-1 two-proportion "
        "test, p = 0.009)"
    ) in returns
    contact = table.split('<tr data-task="contact" data-variant="b">')[1].split(
        "</tr>"
    )[0]
    # 2/2 against 2/3: an expected count under 1, so Fisher's exact test
    # (Campbell 2007), p = 1; the interval holds 0.
    assert "no detectable difference" in contact
    assert "Fisher&#39;s exact test, p = 1.00" in contact


def test_the_export_and_report_carry_the_variant(
    logged_in: FlaskClient, study: Study
) -> None:
    rows = export_table(logged_in, study, "tree_test")
    assert len(rows) == 8 + 2 + 9 + 3
    assert {r["variant"] for r in rows} == {"a", "b"}
    indirect = [r for r in rows if r["variant"] == "a" and r["direct"] == "False"]
    assert indirect[0]["path"] == ("About | Home | Home > Help | Home > Help > Returns")
    assert indirect[0]["chosen"] == "a-n3" and indirect[0]["outcome"] == "success"
    skipped = [r for r in rows if r["outcome"] == "skip"]
    assert len(skipped) == 3 and {r["variant"] for r in skipped} == {"b"}
    assert skipped[0]["first_click"] == "Shop"
    codebook = logged_in.get(f"/studies/{study.slug}/codebook.csv").text
    assert "tree_test.csv,variant,,Design variant" in codebook

    report = logged_in.get(f"/studies/{study.slug}/report.html").text
    assert report.count('data-table="paths"') == 4  # two tasks in each of two trees
    assert 'data-table="compare"' in report
    assert '<strong data-field="mean-success" data-variant="a">94 %</strong>' in report


def test_simulated_participants_fill_both_trees(session: Session) -> None:
    made = template_study(session, "tree-test-compare.yaml", "d@example.org")
    simulate_tree_test(session, made, 30, np.random.default_rng(5))
    summary = analyse_tree_test(session, made)
    assert [(v.variant, v.participants) for v in summary.variants] == [
        ("current", 15),
        ("proposed", 15),
    ]
    for tree in summary.variants:
        for task in tree.tasks:
            assert task.n == 15 and task.result is not None
            assert all(c.startswith(f"{tree.variant}-") for c in task.correct)
            (seq,) = task.ratings  # each tree's own SEQ answers
            assert seq.result is not None and seq.result.n == 15
    assert len(summary.comparisons) == 4
    assert all(c.sentence for c in summary.comparisons)


def test_the_study_page_points_to_the_comparison_of_the_trees(
    logged_in: FlaskClient, study: Study
) -> None:
    html = logged_in.get(f"/studies/{study.slug}").text
    variants = html.split('id="variants"')[1].split("</section>")[0]
    assert "each sees the variant's own tree" in variants
    assert f'href="/studies/{study.slug}/results#compare-b"' in variants
    assert "<td>5 nodes</td>" in variants
    assert "/compare?" not in variants  # the Compare page compares task studies


def test_the_page_before_both_trees_have_answers(
    client: FlaskClient, session: Session
) -> None:
    made = owned_study(session, STUDY, "e@example.org")
    client.post("/login", data={"email": "e@example.org", "password": PASSWORD})
    assert client.get(f"/studies/{made.slug}/results").status_code == 200
    session.commit()  # a new transaction after the app's writes
    person = add_participant(session, made, variant="a")
    session.add(
        TreeAnswer(
            participant_id=person.id,  # type: ignore[arg-type]
            task_key="returns",
            position=1,
            chosen="a-n3",
            path=[["a-n1", 500], ["a-n2", 900], ["a-n3", 1400]],
            seconds=2.0,
        )
    )
    session.commit()
    html = client.get(f"/studies/{made.slug}/results").text
    table = html.split('data-table="compare"')[1].split("</table>")[0]
    returns = table.split('<tr data-task="returns" data-variant="b">')[1]
    assert "no answers yet" in returns.split("</tr>")[0]
    assert "not until both trees have answers" in returns.split("</tr>")[0]
    assert 'id="success-bar-0"' in html  # a's bar; the others say "no data"
    assert html.count("No answers yet.") == 3  # b's two tasks and a's other
