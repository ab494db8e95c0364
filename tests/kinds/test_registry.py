"""The study-kind registry and the step value every part of uxlab reads."""

from __future__ import annotations

import pytest

from uxlab import participation
from uxlab.accounts import create_researcher
from uxlab.errors import StudyFileError
from uxlab.kinds import (
    DEFAULT_KIND,
    Step,
    UnknownKindError,
    get_kind,
    kind_of,
    names,
    register,
    step_index,
)
from uxlab.models import Participant
from uxlab.studies import import_study, parse_study

STUDY = """\
title: Checkout
tasks:
  - title: Find a kettle
  - title: Pay
after_each_task: [seq]
questionnaires: [sus]
"""


@pytest.mark.parametrize(
    ("text", "step", "index", "page"),
    [
        ("consent", Step("consent"), None, "consent"),
        ("task:0", Step.task(0), 0, "task"),
        ("seq:12", Step.seq(12), 12, "questionnaire"),
        ("q:sus", Step.questionnaire("sus"), None, "questionnaire"),
        ("q:a:b", Step("q", "a:b"), None, "questionnaire"),
        ("done", Step("done"), None, "done"),
    ],
)
def test_a_stored_step_reads_back_as_the_same_value(
    text: str, step: Step, index: int | None, page: str
) -> None:
    parsed = Step.parse(text)
    assert parsed == step
    assert str(parsed) == text
    assert (parsed.index, parsed.page) == (index, page)
    assert step_index(text) == index


@pytest.mark.parametrize("text", ["", "task:", "task:x", "seq:-1", ":3"])
def test_a_string_that_is_no_step_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Step.parse(text)
    assert Step.maybe(text) is None
    assert step_index(text) is None


def test_a_study_file_without_a_kind_is_a_usability_study() -> None:
    spec = parse_study(STUDY)
    assert spec.kind == DEFAULT_KIND == "usability"
    assert parse_study("kind: usability\n" + STUDY) == spec
    assert "usability" in names()


def test_an_unknown_kind_is_a_line_level_error_naming_the_known_kinds() -> None:
    with pytest.raises(StudyFileError) as info:
        parse_study(STUDY + "kind: tree_tset\n", "inline.yaml")
    message = str(info.value)
    assert message.startswith("inline.yaml: ")
    assert "kind: unknown study kind 'tree_tset'" in message
    assert "usability" in message and "(line 7)" in message


def test_a_kind_that_is_not_a_name_is_a_line_level_error() -> None:
    with pytest.raises(StudyFileError) as info:
        parse_study("kind: [a, b]\n" + STUDY, "inline.yaml")
    assert "kind: a kind name like 'usability' is expected (line 1)" in str(info.value)


def test_unknown_kinds_and_duplicate_names_are_refused() -> None:
    with pytest.raises(UnknownKindError, match="known kinds: .*usability"):
        get_kind("nope")
    other = type(get_kind("usability"))()
    with pytest.raises(ValueError, match="already registered"):
        register(other)


def test_the_usability_kind_gives_every_step_of_a_participant(session) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(session, parse_study(STUDY), owner=owner, source_text=STUDY)
    assert study.settings["kind"] == "usability"
    assert kind_of(study).label == "Usability test"
    person = Participant(study_id=study.id, token_hash="x", task_order=[2, 1])
    steps = kind_of(study).steps(study, person)
    assert [str(s) for s in steps] == [
        "consent",
        "task:0",
        "seq:0",
        "task:1",
        "seq:1",
        "q:sus",
        "done",
    ]
    assert participation.study_steps(study, person) == [str(s) for s in steps]


def test_a_study_stored_before_kinds_existed_is_a_usability_study(session) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(session, parse_study(STUDY), owner=owner, source_text=STUDY)
    study.settings = {k: v for k, v in study.settings.items() if k != "kind"}
    assert kind_of(study).name == "usability"


def test_a_spec_made_without_the_file_loader_refuses_an_unknown_kind() -> None:
    from pydantic import ValidationError

    from uxlab.studies import StudySpec

    with pytest.raises(ValidationError, match="unknown study kind 'zz'"):
        StudySpec.model_validate(
            {"title": "x", "kind": "zz", "questionnaires": ["sus"]}
        )


def test_the_builtin_kinds_and_their_optional_hooks() -> None:
    from uxlab.kinds import all_kinds, blueprints

    names = [k.name for k in all_kinds()]
    assert names == sorted(names)
    assert {"five_second", "preference", "usability"} <= set(names)
    # Kinds with results of their own add a report section and a JSON part;
    # the usability study's are the report and export themselves.
    for name in ("preference", "five_second"):
        kind = get_kind(name)
        assert getattr(kind, "report_template", None), name
        assert callable(getattr(kind, "json_export", None)), name
    assert getattr(get_kind("usability"), "report_template", None) is None
    # The five-second test's coding forms come as the kind's own blueprint.
    assert "five_second" in [bp.name for bp in blueprints()]
