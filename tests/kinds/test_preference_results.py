"""A preference test's results page, exports and demo data over HTTP."""

from __future__ import annotations

import io
import json

import numpy as np
import openpyxl  # type: ignore[import-untyped]
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.kinds.helpers import OWNER, export_table, template_study
from uxlab.kinds.preference import analyse_preference
from uxlab.kinds.preference.demo import simulate_preference
from uxlab.models import Study
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import import_study, load_study_file


@pytest.fixture
def study(session: Session) -> Study:
    made = template_study(session, "preference-checkout.yaml", OWNER)
    simulate_preference(session, made, 40, np.random.default_rng(3))
    return made


def test_the_results_page_shows_shares_test_chart_and_reasons(
    logged_in: FlaskClient, session: Session, study: Study
) -> None:
    summary = analyse_preference(session, study)
    assert summary.n == 40 and sum(summary.counts) == 40
    html = logged_in.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    assert summary.sentence.replace("'", "&#39;") in html
    assert "adjusted-Wald interval (Agresti &amp; Coull 1998" in html
    assert "exact two-sided binomial test against 50 %" in html
    assert "<svg" in html and 'id="preference-equal-share"' in html
    assert "Why they chose it" in html
    assert "The closing questionnaires (System Usability Scale)" in html
    report = logged_in.get(f"/studies/{study.slug}/report.html")
    assert report.status_code == 200
    for label, count in zip(summary.labels, summary.counts, strict=True):
        assert f'<th scope="row">{label}' in html
        assert f'<td class="num">{count}</td>' in html
    html90 = logged_in.get(f"/studies/{study.slug}/results?cl=0.9").get_data(
        as_text=True
    )
    assert "90 % CI" in html90


def test_the_exports_carry_one_row_per_participant(
    logged_in: FlaskClient, study: Study
) -> None:
    rows = export_table(logged_in, study, "preference")
    assert len(rows) == 40
    assert {r["choice"] for r in rows} <= {"a", "b"}
    assert {r["position"] for r in rows} <= {"1", "2"}
    bundle = json.loads(logged_in.get(f"/studies/{study.slug}/export.json").data)
    choices = [r for r in bundle["responses"] if r["questionnaire"] == "preference"]
    assert len([r for r in choices if r["item"] == "choice"]) == 40
    xlsx = logged_in.get(f"/studies/{study.slug}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    sheet = book["preference"]
    assert [c.value for c in sheet[1]][:3] == ["participant", "variant", "choice"]
    assert sheet.max_row == 41  # a header and 40 participants
    assert logged_in.get(f"/studies/{study.slug}/codebook.csv").status_code == 200


def test_a_few_participants_get_small_sample_wording(
    logged_in: FlaskClient, session: Session
) -> None:
    owner_study = load_study_file(STUDY_TEMPLATES_DIR / "preference-checkout.yaml")
    from sqlmodel import select

    from uxlab.models import Researcher

    owner = session.exec(select(Researcher)).first()
    assert owner is not None
    small = import_study(session, owner_study, owner=owner, source_text="")
    simulate_preference(session, small, 5, np.random.default_rng(1))
    html = logged_in.get(f"/studies/{small.slug}/results").get_data(as_text=True)
    assert "Only 5 participants chose" in html


def test_the_report_has_the_preference_section(
    logged_in: FlaskClient, session: Session, study: Study
) -> None:
    summary = analyse_preference(session, study)
    response = logged_in.get(f"/studies/{study.slug}/report.html")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Preference test report · generated" in html
    assert summary.sentence.replace("'", "&#39;") in html
    assert '<h2 id="preference-heading">Which option participants chose</h2>' in html
    assert 'id="preference-equal-share"' in html  # the chart, inline
    assert "Why they chose it" in html
    assert "Chart as SVG" not in html  # no page links in a report
    for label, count in zip(summary.labels, summary.counts, strict=True):
        assert f'<th scope="row">{label}' in html
        assert f'<td class="num">{count}</td>' in html


def test_the_json_export_has_the_choices(logged_in: FlaskClient, study: Study) -> None:
    bundle = json.loads(logged_in.get(f"/studies/{study.slug}/export.json").data)
    part = bundle["preference"]
    assert [o["key"] for o in part["options"]] == ["a", "b"]
    assert len(part["choices"]) == 40
    for choice in part["choices"]:
        assert sorted(choice["order"]) == ["a", "b"]
        assert choice["order"][choice["position"] - 1] == choice["choice"]


def test_the_chart_downloads_and_a_usability_chart_is_a_clear_404(
    logged_in: FlaskClient, study: Study
) -> None:
    svg = logged_in.get(f"/studies/{study.slug}/charts/preference.svg")
    assert svg.status_code == 200 and b"preference-equal-share" in svg.data
    png = logged_in.get(f"/studies/{study.slug}/charts/preference.png")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"
    missing = logged_in.get(f"/studies/{study.slug}/charts/completion.svg")
    assert missing.status_code == 404
    assert b"a preference test has" in missing.data
