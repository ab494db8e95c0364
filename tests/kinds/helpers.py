"""Studies, participants and logins that the tests of the study kinds share.

Each kind's tests import a study from its own text, let participants in
(through the participation service, or over HTTP as a browser would) and log
its owner in to read the results; the steps are the same for every kind.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from tests.test_participation import SECRET, open_token
from tests.web.test_participant import consent
from uxlab import participation as p
from uxlab.accounts import create_researcher
from uxlab.models import Participant, Study, StudyStatus, TreeAnswer
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import import_study, load_study_file, parse_study
from uxlab.tokens import hash_token, new_code, new_token

PASSWORD = "long-enough"
#: The researcher who owns the study of the results tests (see conftest.py).
OWNER = "o@example.org"

#: A tree-test answer: the nodes clicked, in order, and the node chosen (None
#: for one who gave up).
Answer = tuple[list[str], str | None]


def owned_study(session: Session, text: str, email: str) -> Study:
    """Import the study ``text`` for a new researcher ``email``."""
    owner = create_researcher(session, email=email, password=PASSWORD)
    return import_study(session, parse_study(text), owner=owner, source_text=text)


def live_study(session: Session, text: str, email: str = "r@example.org") -> Study:
    """Import the study ``text`` for a new researcher and open it to participants."""
    study = owned_study(session, text, email)
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


def template_study(session: Session, name: str, email: str) -> Study:
    """Import the shipped study template ``name`` for a new researcher ``email``."""
    owner = create_researcher(session, email=email, password=PASSWORD)
    path = STUDY_TEMPLATES_DIR / name
    return import_study(
        session, load_study_file(path), owner=owner, source_text=path.read_text()
    )


def enter(session: Session, study: Study) -> p.Entry:
    """Let a participant in through the study's open link and take their consent."""
    entry = p.enter_with_invite(session, open_token(session, study), secret=SECRET)
    p.give_consent(session, entry.slug, entry.token, step="consent")
    return entry


def join(session: Session, study: Study) -> tuple[str, str, Participant]:
    """A consenting participant: the study's slug, their token and their row."""
    entry = enter(session, study)
    _, person = p.load_participant(session, entry.slug, entry.token)
    return entry.slug, entry.token, person


def start(client: FlaskClient, session: Session, study: Study) -> str:
    """Follow the open link, consent, and return the first page of the study."""
    client.get(f"/s/{open_token(session, study)}")
    consent(client, study)
    return client.get(f"/take/{study.slug}").get_data(as_text=True)


def post_step(
    client: FlaskClient, study: Study, step: str, **data: str
) -> TestResponse:
    """Post the participant's answer to ``step``."""
    return client.post(f"/take/{study.slug}/step", data={"step": step, **data})


def log_in(client: FlaskClient, email: str) -> FlaskClient:
    """Log ``client`` in as the researcher ``email``."""
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def export_table(client: FlaskClient, study: Study, table: str) -> list[dict[str, str]]:
    """The rows of the file ``table``.csv in the study's export.zip."""
    response = client.get(f"/studies/{study.slug}/export.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    text = archive.read(f"{study.slug}-{table}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def add_participant(session: Session, study: Study, **fields: Any) -> Participant:
    """A participant row of ``study`` with ``fields`` (such as step and variant)."""
    person = Participant(
        study_id=study.id,  # type: ignore[arg-type]
        token_hash=hash_token(new_token()),
        code=new_code(),
        **fields,
    )
    session.add(person)
    session.flush()
    return person


def add_tree_answers(
    session: Session, person: Participant, answers: dict[str, Answer]
) -> None:
    """Store ``person``'s answers by task key, one click a second, in task order."""
    for position, (key, (path, chosen)) in enumerate(answers.items(), start=1):
        session.add(
            TreeAnswer(
                participant_id=person.id,  # type: ignore[arg-type]
                task_key=key,
                position=position,
                chosen=chosen,
                path=[[node, 1000 * i] for i, node in enumerate(path, start=1)],
                seconds=10.0 + position,
            )
        )
