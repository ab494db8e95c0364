from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from uxlab.accounts import create_researcher
from uxlab.errors import NotFoundError, StudyFileError
from uxlab.models import Study, StudyStatus, Task
from uxlab.studies import (
    balanced_latin_square,
    get_study_by_ref,
    import_study,
    import_study_file,
    list_studies,
    load_study_file,
    parse_study,
    slugify,
)

DATA = Path(__file__).parent / "data"


def test_yaml_and_json_files_give_the_same_study() -> None:
    yaml_spec = load_study_file(DATA / "valid_study.yaml")
    json_spec = load_study_file(DATA / "valid_study.json")
    assert yaml_spec == json_spec
    assert yaml_spec.tasks[0].success_kind == "url_matches"
    assert yaml_spec.tasks[1].success_kind == "self_report"


def test_broken_yaml_names_file_and_line() -> None:
    with pytest.raises(StudyFileError) as info:
        load_study_file(DATA / "broken_yaml.yaml")
    message = str(info.value)
    assert "broken_yaml.yaml" in message
    assert "not valid YAML" in message
    assert "line 5" in message or "line 4" in message


def test_invalid_study_names_every_field_path_and_line() -> None:
    with pytest.raises(StudyFileError) as info:
        load_study_file(DATA / "invalid_study.yaml")
    problems = info.value.problems
    text = "\n".join(problems)
    assert any(p.startswith("mode:") and "(line 2)" in p for p in problems), text
    assert any(p.startswith("tasks[0].success.url_matches:") for p in problems), text
    assert any(
        p.startswith("tasks[1].colour: unknown field (line 8)") for p in problems
    ), text
    assert any(
        p.startswith("questionnaires[1].type:") and "(line 9)" in p for p in problems
    ), text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- just\n- a list\n", "expected a mapping"),
        ("title: x\n", "at least one task or questionnaire"),
        ("title: x\nquestionnaires: [sus, sus]\n", "questionnaire ids must be unique"),
        ("title: x\ntasks: [{title: a, id: t}, {title: b, id: t}]\n", "task ids must be unique"),
        ("title: x\ntasks: [{title: a}]\nvariants: [{key: A}]\n", "two or more variants"),
        ("title: x\ntasks: [{title: a, success: {first_click: {x: 0, y: 0, width: .1, height: .1}}}]\n",
         "needs an image"),
        ("title: x\nquestionnaires: [{type: likert, text: Hi}]\n", "needs an id"),
        ("title: x\nquestionnaires: [sus]\nallowed_origins: [example.com]\n", "is not an origin"),
        ("title: x\ntasks: [{title: a, time_limit_s: -5}]\n", "greater than 0"),
        ("title: x\ntasks: [{title: a, success: {url_matches: a, element: b}}]\n", "exactly one"),
        ("title: x\ntasks: [{title: a, start_url: ftp://x}]\n", "start_url must start with"),
        ("title: x\ntasks: [{title: a, image: a.png, first_click_target: '#x'}]\n",
         "first_click_target is for site tasks"),
        ("title: x\ntasks: [{title: a, first_click_target: ''}]\n", "at least 1 character"),
    ],
)  # fmt: skip
def test_invalid_studies_are_explained(text: str, fragment: str) -> None:
    with pytest.raises(StudyFileError) as info:
        parse_study(text, "inline.yaml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("inline.yaml: ")


def test_import_creates_study_and_tasks_in_order(session) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    spec = load_study_file(DATA / "valid_study.yaml")
    study = import_study(session, spec, owner=owner, source_text="verbatim: text\n")
    assert study.slug == "test-checkout-study"
    assert study.status == StudyStatus.draft
    assert study.source_yaml == "verbatim: text\n"
    assert study.settings["after_each_task"] == ["seq"]
    tasks = session.exec(select(Task).where(Task.study_id == study.id)).all()
    assert [(t.key, t.position, t.success_kind) for t in tasks] == [
        ("find", 1, "url_matches"),
        ("help", 2, "self_report"),
    ]
    again = import_study(session, spec, owner=owner, source_text="", publish=True)
    assert again.slug == "test-checkout-study-2"
    assert again.status == StudyStatus.live and again.published_at is not None


def test_first_click_target_is_one_selector_or_a_list(session) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    text = (
        "title: x\ntasks:\n"
        "  - {id: one, title: a, first_click_target: 'nav > a'}\n"
        "  - {id: two, title: b, first_click_target: ['#buy', 'main > a']}\n"
        "  - {id: none, title: c}\n"
    )
    study = import_study(session, parse_study(text), owner=owner, source_text=text)
    tasks = session.exec(select(Task).where(Task.study_id == study.id)).all()
    assert [t.settings.get("first_click_selector") for t in tasks] == [
        ["nav > a"],
        ["#buy", "main > a"],
        None,
    ]


def test_import_file_needs_a_known_owner(session) -> None:
    with pytest.raises(NotFoundError, match="no researcher"):
        import_study_file(
            session, DATA / "valid_study.yaml", owner_email="nobody@example.org"
        )
    assert session.exec(select(Study)).all() == []


def test_get_study_by_ref_hides_other_owners_studies(session) -> None:
    a = create_researcher(session, email="a@example.org", password="long-enough")
    b = create_researcher(session, email="b@example.org", password="long-enough")
    study = import_study(
        session, load_study_file(DATA / "valid_study.yaml"), owner=a, source_text=""
    )
    assert get_study_by_ref(session, study.slug, owner_id=a.id).id == study.id
    assert get_study_by_ref(session, str(study.id)).id == study.id
    with pytest.raises(NotFoundError):
        get_study_by_ref(session, study.slug, owner_id=b.id)
    assert [r.slug for r in list_studies(session, owner_email="b@example.org")] == []
    assert [r.slug for r in list_studies(session, owner_email="A@example.org")] == [
        study.slug
    ]


def test_slugify() -> None:
    assert slugify("Checkout test (v2) — Café") == "checkout-test-v2-cafe"
    assert slugify("!!!") == "study"


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_balanced_latin_square_is_balanced(n: int) -> None:
    rows = balanced_latin_square(n)
    assert len(rows) == (n if n % 2 == 0 else 2 * n)
    for row in rows:
        assert sorted(row) == list(range(n))
    # Each position holds each task equally often.
    for position in range(n):
        column = [row[position] for row in rows]
        assert len(set(column)) == n
    # Each ordered pair of neighbours occurs equally often (Williams 1949).
    pairs: dict[tuple[int, int], int] = {}
    for row in rows:
        for first, second in zip(row, row[1:], strict=False):
            pairs[(first, second)] = pairs.get((first, second), 0) + 1
    if n > 1:
        assert len(set(pairs.values())) == 1
        assert len(pairs) == n * (n - 1)


def test_a_task_can_trust_the_participant_explicitly(session) -> None:
    text = """
title: Trusting
tasks:
  - title: Find it
    start_url: https://shop.example.com/
    success: {url_matches: "cart", self_report: true}
  - title: Say so
    success: {self_report: true}
"""
    owner = create_researcher(session, email="t@example.org", password="long-enough")
    study = import_study(session, parse_study(text), owner=owner, source_text=text)
    first, second = sorted(
        session.exec(select(Task).where(Task.study_id == study.id)).all(),
        key=lambda t: t.position,
    )
    assert first.success_kind == "url_matches"
    assert first.settings["trust_self_report"] is True
    assert second.success_kind == "self_report"
