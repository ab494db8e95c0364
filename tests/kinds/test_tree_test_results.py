"""A tree test's results page, charts and exports over HTTP, checked
against figures worked by hand."""

from __future__ import annotations

import io

import numpy as np
import openpyxl  # type: ignore[import-untyped]
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.kinds.helpers import (
    OWNER,
    Answer,
    add_participant,
    add_tree_answers,
    export_table,
    owned_study,
    template_study,
)
from tests.kinds.test_tree_test import STUDY
from uxlab.kinds.tree_test import analyse_tree_test
from uxlab.kinds.tree_test.demo import simulate_tree_test
from uxlab.models import Study

# The tree of STUDY: n1 Home > (n2 Shop > n3 Shoes, n4 Coats;
# n5 Help > n6 Returns, n7 Delivery); n8 About.
# Task "returns" (correct n6), five participants:
#   1. Home, Help, Returns, chose Returns     direct success, first click right
#   2. Home, Shop, Shop, Help, Returns, chose  indirect success (closed Shop)
#   3. About, Home, Help, Returns, chose       indirect success, first click wrong
#   4. Home, Shop, Coats, chose Coats          direct failure
#   5. Home, Shop, gave up                     direct skip
# Task "coats" (correct n4): 1. Home, Shop, Coats, chose it; 2. gave up at once.
ANSWERS: dict[int, dict[str, Answer]] = {
    1: {"returns": (["n1", "n5", "n6"], "n6"), "coats": (["n1", "n2", "n4"], "n4")},
    2: {"returns": (["n1", "n2", "n2", "n5", "n6"], "n6"), "coats": ([], None)},
    3: {"returns": (["n8", "n1", "n5", "n6"], "n6")},
    4: {"returns": (["n1", "n2", "n4"], "n4")},
    5: {"returns": (["n1", "n2"], None)},
}


@pytest.fixture
def study(session: Session) -> Study:
    made = owned_study(session, STUDY, OWNER)
    for answers in ANSWERS.values():
        add_tree_answers(session, add_participant(session, made, step="done"), answers)
    session.commit()
    return made


def _row(html: str, task: str, measure: str) -> str:
    section = html.split(f'data-task="{task}"')[1].split("</section>")[0]
    return section.split(f'<tr data-measure="{measure}">')[1].split("</tr>")[0]


def test_the_figures_match_the_hand_worked_example(
    logged_in: FlaskClient, session: Session, study: Study
) -> None:
    html = logged_in.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    # Adjusted Wald (Sauro & Lewis 2005), z = 1.95996: p~ = (x + z²/2)/(n + z²).
    # 3/5: p~ = 4.9207/8.8415 = 0.5566, half-width z·sqrt(p~(1−p~)/8.8415)
    # = 0.3275, so 23–88 %.  (MeasuringU's calculator gives 23.1–88.4 %.)
    assert (
        '<td class="num">3</td><td class="num">60 %</td><td class="num">23–88 %</td>'
        in _row(html, "returns", "Success")
    )
    assert '<td class="num">1</td><td class="num">20 %</td>' in _row(
        html, "returns", "Direct success"
    )
    assert '<td class="num">2</td><td class="num">40 %</td>' in _row(
        html, "returns", "Indirect success"
    )
    assert '<td class="num">1</td><td class="num">20 %</td>' in _row(
        html, "returns", "Gave up"
    )
    # Direct: participants 1, 4 and 5 (Optimal Workshop counts every answer).
    assert (
        '<td class="num">3</td><td class="num">60 %</td><td class="num">23–88 %</td>'
        in _row(html, "returns", "Directness")
    )
    # 4/5: p~ = 5.9207/8.8415 = 0.6697, half-width 0.3100: 36–98 %.
    assert (
        '<td class="num">4</td><td class="num">80 %</td><td class="num">36–98 %</td>'
        in _row(html, "returns", "First click correct")
    )
    # Means over tasks: success (60 % + 50 %)/2, directness (60 % + 100 %)/2.
    assert '<strong data-field="mean-success">55 %</strong>' in html
    assert '<strong data-field="mean-directness">80 %</strong>' in html
    assert "adjusted-Wald interval (Agresti &amp; Coull 1998" in html
    assert 'data-field="small-sample"' in html  # five answers is a small sample
    for name in ("success", "directness", "first_click"):
        assert f'id="{name}-bar-0"' in html and f'id="{name}-errorbar-0"' in html


def test_destinations_and_the_path_view(
    logged_in: FlaskClient, session: Session, study: Study
) -> None:
    html = logged_in.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    section = html.split('data-task="returns"')[1].split("</section>")[0]
    destinations = section.split('data-table="destinations"')[1].split("</table>")[0]
    assert "1 gave up" in destinations
    assert (
        '<tr class="correct"><th scope="row">Home &gt; Help &gt; Returns '
        '<span class="badge">correct</span></th><td class="num">3</td>'
        '<td class="num">60 %</td>'
    ) in destinations
    assert (
        '<th scope="row">Home &gt; Shop &gt; Coats</th><td class="num">1</td>'
        in destinations
    )
    paths = section.split('data-table="paths"')[1].split("</table>")[0]
    # (passed through, turned back, chose it), counted from the list above.
    expected = {
        "n1": (5, 0, 0),
        "n2": (3, 1, 0),  # participant 2 closed Shop and went to Help
        "n4": (1, 0, 1),
        "n5": (3, 0, 0),
        "n6": (3, 0, 3),
        "n8": (1, 1, 0),  # participant 3 went from About back to Home
    }
    for node, (visits, back, chose) in expected.items():
        row = paths.split(f'<tr data-node="{node}"')[1].split("</tr>")[0]
        cells = f'<td class="num">{visits}</td><td class="num">{back}</td><td class="num">{chose}</td>'
        assert cells in row, (node, row)
    assert 'data-node="n3"' not in paths and 'data-node="n7"' not in paths


def test_a_chart_downloads_and_unknown_charts_are_404(
    logged_in: FlaskClient, study: Study
) -> None:
    svg = logged_in.get(f"/studies/{study.slug}/charts/success.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    png = logged_in.get(f"/studies/{study.slug}/charts/first_click.png?download=1")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"
    assert logged_in.get(f"/studies/{study.slug}/charts/nope.svg").status_code == 404


def test_the_exports_have_one_row_per_participant_and_task(
    logged_in: FlaskClient, study: Study
) -> None:
    rows = export_table(logged_in, study, "tree_test")
    assert len(rows) == 7  # five answers to one task, two to the other
    second = [r for r in rows if r["task"] == "returns"][1]
    assert second["outcome"] == "success" and second["direct"] == "False"
    assert second["chosen_path"] == "Home > Help > Returns"
    assert (
        second["path"]
        == "Home | Home > Shop | Home > Shop | Home > Help | Home > Help > Returns"
    )
    skip = [r for r in rows if r["task"] == "coats" and r["outcome"] == "skip"]
    assert skip[0]["chosen"] == "" and skip[0]["first_click_correct"] == "False"
    workbook = openpyxl.load_workbook(
        io.BytesIO(logged_in.get(f"/studies/{study.slug}/export.xlsx").data)
    )
    assert "tree_test" in workbook.sheetnames
    assert workbook["tree_test"].max_row == 8  # a header and seven answers
    bundle = logged_in.get(f"/studies/{study.slug}/export.json").get_json()
    assert len(bundle["tree_test"]) == 7
    assert {a["outcome"] for a in bundle["tree_test"]} == {"success", "failure", "skip"}
    codebook = [row[1] for row in workbook["codebook"].iter_rows(values_only=True)]
    assert "outcome" in codebook and "first_click_correct" in codebook


def test_the_demo_gives_every_view_something_to_show(session: Session) -> None:
    study = template_study(session, "tree-test-navigation.yaml", "d@example.org")
    simulate_tree_test(session, study, 30, np.random.default_rng(5))
    summary = analyse_tree_test(session, study)
    assert summary.participants == 30
    for task in summary.tasks:
        assert task.n == 30 and task.result is not None
        assert 0 < task.result.success.successes < 30
        assert task.turned_back  # someone went back somewhere
        (seq,) = task.ratings  # the template asks the SEQ after each task
        assert seq.kind == "seq" and seq.result is not None and seq.result.n == 30
    assert 0.3 < (summary.mean_success or 0) < 0.95


def test_the_study_page_and_report_open(logged_in: FlaskClient, study: Study) -> None:
    assert logged_in.get(f"/studies/{study.slug}").status_code == 200
    assert logged_in.get(f"/studies/{study.slug}/report.html").status_code == 200
    viewer = logged_in.get(f"/studies/{study.slug}/results?cl=0.9")
    assert viewer.status_code == 200 and "90 % CI" in viewer.text


def test_the_study_report_has_the_tree_test_section(
    logged_in: FlaskClient, study: Study
) -> None:
    html = logged_in.get(f"/studies/{study.slug}/report.html").text
    assert "Tree test report" in html
    assert '<strong data-field="mean-success">55 %</strong>' in html
    assert html.count('data-table="paths"') == 2
    assert 'id="success-bar-0"' in html  # the charts are inline
    assert "Chart as SVG" not in html  # no buttons in a document
    assert 'id="tasks-heading"' not in html  # no usability task table
