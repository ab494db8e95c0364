"""Free text leaves uxlab exactly as the participant typed it, in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from uxlab.accounts import create_researcher
from uxlab.codebook import codebook_csv, export_xlsx, xlsx_text
from uxlab.export import export_csv_files, export_json
from uxlab.models import Participant, Response, Study
from uxlab.questionnaires import build_questionnaire, validate_answer
from uxlab.studies import import_study, load_study_file

DATA = Path(__file__).parent / "data"
#: Reference case 25: control characters a participant can paste (NUL, which
#: PostgreSQL's text cannot hold and the answer form refuses, is tested alone).
CONTROL = "a\x01c\x0bd\x1be\x7f"


@pytest.fixture(name="study")
def study_fixture(session: Session) -> Study:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session, load_study_file(DATA / "valid_study.yaml"), owner=owner, source_text=""
    )
    person = Participant(
        study_id=study.id, token_hash="c" * 64, code="P-CTRL0001", task_order=[]
    )
    session.add(person)
    session.flush()
    for item, text in (("q1", CONTROL), ("q2", "\t=1+1"), ("q3", " leading")):
        session.add(
            Response(
                participant_id=person.id,
                questionnaire="comments",
                item=item,
                value_text=text,
            )
        )
    session.commit()
    return study


@pytest.mark.reliability
def test_control_characters_do_not_break_the_workbook(
    session: Session, study: Study
) -> None:
    book = load_workbook(io.BytesIO(export_xlsx(session, study)))
    texts = [row[7] for row in book["responses"].iter_rows(min_row=2, values_only=True)]
    shown = next(t for t in texts if t and t.startswith("a"))
    # Each control character is shown by its Unicode control picture (U+2400 block).
    assert shown == "a\u2401c\u240bd\u241be\x7f"


def test_every_character_a_workbook_cannot_hold_gets_its_picture() -> None:
    assert xlsx_text("\x00\x08\t\n\r\x0c\x1f ok") == "\u2400\u2408\t\n\r\u240c\u241f ok"
    assert xlsx_text("=1") == "'=1"


@pytest.mark.reliability
def test_control_characters_stay_exact_in_csv_and_json(
    session: Session, study: Study
) -> None:
    rows = list(
        csv.DictReader(io.StringIO(export_csv_files(session, study)["responses.csv"]))
    )
    assert CONTROL in [r["text"] for r in rows]
    bundle = json.loads(json.dumps(export_json(session, study)))
    texts = [r["text"] for r in bundle["responses"]]
    assert CONTROL in texts
    assert "\t=1+1" in texts and " leading" in texts  # JSON is never neutralised


def test_open_text_is_stored_verbatim() -> None:
    q = build_questionnaire({"type": "open_text", "id": "why", "text": "Why?"})
    assert validate_answer(q, "q1", "\t=1+1") == (None, "\t=1+1")
    assert validate_answer(q, "q1", "  two spaces \n") == (None, "  two spaces \n")


@pytest.mark.reliability
def test_the_codebook_says_how_to_recover_the_exact_text(study: Study) -> None:
    text = codebook_csv(study)
    assert "apostrophe" in text
    assert "JSON export" in text
    assert "control picture" in text
