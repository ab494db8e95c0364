"""The map of the 25 reliability cases to their tests cannot rot.

Every case from 1 to 25 names at least one test; every test named exists, and
carries the ``reliability`` marker (its own, or its module's), so that
``pytest -m reliability`` runs them all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.reliability.cases import CASES

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[2]


def _marks_reliability(node: ast.expr) -> bool:
    return "mark.reliability" in ast.unparse(node)


def _module_marked(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        and _marks_reliability(node.value)
        for node in tree.body
    )


def test_every_case_is_mapped_to_a_test() -> None:
    assert sorted(CASES) == list(range(1, 26))
    for number, (title, tests) in CASES.items():
        assert title and tests, f"case {number} has no test"


@pytest.mark.parametrize(
    "node_id", sorted({t for _title, tests in CASES.values() for t in tests})
)
def test_each_mapped_test_exists_and_is_marked(node_id: str) -> None:
    path, name = node_id.split("::")
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == name
    ]
    assert len(found) == 1, f"{node_id} is not a test function of its module"
    marked = _module_marked(tree) or any(
        _marks_reliability(d) for d in found[0].decorator_list
    )
    assert marked, f"{node_id} lacks the reliability marker"
