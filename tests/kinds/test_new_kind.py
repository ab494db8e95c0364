"""A kind added as a package of its own: the loader, the participant flow and
the pages ask it, with no branch on its name anywhere in uxlab."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import pytest
from pydantic import Field, model_validator
from sqlmodel import Session

from tests.kinds.helpers import enter
from uxlab import kinds
from uxlab import participation as p
from uxlab.accounts import create_researcher
from uxlab.errors import StudyFileError
from uxlab.kinds import CONSENT, DONE, Step, get_kind
from uxlab.models import Participant, Study, StudyStatus
from uxlab.participation.base import StepPage
from uxlab.studies import StudySpec, import_study, parse_study


class ChecklistSpec(StudySpec):
    kind: Literal["checklist"] = "checklist"  # type: ignore[assignment]
    items: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ChecklistSpec:
        return self  # no tasks or questionnaires needed

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "items": self.items}


class ChecklistKind:
    """One page per item; nothing else."""

    name = "checklist"
    label = "Checklist"
    results_template = "results/results.html"
    spec = ChecklistSpec

    def steps(self, study: Study, participant: Participant) -> list[Step]:
        count = len(study.settings["items"])
        return [CONSENT, *(Step("item", str(i)) for i in range(count)), DONE]

    def fill_page(self, session: Session, page: StepPage, step: Step) -> None:
        page.errors = [page.study.settings["items"][int(step.arg or 0)]]

    page_templates: Mapping[str, str] = {"item": "participant/message.html"}
    analysis: Callable[..., Any] = staticmethod(lambda *a, **k: None)
    results: Callable[..., Any] = staticmethod(lambda *a, **k: None)
    export_rows: Callable[..., Any] = staticmethod(lambda *a, **k: {})
    demo: Callable[..., Any] = staticmethod(lambda *a, **k: None)


@pytest.fixture
def checklist(monkeypatch: pytest.MonkeyPatch) -> ChecklistKind:
    kind = ChecklistKind()
    monkeypatch.setitem(kinds._REGISTRY, kind.name, kind)
    return kind


def test_the_new_kind_validates_its_own_fields_with_lines(checklist) -> None:
    with pytest.raises(StudyFileError) as info:
        parse_study("title: Kit\nkind: checklist\nitems: []\n", "kit.yaml")
    assert "items: List should have at least 1 item" in str(info.value)
    assert "(line 3)" in str(info.value)
    assert get_kind("checklist") is checklist


def test_a_participant_goes_through_the_steps_the_kind_gives(
    session: Session, checklist
) -> None:
    text = "title: Kit\nkind: checklist\nitems: [Torch, Rope]\n"
    spec = parse_study(text)
    assert isinstance(spec, ChecklistSpec)
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(session, spec, owner=owner, source_text=text)
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    entry = enter(session, study)
    page = p.step_page(session, entry.slug, entry.token)
    assert (page.step, page.kind, page.number, page.total) == ("item:0", "item", 2, 4)
    assert page.errors == ["Torch"]
    assert checklist.page_templates[page.kind] == "participant/message.html"
    _, person = p.load_participant(session, entry.slug, entry.token)
    p.advance_step(study, person)
    assert person.step == "item:1" and person.progress == 67
