"""The PDF report as a reader sees it: its text, extracted with poppler's pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from sqlmodel import Session

from uxlab.accounts import create_researcher
from uxlab.analysis import analyse_study
from uxlab.demo import simulate_participants
from uxlab.report import Formats, html_to_pdf, render_report_html
from uxlab.studies import import_study, load_study_file

TEMPLATES = Path(__file__).parent.parent / "study_templates"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None,
        reason="no pdftotext (make test installs poppler-utils)",
    ),
]


def test_pdf_task_table_fits_the_page(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session,
        load_study_file(TEMPLATES / "ab-checkout.json"),
        owner=owner,
        source_text="",
    )
    simulate_participants(session, study, 24, np.random.default_rng(11))
    with app.app_context():
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(html_to_pdf(render_report_html(session, study)))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    report = analyse_study(session, study)
    f = Formats(0.95)
    assert "SEQ" in text
    for task in report.tasks:
        assert task.seq is not None and task.completion is not None
        # The SEQ column is on the page, and no interval is broken inside.
        assert f"{f.num(task.seq.result.mean, 2)} " in text
        assert f.ci_pct(task.completion.ci) in text
        assert f.ci_num(task.seq.result.ci, 2) in text


def test_pdf_of_a_five_second_test_has_its_questions_and_codes(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    from uxlab.kinds.five_second.analysis import analyse_five_second
    from uxlab.kinds.five_second.demo import simulate_five_second

    owner = create_researcher(session, email="r@example.org", password="long-enough")
    study = import_study(
        session,
        load_study_file(TEMPLATES / "five-second-homepage.yaml"),
        owner=owner,
        source_text="",
    )
    simulate_five_second(session, study, 24, np.random.default_rng(4))
    with app.app_context():
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(html_to_pdf(render_report_html(session, study)))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    summary = analyse_five_second(session, study)
    assert "Five-second test report" in text
    for q in summary.questions:
        assert q.text in text
    purpose, action, _ = summary.questions
    for share in (*purpose.shares, *action.shares):
        assert share.result is not None
        low, high = share.result.ci
        # Each interval on one line, as the page shows it.
        assert f"{round(100 * low)}–{round(100 * high)} %" in text


def test_pdf_of_a_study_aimed_at_a_touchpoint_carries_its_journey_map(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    from sqlmodel import col, select

    from uxlab.cx.ux_side import CxTouchpointLink
    from uxlab.demo import DEMO_VIEWER_EMAIL, DEMO_VIEWER_PASSWORD
    from uxlab.models import Study

    result = app.test_cli_runner().invoke(args=["demo", "--participants", "4"])
    assert result.exit_code == 0, result.output
    linked = session.exec(
        select(Study)
        .join(CxTouchpointLink, col(CxTouchpointLink.study_id) == Study.id)
        .where(col(CxTouchpointLink.study_id).is_not(None))
    ).one()
    viewer = app.test_client()
    viewer.post(
        "/login", data={"email": DEMO_VIEWER_EMAIL, "password": DEMO_VIEWER_PASSWORD}
    )
    response = viewer.get(f"/studies/{linked.slug}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The journey section, its map slide drawn inline: the journey's name, the
    # touchpoint the study is aimed at, every stage, and the interval's method.
    assert "Customer journey" in text
    assert "Buy online" in text and "this study: Checkout" in text
    for name in ("Discover", "Buy", "Get help", "Renew", "Checkout"):
        assert name in text
    assert "adjusted Wald" in text
