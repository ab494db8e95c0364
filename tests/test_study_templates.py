from __future__ import annotations

from pathlib import Path

import pytest

from uxlab.paths import STATIC_DIR, STUDY_TEMPLATES_DIR
from uxlab.studies import load_study_file

TEMPLATES = sorted(
    p for p in STUDY_TEMPLATES_DIR.iterdir() if p.suffix in (".yaml", ".json")
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_shipped_template_loads(path: Path) -> None:
    spec = load_study_file(path)
    assert spec.title
    for task in spec.tasks:
        if task.image:
            assert (STATIC_DIR / task.image).is_file(), task.image
        if task.start_url and task.start_url.startswith("/static/"):
            assert (STATIC_DIR / task.start_url.removeprefix("/static/")).is_file()


def test_the_promised_kinds_of_study_are_shipped() -> None:
    specs = [load_study_file(p) for p in TEMPLATES]
    kinds = {q.type for s in specs for q in s.questionnaires}
    assert {"sus", "nps", "csat", "ces", "umux_lite"} <= kinds
    assert any(s.mode == "moderated" for s in specs)
    assert any(s.variants and s.task_order == "counterbalanced" for s in specs)
    assert any(t.success_kind == "first_click" for s in specs for t in s.tasks)
    assert any(
        s.tasks and [q.type for q in s.after_each_task] == ["seq"] for s in specs
    )
    assert any(
        [q.type for q in s.questionnaires] == ["sus"] and not s.tasks for s in specs
    )
    assert any(p.suffix == ".json" for p in TEMPLATES)
