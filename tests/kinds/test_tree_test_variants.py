"""Tree tests comparing two trees, one per design variant: the study file,
its line-level errors, and each participant seeing their variant's tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.kinds.helpers import live_study, start
from tests.web.test_participant import rows
from uxlab.accounts import create_researcher
from uxlab.models import Participant, Study, TreeAnswer
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import (
    StudyFileError,
    import_study_file,
    load_study_file,
    parse_study,
)

#: Two menus for the same two tasks: the current one (a) and a proposal (b).
STUDY = """\
title: Compare menus
kind: tree_test
consent: Agree?
randomise: false
variants:
  - {key: a, name: Current menu}
  - {key: b, name: Proposed menu}
trees:
  - variant: a
    tree:
      - label: Home
        children:
          - label: Help
            children: [Returns, Delivery]
      - About
  - variant: b
    tree:
      - label: Support
        children: [Contact us, Returns policy]
      - label: Shop
        children: [Coats]
tasks:
  - id: returns
    prompt: Where would you send shoes back?
    correct:
      a: [Home > Help > Returns]
      b: [Support > Returns policy]
  - id: contact
    prompt: Where would you find a phone number?
    correct: {a: About, b: [Support > Contact us]}
"""

# The node ids, namespaced by variant so that no id means two nodes:
# a: a-n1 Home > a-n2 Help > (a-n3 Returns, a-n4 Delivery); a-n5 About.
# b: b-n1 Support > (b-n2 Contact us, b-n3 Returns policy); b-n4 Shop > b-n5 Coats.


def _errors(text: str) -> str:
    with pytest.raises(StudyFileError) as caught:
        parse_study(text)
    return str(caught.value)


def test_each_variant_gets_its_tree_with_namespaced_ids() -> None:
    settings = parse_study(STUDY).settings()
    trees = settings["trees"]
    assert [(n["id"], n["label"], n["parent"]) for n in trees["a"]] == [
        ("a-n1", "Home", None),
        ("a-n2", "Help", "a-n1"),
        ("a-n3", "Returns", "a-n2"),
        ("a-n4", "Delivery", "a-n2"),
        ("a-n5", "About", None),
    ]
    assert [n["id"] for n in trees["b"]] == ["b-n1", "b-n2", "b-n3", "b-n4", "b-n5"]
    returns, contact = settings["tree_tasks"]
    assert returns["correct_by_variant"] == {"a": ["a-n3"], "b": ["b-n3"]}
    assert contact["correct_by_variant"] == {"a": ["a-n5"], "b": ["b-n2"]}
    assert settings["tree"] == []  # no tree shared by every participant


def test_the_comparison_template_loads_with_two_trees() -> None:
    spec = load_study_file(STUDY_TEMPLATES_DIR / "tree-test-compare.yaml")
    settings = spec.settings()
    assert [v.key for v in spec.variants] == list(settings["trees"])
    assert len(settings["trees"]) == 2
    for task in settings["tree_tasks"]:
        assert set(task["correct_by_variant"]) == set(settings["trees"])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a variant without a tree
        (
            "  - variant: b\n    tree:\n      - label: Support\n"
            "        children: [Contact us, Returns policy]\n"
            "      - label: Shop\n        children: [Coats]\n",
            "",
            "trees: no tree for variant 'b'; give one tree per variant (line 8)",
        ),
        # a correct path that is in the other variant's tree only
        (
            "a: [Home > Help > Returns]",
            "a: [Support > Returns policy]",
            "tasks[0].correct.a[0]: correct path 'Support > Returns policy' is not "
            "in variant a's tree: the tree has no top-level node 'Support' (it has 'Home', 'About') "
            "(line 26)",
        ),
        (
            "b: [Support > Contact us]",
            "b: [Support > Phone]",
            "tasks[1].correct.b[0]: correct path 'Support > Phone' is not in "
            "variant b's tree: 'Support' has no child 'Phone'",
        ),
        # a variant without correct paths for a task
        (
            "      b: [Support > Returns policy]\n",
            "",
            "tasks[0].correct: no correct path for variant 'b' (line 25)",
        ),
        (
            "b: [Support > Contact us]",
            "b: []",
            "tasks[1].correct.b: a task needs at least one correct node path",
        ),
        # a variant the study does not have
        (
            "correct: {a: About,",
            "correct: {c: About, a: About,",
            "tasks[1].correct.c: no variant 'c'; the variants are a, b (line 30)",
        ),
        (
            "  - variant: b\n",
            "  - variant: c\n",
            "trees[1].variant: no variant 'c'; the variants are a, b (line 16)",
        ),
        # one list of correct paths where each variant needs its own
        (
            "    correct: {a: About, b: [Support > Contact us]}\n",
            "    correct: [About]\n",
            "tasks[1].correct: with variants, give the correct paths per variant, "
            "like {a: [...], b: [...]} (line 30)",
        ),
    ],
)
def test_a_mistake_with_variants_is_an_error_on_its_line(
    old: str, new: str, expected: str
) -> None:
    assert old in STUDY
    assert expected in _errors(STUDY.replace(old, new))


def test_trees_without_variants_and_one_tree_with_variants_are_refused() -> None:
    no_variants = STUDY.replace(
        "variants:\n  - {key: a, name: Current menu}\n"
        "  - {key: b, name: Proposed menu}\n",
        "",
    )
    message = _errors(no_variants)
    assert "trees: one tree per variant needs the study's variants: (line 5)" in message
    one_tree = (
        "title: T\nkind: tree_test\nvariants: [{key: a}, {key: b}]\n"
        "tree: [Home]\ntasks:\n  - {prompt: x, correct: Home}\n"
    )
    message = _errors(one_tree)
    assert (
        "tree: a study with variants gives one tree per variant under trees: "
        "(line 4)" in message
    )
    both = STUDY.replace("trees:\n", "tree: [Home]\ntrees:\n")
    assert "tree: give either tree: (one for all) or trees: (per variant)" in (
        _errors(both)
    )
    per_variant = (
        "title: T\nkind: tree_test\ntree: [Home]\ntasks:\n"
        "  - prompt: x\n    correct: {a: Home}\n"
    )
    assert (
        "tasks[0].correct: correct paths per variant need the study's variants: "
        "(line 6)" in _errors(per_variant)
    )
    twice = STUDY.replace("  - variant: b\n", "  - variant: a\n")
    assert "trees[1].variant: variant 'a' has two trees (line 16)" in _errors(twice)


def test_a_mismatch_of_variants_and_trees_is_reported_with_every_other_problem() -> (
    None
):
    text = (
        STUDY.replace("randomise: false", "randomise: maybe")
        .replace("  - variant: b\n", "  - variant: c\n")
        .replace("children: [Coats]", "children: [Coats, coats]")
    )
    message = _errors(text)
    for problem in (
        "randomise: Input should be a valid boolean",
        "trees[1].tree[1].children: two sibling nodes are labelled 'coats'",
        "trees[1].variant: no variant 'c'; the variants are a, b (line 16)",
        "trees: no tree for variant 'b'; give one tree per variant (line 8)",
    ):
        assert problem in message


def test_a_broken_study_file_imports_nothing(session: Session, tmp_path: Path) -> None:
    create_researcher(session, email="r@example.org", password="long-enough")
    path = tmp_path / "broken.yaml"
    path.write_text(STUDY.replace("a: [Home > Help > Returns]", "a: [Nowhere]"))
    with pytest.raises(StudyFileError, match="not in variant a's tree"):
        import_study_file(session, path, owner_email="r@example.org")
    assert session.exec(select(Study)).all() == []


# ----------------------------------------------------------- participants


@pytest.fixture
def study(session: Session) -> Study:
    return live_study(session, STUDY, "v@example.org")


def _labels(html: str) -> list[str]:
    return re.findall(r'class="tree-node" data-node="[\w-]+"[^>]*>([^<]+)<', html)


def test_two_participants_on_different_variants_see_different_trees(
    app: Flask, session: Session, study: Study
) -> None:
    pages = {}
    for _ in range(2):  # variants are balanced: one participant each
        client = app.test_client()
        html = start(client, session, study)
        pages[rows(session, Participant)[-1].variant] = (client, html)
    assert set(pages) == {"a", "b"}
    assert _labels(pages["a"][1]) == ["Home", "Help", "Returns", "Delivery", "About"]
    assert _labels(pages["b"][1]) == [
        "Support",
        "Contact us",
        "Returns policy",
        "Shop",
        "Coats",
    ]
    assert 'data-node="b-n1"' not in pages["a"][1]
    assert 'aria-controls="group-a-n1"' in pages["a"][1]

    client_b = pages["b"][0]
    response = client_b.post(
        f"/take/{study.slug}/step",
        data={
            "step": "tree:1",
            "node": "b-n3",
            "path": '[["b-n1", 700], ["b-n3", 1500]]',
        },
    )
    assert response.status_code == 303
    (answer,) = rows(session, TreeAnswer)
    assert (answer.task_key, answer.chosen) == ("returns", "b-n3")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # b's correct node, posted by a participant shown tree a
        (
            {"node": "b-n3", "path": "[]"},
            "node &#39;b-n3&#39; is not in the tree you were shown",
        ),
        (
            {"node": "a-n3", "path": '[["a-n1", 10], ["b-n1", 20]]'},
            "click 2 of the path names node &#39;b-n1&#39;",
        ),
        # an id without its variant is in neither tree
        ({"node": "n3", "path": "[]"}, "node &#39;n3&#39; is not in the tree"),
    ],
)
def test_a_node_from_the_other_variants_tree_is_refused_with_422(
    app: Flask,
    session: Session,
    study: Study,
    data: dict[str, str],
    reason: str,
) -> None:
    for _ in range(2):
        client = app.test_client()
        start(client, session, study)
        if rows(session, Participant)[-1].variant == "a":
            break
    assert rows(session, Participant)[-1].variant == "a"
    response = client.post(f"/take/{study.slug}/step", data={"step": "tree:1", **data})
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert rows(session, TreeAnswer) == []
    assert rows(session, Participant)[-1].step == "tree:1"
