"""The results blueprint: pages equal uxlab.stats, isolation, options, exclusions."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from uxlab import stats
from uxlab.accounts import create_researcher
from uxlab.analysis import analyse_study
from uxlab.db import get_engine
from uxlab.demo import simulate_participants
from uxlab.models import Participant, Researcher, Study
from uxlab.report import Formats
from uxlab.studies import import_study, load_study_file

TEMPLATES = Path(__file__).parent.parent.parent / "study_templates"
PASSWORD = "long-enough"


def _seed(session: Session, email: str, name: str, n: int, seed: int = 2) -> Study:
    owner = create_researcher(session, email=email, password=PASSWORD)
    study = import_study(
        session, load_study_file(TEMPLATES / name), owner=owner, source_text=""
    )
    simulate_participants(session, study, n, np.random.default_rng(seed))
    return study


@pytest.fixture(name="study")
def study_fixture(session: Session) -> Study:
    return _seed(session, "owner@example.org", "ab-checkout.json", 30)


def _login(client: FlaskClient, email: str = "owner@example.org") -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr data-task="{key}">(.*?)</tr>', html, re.S)
    assert match, key
    return match.group(1)


def _field(html: str, name: str) -> str:
    match = re.search(rf'data-field="{name}"[^>]*>(.*?)</t[dh]>', html, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize("cl", [0.8, 0.99])
def test_results_page_equals_the_library(
    client: FlaskClient, session: Session, study: Study, cl: float
) -> None:
    _login(client)
    response = client.get(f"/studies/{study.slug}/results?cl={cl}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    report = analyse_study(session, study, confidence_level=cl)
    f = Formats(cl)
    for task in report.tasks:
        row = _row(html, task.key)
        c = task.completion
        assert c is not None
        assert _field(row, "completed") == f"{c.successes}/{c.trials}"
        assert _field(row, "completion") == f.pct(c.observed)
        ci = stats.completion_rate(c.successes, c.trials, confidence_level=cl).ci
        assert _field(row, "completion-ci").startswith(f.ci_pct(ci))
        best = stats.completion_rate(c.successes, c.trials).estimate
        assert _field(row, "best-estimate") == f.pct(best)
        t = task.times.completion
        assert t is not None
        assert _field(row, "time").startswith(f.secs(t.center))
        assert _field(row, "time-ci").startswith(f.ci_secs(t.ci))
        seq = task.seq.result if task.seq else None
        assert seq is not None
        assert _field(row, "seq").startswith(f.num(seq.mean, 2))
        assert _field(row, "seq-top2") == f.pct(seq.top2_box)
    sus = next(q.sus for q in report.questionnaires if q.sus)
    assert sus is not None
    assert f'data-field="sus-mean">{f.num(sus.mean, 1)}<' in html
    assert f'data-field="sus-grade">{sus.grade}<' in html
    assert f"{f.level} confidence interval: adjusted-Wald" in html  # tooltip
    # The Methods text states the rule the library applies (Lewis & Sauro
    # 2006: strict boundaries, so 9/10 stays 0.90).
    assert "Laplace above 90 %, Wilson below 50 %, otherwise x/n" in html
    assert stats.completion_rate(9, 10).estimate == 0.9
    assert html.count('class="chart"') == 5


def test_results_page_shows_charts_as_files(client: FlaskClient, study: Study) -> None:
    _login(client)
    svg = client.get(f"/studies/{study.slug}/charts/completion.svg?cl=0.9")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"completion-errorbar-2" in svg.data and b"90 % adjusted-Wald" in svg.data
    png = client.get(f"/studies/{study.slug}/charts/sus.png?download=1")
    assert (
        png.data.startswith(b"\x89PNG")
        and "attachment" in png.headers["Content-Disposition"]
    )
    assert client.get(f"/studies/{study.slug}/charts/pie.svg").status_code == 404
    assert client.get(f"/studies/{study.slug}/charts/nps.gif").status_code == 404


@pytest.mark.parametrize(
    "query", ["cl=0.5", "cl=95", "cl=abc", "include_excluded=maybe"]
)
def test_bad_options_are_400(client: FlaskClient, study: Study, query: str) -> None:
    _login(client)
    for path in ("results", "report.html", "charts/completion.svg"):
        response = client.get(f"/studies/{study.slug}/{path}?{query}")
        assert response.status_code == 400, path
        assert b"must be" in response.data


def test_other_researchers_study_is_404(
    client: FlaskClient, session: Session, study: Study
) -> None:
    create_researcher(session, email="other@example.org", password=PASSWORD)
    _login(client, "other@example.org")
    code = session.exec(select(Participant.code)).first()
    for path in (
        "results", "charts/completion.svg", "report.html", "report.pdf",
        "export.xlsx", "codebook.csv",
    ):  # fmt: skip
        assert client.get(f"/studies/{study.slug}/{path}").status_code == 404, path
    post = client.post(
        f"/studies/{study.slug}/participants/{code}/exclusion",
        data={"action": "exclude", "reason": "x"},
    )
    assert post.status_code == 404
    assert client.get(f"/compare?a={study.slug}&b={study.slug}").status_code == 404
    assert client.get(f"/compare?study={study.slug}&va=A&vb=B").status_code == 404


def test_login_required(client: FlaskClient, study: Study) -> None:
    for path in (f"/studies/{study.slug}/results", "/compare", "/plan"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_exclusion_toggle_with_csrf(csrf_app: Flask) -> None:
    with Session(get_engine(csrf_app), expire_on_commit=False) as session:
        study = _seed(session, "owner@example.org", "ecommerce-tasks.yaml", 20)
        person = session.exec(
            select(Participant)
            .where(Participant.study_id == study.id)
            .where(col(Participant.finished_at).is_not(None))
        ).first()
        assert person is not None
        code, slug = person.code, study.slug
        before = analyse_study(session, study)
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page)
    assert token
    client.post(
        "/login",
        data={"email": "owner@example.org", "password": PASSWORD,
              "csrf_token": token.group(1)},
    )  # fmt: skip
    url = f"/studies/{slug}/participants/{code}/exclusion"
    no_token = client.post(url, data={"action": "exclude", "reason": "speeder"})
    assert no_token.status_code == 400
    page = client.get(f"/studies/{slug}/results").get_data(as_text=True)
    assert "No participant is excluded." in page and "the 0 excluded" not in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    done = client.post(
        url,
        data={"action": "exclude", "reason": "speeder", "csrf_token": token.group(1)},
    )
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Participant {code} is excluded from the results." in page
    assert "leave out the 1 excluded participant." in page
    assert '<dd data-stat="excluded">1</dd>' in page
    assert f'<dd data-stat="included">{before.overview.included - 1}</dd>' in page
    assert "Include again" in page
    with_all = client.get(f"/studies/{slug}/results?include_excluded=1")
    text = with_all.get_data(as_text=True)
    assert f'<dd data-stat="included">{before.overview.included}</dd>' in text
    with Session(get_engine(csrf_app)) as session:
        stored = session.exec(select(Participant).where(Participant.code == code)).one()
        assert stored.excluded and stored.exclusion_reason == "speeder"
    bad = client.post(url, data={"action": "delete", "csrf_token": token.group(1)})
    assert bad.status_code == 400


def test_compare_variants_page(client: FlaskClient, session: Session, study: Study):
    _login(client)
    html = client.get(f"/compare?study={study.slug}&va=A&vb=B").get_data(as_text=True)
    assert (
        "Design B: One-page checkout compared with Design A: Current checkout" in html
    )
    assert html.count("Completion rate: ") == 3
    assert "SUS score: " in html
    assert "<svg" in html
    chart = client.get(f"/compare/chart?fmt=png&study={study.slug}&va=A&vb=B")
    assert chart.data.startswith(b"\x89PNG")
    bad = client.get(f"/compare?study={study.slug}&va=A&vb=Z")
    assert bad.status_code == 400
    assert client.get("/compare").status_code == 200


def test_compare_two_studies_page(client: FlaskClient, session: Session, study):
    other = import_study(
        session,
        load_study_file(TEMPLATES / "ecommerce-tasks.yaml"),
        owner=_owner(session),
        source_text="",
    )
    simulate_participants(session, other, 10, np.random.default_rng(4))
    _login(client)
    html = client.get(f"/compare?a={other.slug}&b={study.slug}").get_data(as_text=True)
    assert "Completion rate: " in html
    assert "Not compared" not in html  # same three task ids


def _owner(session: Session):
    from uxlab.models import Researcher

    return session.exec(
        select(Researcher).where(Researcher.email == "owner@example.org")
    ).one()


def test_plan_page(client: FlaskClient, study: Study) -> None:
    _login(client)
    html = client.get("/plan?margin=10&proportion=50&cl=0.95").get_data(as_text=True)
    n = stats.sample_size_for_proportion(0.10)
    assert f'data-field="n-proportion">{n}<' in html
    assert (
        f'data-field="n-discovery">{stats.sample_size_for_discovery(0.1, 0.85)}<'
        in html
    )
    assert "discovery-curve" in html
    # stats-methods.md section 7: at 90 %, +/-10 points the corrected rule
    # asks for 41, and the page says how it got there.
    html = client.get("/plan?margin=10&proportion=90&cl=0.95").get_data(as_text=True)
    assert 'data-field="n-proportion">41<' in html
    assert "smallest n whose expected adjusted-Wald margin" in html
    bad = client.get("/plan?margin=abc")
    assert bad.status_code == 400 and b"margin" in bad.data
    svg = client.get("/plan/chart?problem=31&goal=85")
    assert svg.mimetype == "image/svg+xml"


def test_downloads(client: FlaskClient, study: Study) -> None:
    _login(client)
    report = client.get(f"/studies/{study.slug}/report.html?download=1")
    assert report.status_code == 200
    assert f"{study.slug}-report.html" in report.headers["Content-Disposition"]
    xlsx = client.get(f"/studies/{study.slug}/export.xlsx")
    assert xlsx.data.startswith(b"PK")
    codebook = client.get(f"/studies/{study.slug}/codebook.csv")
    assert codebook.get_data(as_text=True).startswith("\ufefffile,column,item")


def test_a_study_nobody_has_taken_yet(client: FlaskClient, session: Session) -> None:
    empty = _seed(session, "new@example.org", "sus-benchmark.yaml", 0)
    _login(client, "new@example.org")
    page = client.get(f"/studies/{empty.slug}/results")
    assert page.status_code == 200
    html = page.text
    assert "Nobody has taken part yet" in html
    assert 'class="funnel"' not in html and "100 %" not in html


def test_compare_with_nothing_in_common_says_why_beside_the_forms(
    client: FlaskClient, session: Session, study: Study
) -> None:
    empty = import_study(
        session,
        load_study_file(TEMPLATES / "sus-benchmark.yaml"),
        owner=session.get(Researcher, study.researcher_id),
        source_text="",
    )
    _login(client)
    page = client.get(f"/compare?a={empty.slug}&b={study.slug}")
    assert page.status_code == 400
    html = page.text
    assert "no task ids in common, and the SUS has no answers in SUS benchmark" in html
    assert "Compare studies" in html  # the forms are still there


def test_study_page_lists_the_variants_and_links_their_comparison(
    client: FlaskClient, study: Study
) -> None:
    _login(client)
    page = client.get(f"/studies/{study.slug}").text
    assert "Design variants" in page
    for key, name in (("A", "Current checkout"), ("B", "One-page checkout")):
        assert f"<td><code>{key}</code></td><td>{name}</td>" in page
    assert f'href="/compare?study={study.slug}&amp;va=A&amp;vb=B"' in page


def test_exclude_any_participant_by_code(
    client: FlaskClient, session: Session, study: Study
) -> None:
    _login(client)
    url = f"/studies/{study.slug}/exclusions"
    results = client.get(f"/studies/{study.slug}/results").text
    assert f'action="{url}"' in results
    people = session.exec(
        select(Participant).where(Participant.study_id == study.id)
    ).all()
    target = people[0]
    response = client.post(url, data={"code": target.code, "reason": "a colleague"})
    assert response.status_code == 303
    session.rollback()  # see the app's commit
    session.refresh(target)
    assert target.excluded and target.exclusion_reason == "a colleague"
    page = client.get(response.headers["Location"]).text
    assert f"Participant {target.code} is excluded from the results." in page
    # An unknown code or no reason changes nothing and says why.
    bad = client.post(url, data={"code": "NOPE", "reason": "x"}, follow_redirects=True)
    assert "No participant with the code &#39;NOPE&#39; took this study." in bad.text
    other = people[1]
    client.post(url, data={"code": other.code, "reason": ""})
    session.rollback()
    session.refresh(other)
    assert not other.excluded


def test_compare_offers_usability_studies_and_sends_other_kinds_to_their_results(
    client: FlaskClient, session: Session, study: Study
) -> None:
    trees = import_study(
        session,
        load_study_file(TEMPLATES / "tree-test-compare.yaml"),
        owner=_owner(session),
        source_text="",
    )
    cards = import_study(
        session,
        load_study_file(TEMPLATES / "card-sort-groceries.yaml"),
        owner=_owner(session),
        source_text="",
    )
    _login(client)
    page = client.get("/compare").get_data(as_text=True)
    # Compare is task by task: only usability studies are offered in its lists.
    assert f'<option value="{study.slug}"' in page
    assert f'<option value="{trees.slug}"' not in page
    assert f'<option value="{cards.slug}"' not in page
    # The tree test's own comparison of its trees is pointed to instead.
    assert f'href="/studies/{trees.slug}/results' in page
    # Asked for by address, another kind is a clear 400, not a page of dashes.
    for query in (
        f"study={trees.slug}&va=current&vb=proposed",
        f"a={cards.slug}&b={study.slug}",
    ):
        refused = client.get(f"/compare?{query}")
        assert refused.status_code == 400
        text = refused.get_data(as_text=True)
        assert "compares usability studies" in text
