"""Case 16: a participant withdraws; their data goes, only a count stays."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.test_participation import make_study
from tests.web.test_participant import consent, enter, rows
from uxlab.export import export_json
from uxlab.management import study_progress
from uxlab.models import Event, Participant, Response, Study, TaskAttempt


@pytest.mark.reliability
def test_withdrawing_deletes_everything_and_leaves_a_count(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    consent(client, study)
    page = client.get(f"/take/{study.slug}").text
    link = re.search(
        r'href="(/take/[^"]+/withdraw)"[^>]*>Withdraw and delete my answers', page
    )
    assert link, page
    confirm = client.get(link.group(1))
    assert confirm.status_code == 200
    assert "delete" in confirm.text.lower()
    person = rows(session, Participant)[0]
    session.add(
        Response(participant_id=person.id, questionnaire="seq", item="q1", value_num=5)
    )
    session.add(
        Event(event_id="abcdefgh-withdraw", participant_id=person.id, type="marker")
    )
    session.commit()
    done = client.post(link.group(1))
    assert done.status_code == 303
    farewell = client.get(done.location)
    assert "deleted" in farewell.text
    assert rows(session, Participant) == []
    assert rows(session, Response) == []
    assert rows(session, Event) == []
    assert rows(session, TaskAttempt) == []
    fresh = session.exec(select(Study).where(Study.id == study.id)).one()
    assert fresh.withdrawn_count == 1
    assert study_progress(session, fresh).as_dict()["withdrawn"] == 1
    assert export_json(session, fresh)["study"]["withdrawn_count"] == 1
    # The browser no longer holds a way back into the study as that person.
    assert "Withdraw and delete" not in client.get(f"/take/{study.slug}").text


def test_there_is_nothing_to_withdraw_before_consent(
    client: FlaskClient, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    enter(client, session, study)
    assert "Withdraw and delete" not in client.get(f"/take/{study.slug}").text
