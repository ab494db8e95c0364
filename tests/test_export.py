from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from uxlab.accounts import create_researcher
from uxlab.export import (
    export_csv_files,
    export_json,
    export_zip,
    neutralise,
    write_export,
)
from uxlab.models import JudgedBy, Outcome, Participant, Response, TaskAttempt, utcnow
from uxlab.studies import import_study, load_study_file

DATA = Path(__file__).parent / "data"


@pytest.fixture(name="study")
def study_fixture(session):
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session, load_study_file(DATA / "valid_study.yaml"), owner=owner, source_text=""
    )
    from sqlmodel import select

    from uxlab.models import Task

    tasks = session.exec(
        select(Task).where(Task.study_id == study.id).order_by(Task.position)
    ).all()
    start = utcnow()
    done = Participant(
        study_id=study.id, token_hash="a" * 64, code="P-DONE0001",
        task_order=[t.id for t in tasks], finished_at=start, progress=100, step="done",
    )  # fmt: skip
    partial = Participant(
        study_id=study.id, token_hash="b" * 64, code="P-HALF0002",
        task_order=[t.id for t in tasks], progress=40, step="task:2",
    )  # fmt: skip
    session.add_all([done, partial])
    session.flush()
    session.add(
        TaskAttempt(
            participant_id=done.id, task_id=tasks[0].id, position=1, started_at=start,
            ended_at=start + timedelta(seconds=42.5), client_duration_ms=42_100,
            outcome=Outcome.success, judged_by=JudgedBy.self,
        )
    )  # fmt: skip
    session.add(
        TaskAttempt(
            participant_id=partial.id, task_id=tasks[0].id, position=1, started_at=start
        )
    )
    hostile = '=HYPERLINK("http://evil.example","click")'
    session.add_all(
        [
            Response(participant_id=done.id, questionnaire="sus", item="q1", value_num=4),
            Response(participant_id=done.id, questionnaire="seq", scope=f"task:{tasks[0].id}",
                     task_id=tasks[0].id, item="q1", value_num=6),
            Response(participant_id=done.id, questionnaire="comments", item="q1",
                     value_text=hostile),
            Response(participant_id=partial.id, questionnaire="comments", item="q1",
                     value_text='line one\n"quoted", ✓ -ok'),
        ]
    )  # fmt: skip
    session.commit()
    return study


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_tidy_csv_has_one_row_per_attempt_and_per_answer(session, study) -> None:
    files = export_csv_files(session, study)
    attempts = _rows(files["attempts.csv"])
    assert [(r["participant"], r["task"], r["outcome"]) for r in attempts] == [
        ("P-DONE0001", "find", "success"),
        ("P-HALF0002", "find", ""),
    ]
    assert attempts[0]["duration_s"] == "42.5"
    assert attempts[0]["client_duration_s"] == "42.1"
    responses = _rows(files["responses.csv"])
    assert len(responses) == 4
    seq = next(r for r in responses if r["questionnaire"] == "seq")
    assert (seq["scope"], seq["task"], seq["value"]) == ("task", "find", "6")
    participants = _rows(files["participants.csv"])
    assert [(p["participant"], p["finished"], p["progress"]) for p in participants] == [
        ("P-DONE0001", "true", "100"),
        ("P-HALF0002", "false", "40"),
    ]


@pytest.mark.reliability
def test_formula_text_is_neutralised_and_round_trips(session, study) -> None:
    responses = _rows(export_csv_files(session, study)["responses.csv"])
    texts = [r["text"] for r in responses if r["questionnaire"] == "comments"]
    assert texts[0] == '\'=HYPERLINK("http://evil.example","click")'
    assert texts[0][1:] == '=HYPERLINK("http://evil.example","click")'
    assert texts[1] == 'line one\n"quoted", ✓ -ok'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
@pytest.mark.reliability
def test_neutralise_every_formula_start(text: str) -> None:
    assert neutralise(text) == "'" + text


def test_numbers_are_not_neutralised() -> None:
    assert neutralise(-1) == -1
    assert neutralise(-1.5) == -1.5


def test_zip_and_json_bundle(session, study) -> None:
    with zipfile.ZipFile(io.BytesIO(export_zip(session, study))) as archive:
        names = sorted(archive.namelist())
        assert names == [
            "test-checkout-study-attempts.csv",
            "test-checkout-study-participants.csv",
            "test-checkout-study-responses.csv",
        ]
        assert archive.read(names[0]).startswith("\ufeffparticipant,".encode())
    bundle = export_json(session, study)
    json.dumps(bundle)  # JSON-ready
    assert bundle["format_version"] == 1
    assert bundle["study"]["slug"] == "test-checkout-study"
    # The JSON bundle keeps text exactly as given.
    assert '=HYPERLINK("http://evil.example","click")' in [
        r["text"] for r in bundle["responses"]
    ]


def test_attempts_csv_keeps_the_participants_own_word(session) -> None:
    import csv
    import io

    from tests.results_data import make_study, owner
    from uxlab.export import export_csv_files

    said = {"self_reported": True, "judged_by": "auto"}
    people = [
        {"outcome": "failure", "attempt": said},
        {"outcome": "abandoned", "attempt": {"self_reported": False}},
        {"outcome": "success", "attempt": {"judged_by": "auto"}},
    ]
    study = make_study(session, owner(session), "Words", people)
    rows = list(
        csv.DictReader(
            io.StringIO(
                export_csv_files(session, study)["attempts.csv"].lstrip("\ufeff")
            )
        )
    )
    assert [(r["outcome"], r["self_reported"]) for r in rows] == [
        ("failure", "done"),
        ("abandoned", "gave_up"),
        ("success", ""),
    ]


def test_zip_and_cli_name_their_files_alike(session, study, tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(export_zip(session, study))) as archive:
        in_zip = sorted(archive.namelist())
    written = sorted(p.name for p in write_export(session, study, tmp_path))
    assert in_zip == written
