"""Every study kind in a moderated session: the moderator's console follows
the participant through the kind's own steps and moves them on, and the
participant's page follows the moderator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.test_moderation import SECRET
from tests.web.test_moderation_web import PASSWORD, base, login, post, schedule
from uxlab import moderation as m
from uxlab.accounts import create_researcher
from uxlab.models import ModeratedSession, Study, StudyStatus
from uxlab.studies import import_study, parse_study

TEMPLATES = Path(__file__).resolve().parents[2] / "study_templates"

#: Each kind's template, the first step of its own after consent, and how
#: the moderator's console names it.
KINDS = {
    "tree_test": ("tree-test-navigation.yaml", "tree:1", "Tree task 1 of 5"),
    "card_sort": ("card-sort-groceries.yaml", "sort", "Sorting the cards"),
    "five_second": ("five-second-homepage.yaml", "intro", "Reading what will happen"),
    "preference": ("preference-checkout.yaml", "choose", "Choosing a design"),
}


def _moderated(session: Session, template: str) -> Study:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^mode: .*\n", "", text) + "mode: moderated\n"
    owner = create_researcher(session, email="mod@example.com", password=PASSWORD)
    study = import_study(session, parse_study(text), owner=owner, source_text=text)
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_moderator_moves_a_participant_through_the_kinds_steps(
    app: Flask, session: Session, kind: str
) -> None:
    template, first, label = KINDS[kind]
    study = _moderated(session, template)
    mod = login(app, "mod@example.com")
    session_id = schedule(mod, study)
    ms = session.get(ModeratedSession, session_id)
    assert ms is not None
    you: FlaskClient = app.test_client()
    link = m.participant_link_token(session, ms, SECRET)
    assert you.get(f"/s/{link}").status_code == 303
    take = f"/take/{study.slug}"
    you.post(take + "/consent", data={"step": "consent", "decision": "agree"})
    page = you.get(take)
    assert page.status_code == 200 and 'name="uxlab-follow"' in page.text
    live = you.get(take + "/live.json").get_json()
    assert live["step"] == first
    console = mod.get(base(study, session_id) + "/console")
    assert console.status_code == 200
    state = mod.get(base(study, session_id) + "/state.json").get_json()
    assert state["participant"]["step_label"] == label
    # no task list to start and judge: the kind's own pages take the answers
    assert state["tasks"] == []
    moved = post(
        mod,
        base(study, session_id) + "/control",
        {"action_id": "action-0001", "action": "next", "from_step": live["step"]},
    )
    assert moved.status_code == 200, moved.text
    assert moved.get_json()["applied"] is True
    after = you.get(take + "/live.json").get_json()
    assert after["step"] != live["step"]
    assert you.get(take).status_code == 200
    # the console still reads the session after the move
    assert mod.get(base(study, session_id) + "/console").status_code == 200
