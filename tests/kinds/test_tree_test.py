"""Tree-test study files: the template, and line-level errors for bad trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from uxlab.kinds import get_kind
from uxlab.studies import StudyFileError, load_study_file, parse_study

#: A small tree test used across the tree-test tests.
STUDY = """\
title: Find it
kind: tree_test
consent: Agree?
randomise: false
tree:
  - label: Home
    children:
      - label: Shop
        children: [Shoes, Coats]
      - label: Help
        children: [Returns, Delivery]
  - About
tasks:
  - id: returns
    prompt: Where would you send shoes back?
    correct: Home > Help > Returns
  - id: coats
    prompt: Where would you buy a coat?
    correct: [Home > Shop > Coats]
"""


def _errors(text: str) -> str:
    with pytest.raises(StudyFileError) as caught:
        parse_study(text)
    return str(caught.value)


def test_the_template_makes_a_tree_test_with_node_ids_for_correct_paths() -> None:
    root = Path(__file__).resolve().parents[2]
    spec = load_study_file(root / "study_templates" / "tree-test-navigation.yaml")
    assert spec.kind == "tree_test"
    settings = spec.settings()
    assert len(settings["tree_tasks"]) == 5
    labels = {n["id"]: n["label"] for n in settings["tree"]}
    fly = next(t for t in settings["tree_tasks"] if t["key"] == "fly-tipping")
    assert [labels[c] for c in fly["correct"]] == [
        "Fly-tipping",
        "Bulky waste collection",
    ]
    assert max(n["depth"] for n in settings["tree"]) == 2  # three levels
    assert settings["collapsed"] is True and settings["randomise"] is True


def test_the_small_tree_numbers_nodes_in_preorder() -> None:
    settings = parse_study(STUDY).settings()
    assert [(n["id"], n["label"], n["parent"]) for n in settings["tree"]] == [
        ("n1", "Home", None),
        ("n2", "Shop", "n1"),
        ("n3", "Shoes", "n2"),
        ("n4", "Coats", "n2"),
        ("n5", "Help", "n1"),
        ("n6", "Returns", "n5"),
        ("n7", "Delivery", "n5"),
        ("n8", "About", None),
    ]
    assert [t["correct"] for t in settings["tree_tasks"]] == [["n6"], ["n4"]]
    assert get_kind("tree_test").label == "Tree test"


def test_a_correct_path_not_in_the_tree_is_an_error_on_its_line() -> None:
    text = STUDY.replace(
        "correct: Home > Help > Returns", "correct: Home > Help > Refunds"
    )
    message = _errors(text)
    assert (
        "tasks[0].correct[0]: correct path 'Home > Help > Refunds' is not in the tree"
        in message
    )
    assert (
        "'Home > Help' has no child 'Refunds' (it has 'Returns', 'Delivery')" in message
    )
    assert "(line 16)" in message
    message = _errors(STUDY.replace("correct: Home > Help > Returns", "correct: Shop"))
    assert "the tree has no top-level node 'Shop'" in message


def test_a_task_without_a_correct_node_is_an_error_on_its_line() -> None:
    message = _errors(STUDY.replace("    correct: Home > Help > Returns\n", ""))
    assert "tasks[0].correct: required field is missing (line 14)" in message
    message = _errors(STUDY.replace("correct: [Home > Shop > Coats]", "correct: []"))
    assert "tasks[1].correct: a task needs at least one correct node path" in message
    assert "(line 19)" in message


def test_duplicate_sibling_labels_are_an_error_on_their_line() -> None:
    message = _errors(STUDY.replace("[Shoes, Coats]", "[Shoes, Coats, shoes]"))
    assert (
        "tree[0].children[0].children: two sibling nodes are labelled 'shoes'"
        in message
    )
    assert "(line 9)" in message
    # The same label under different parents is fine.
    parse_study(STUDY.replace("[Returns, Delivery]", "[Returns, Shoes]"))


def test_other_bad_trees_are_refused() -> None:
    assert "tasks: a tree test needs at least one task" in _errors(
        STUDY.split("tasks:")[0] + "tasks: []\n"
    )
    assert "contains '>'" in _errors(STUDY.replace("- About", "- About > us"))
    assert "tree: the tree needs at least one node" in _errors(
        "title: T\nkind: tree_test\ntree: []\ntasks:\n  - {prompt: x, correct: A}\n"
    )


def _big_tree(nodes: int = 1000) -> str:
    """A 3-level tree of 10 × 10 × 9 leaves plus their headings (1,110 nodes)."""
    lines = ["title: Big\nkind: tree_test\ntree:"]
    for a in range(10):
        lines.append(f"  - label: Section {a}\n    children:")
        for b in range(10):
            leaves = ", ".join(f"Page {a}-{b}-{c}" for c in range(9))
            lines.append(f"      - label: Topic {a}-{b}\n        children: [{leaves}]")
    lines.append("tasks:")
    for t in range(10):
        lines.append(
            f"  - prompt: Find page {t}\n    correct: Section {t} > Topic {t}-3 > Page {t}-3-4"
        )
    return "\n".join(lines) + "\n"


def test_a_tree_of_a_thousand_nodes_parses() -> None:
    # How fast is measured by benchmarks/tree_test_bench.py, not here: a
    # timed assertion fails on a busy machine, not on a slow parser.
    spec = parse_study(_big_tree())
    assert len(spec.settings()["tree"]) == 10 + 100 + 900


def test_variants_with_one_tree_are_refused() -> None:
    # Variants compare trees: each gives its own under trees: (see
    # test_tree_test_variants.py).
    assert "tree: a study with variants gives one tree per variant under trees:" in (
        _errors(STUDY + "variants: [{key: a}, {key: b}]\n")
    )
