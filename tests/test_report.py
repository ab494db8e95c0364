"""uxlab.report, uxlab.codebook and ``uxlab report``: self-contained report, exports."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlmodel import Session, select

from uxlab import __version__, stats
from uxlab.accounts import create_researcher
from uxlab.analysis import analyse_study
from uxlab.codebook import codebook_csv, codebook_rows, export_xlsx
from uxlab.demo import simulate_participants
from uxlab.export import ATTEMPT_COLUMNS, PARTICIPANT_COLUMNS, RESPONSE_COLUMNS
from uxlab.models import Participant, Study
from uxlab.report import Formats, html_to_pdf, render_report_html
from uxlab.studies import import_study, load_study_file

TEMPLATES = Path(__file__).parent.parent / "study_templates"


@pytest.fixture(name="study")
def study_fixture(session: Session) -> Study:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session,
        load_study_file(TEMPLATES / "ab-checkout.json"),
        owner=owner,
        source_text="",
    )
    simulate_participants(session, study, 24, np.random.default_rng(11))
    return study


def test_report_is_self_contained_and_matches_the_library(
    app: Flask, session: Session, study: Study
) -> None:
    with app.app_context():
        html = render_report_html(session, study, confidence_level=0.9)
    # Nothing to fetch: no stylesheet links, scripts, images or remote URLs.
    assert not re.search(r"<(script|img|iframe|link rel=\"stylesheet\")", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert 'href="/' not in html
    assert not re.search(r"url\((?!#)", html)  # SVG clip paths point inside
    assert html.count('class="chart"') == 5  # completion, times, SEQ, SUS, NPS
    assert f"uxlab {__version__}" in html
    assert "Methods" in html and "adjusted-Wald" in html
    report = analyse_study(session, study, confidence_level=0.9)
    f = Formats(0.9)
    for task in report.tasks:
        assert task.completion is not None
        assert f.ci_pct(task.completion.ci) in html
    sus = next(q.sus for q in report.questionnaires if q.sus)
    assert sus is not None
    assert f'<dd data-field="sus-mean">{f.num(sus.mean, 1)}</dd>' in html
    nps = next(q.nps for q in report.questionnaires if q.nps)
    assert nps == stats.nps(
        [v for v in _answers(session, study, "nps")], confidence_level=0.9
    )
    assert f"{nps.score:+.0f}" in html
    assert "90 % confidence intervals" in html


def _answers(session: Session, study: Study, questionnaire: str) -> list[float]:
    from uxlab.models import Response

    return [
        r.value_num
        for r in session.exec(
            select(Response)
            .join(Participant)
            .where(Participant.study_id == study.id)
            .where(Response.questionnaire == questionnaire)
        ).all()
        if r.value_num is not None
    ]


def test_report_escapes_researcher_text(app: Flask, session: Session, study: Study):
    study.description = "<script>alert(1)</script> **bold**"
    session.add(study)
    session.commit()
    with app.app_context():
        html = render_report_html(session, study)
    assert "<script>alert(1)" not in html
    assert "<strong>bold</strong>" in html


def test_cli_report_html(runner, session: Session, study: Study, tmp_path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(
        args=["report", study.slug, "-o", str(out), "--confidence", "0.8"]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "80 % confidence intervals" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "no-such-study", "-o", "x.html"], "no study 'no-such-study'"),
        (["report", "{slug}", "-o", "x.html", "--confidence", "0.5"], "0.5"),
        (["report", "{slug}", "-o", "x.html", "--format", "doc"], "doc"),
        (["report", "{slug}"], "Missing option '-o'"),
        (
            ["report", "{slug}", "-o", "x.html", "--format", "pdf"],
            "--format pdf contradicts the file name x.html",
        ),
        (
            ["report", "{slug}", "-o", "x.pdf", "--format", "html"],
            "--format html contradicts the file name x.pdf",
        ),
    ],
)
def test_cli_report_errors(runner, study: Study, tmp_path, args, message) -> None:
    args = [a.format(slug=study.slug) for a in args]
    args = [str(tmp_path / a) if a.endswith((".html", ".pdf")) else a for a in args]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert not list(tmp_path.glob("x.*"))  # nothing half-written


def test_codebook_covers_every_column_and_item(study: Study) -> None:
    rows = codebook_rows(study)
    for name, columns in (
        ("participants.csv", PARTICIPANT_COLUMNS),
        ("attempts.csv", ATTEMPT_COLUMNS),
        ("responses.csv", RESPONSE_COLUMNS),
    ):
        assert {r.column for r in rows if r.file == name} >= set(columns)
    items = {
        (r.column, r.item): r for r in rows if r.column.startswith("questionnaire=")
    }
    assert len([k for k in items if k[0] == "questionnaire=sus"]) == 10
    assert items[("questionnaire=nps", "q1")].values.startswith("0-10 (0 = Not at all")
    assert items[("questionnaire=seq", "q1")].values.startswith("1-7")
    parsed = list(csv.reader(io.StringIO(codebook_csv(study))))
    assert parsed[0] == ["file", "column", "item", "meaning", "values"]
    assert len(parsed) == len(rows) + 1


def test_xlsx_export(session: Session, study: Study) -> None:
    people = session.exec(select(Participant).where(Participant.study_id == study.id))
    first = list(people)[0]
    first.excluded, first.exclusion_reason = True, "=HYPERLINK(1)"
    session.add(first)
    session.commit()
    book = load_workbook(io.BytesIO(export_xlsx(session, study)))
    assert book.sheetnames == [
        "participants", "attempts", "responses", "tasks", "codebook",
    ]  # fmt: skip
    sheet = book["participants"]
    header = [c.value for c in sheet[1]]
    assert header == list(PARTICIPANT_COLUMNS)
    assert sheet.max_row == 25
    reasons = [c.value for c in sheet["L"]]
    assert "'=HYPERLINK(1)" in reasons  # neutralised, not a formula
    attempts = book["attempts"]
    durations = [r[8] for r in attempts.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(d, int | float) for d in durations if d != "")


@pytest.mark.browser
def test_pdf_report(app: Flask, session: Session, study: Study, tmp_path) -> None:
    with app.app_context():
        pdf = html_to_pdf(render_report_html(session, study))
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 20_000


@pytest.mark.browser
def test_cli_report_pdf_from_the_extension(runner, study: Study, tmp_path) -> None:
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["report", study.slug, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
