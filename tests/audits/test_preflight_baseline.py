"""Lostness against a pre-flight's path when the study gives no shortest path.

Lostness is Smith's (1996) measure, L = sqrt((N/S - 1)^2 + (R/N - 1)^2), with
N the different pages a participant visited, S all pages visited and R the
fewest pages the task needs (Smith, P. A. 1996, "Towards a practical measure of
hypertext usability", Interacting with Computers 8(4), 365-381). R is the
baseline: the study file's ``shortest_path`` when it gives one, else the path
the latest pre-flight took.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.security import generate_password_hash

from tests.test_clicks import _site_events
from tests.test_recorder import seed
from uxlab import clicks
from uxlab.audits import runs as run_store
from uxlab.audits.preflight import queue_preflight
from uxlab.models import AuditProjectRun, Researcher, Study, Task

SHOP = "http://shop.example.com"


def finish_preflight(session: Session, study: Study) -> AuditProjectRun:
    """A pre-flight that reached the cart in two pages, as a worker stores it."""
    run = queue_preflight(session, study, base_url=SHOP)
    assert run.id is not None
    engine = session.get_bind()
    claim = run_store.claim_run(engine, run.id, "test", 30)  # type: ignore[arg-type]
    assert isinstance(claim, run_store.Claim)
    task = {
        "name": "Find the cart",
        "index": 0,
        "viewport": "desktop",
        "success": True,
        "seconds": 1.25,
        "pages": [f"{SHOP}/index.html", f"{SHOP}/cart.html"],
        "steps": [{"index": 0}, {"index": 1}, {"index": 2}],
        "error": None,
        "failed_step": None,
    }
    assert run_store.finish_run(
        engine,  # type: ignore[arg-type]
        run.id,
        claim.attempt,
        passed=True,
        results={"summary": {"passed": True}, "tasks": [task], "findings": []},
        report_html="<html></html>",
        screenshots=[],
    )
    session.rollback()
    found = session.get(AuditProjectRun, run.id)
    assert found is not None
    session.refresh(found)
    assert found.finished_at is not None
    return found


def test_lostness_uses_the_preflight_path_only_when_the_study_has_none(
    client: FlaskClient, session: Session
) -> None:
    seeded = seed(session, participants=3, email="own@example.org")
    _site_events(session, seeded)
    study = seeded[0].study
    task = session.get(Task, seeded[0].attempts["cart"].task_id)
    assert task is not None
    run = finish_preflight(session, study)
    assert run.finished_at is not None
    when = f"{run.finished_at:%Y-%m-%d %H:%M} UTC"

    report = clicks.task_clicks(session, task)
    assert report.shortest_path == 2
    assert report.shortest_path_source == f"baseline from pre-flight of {when}"
    by_code = {a.participant_code: a for a in report.attempts}
    # N=3, S=3, R=2: sqrt(0 + (2/3 - 1)^2) = 1/3.
    first = by_code[seeded[0].participant.code]
    assert first.lostness == pytest.approx(1 / 3, abs=1e-4)
    # N=4, S=5, R=2: sqrt(0.2^2 + 0.5^2).
    second = by_code[seeded[1].participant.code]
    assert second.lostness == pytest.approx(0.53852, abs=1e-4)

    # The researcher sees where the baseline came from.
    owner = session.get(Researcher, study.researcher_id)
    assert owner is not None
    owner.password_hash = generate_password_hash("long-enough-password")
    session.add(owner)
    session.commit()
    client.post(
        "/login", data={"email": "own@example.org", "password": "long-enough-password"}
    )
    page = client.get(f"/studies/{study.slug}/clicks").get_data(as_text=True)
    assert f"shortest path of 2 pages (baseline from pre-flight of {when})" in page

    # The study's own shortest path wins over the pre-flight's.
    task.settings = {**task.settings, "shortest_path": 3}
    session.add(task)
    session.commit()
    report = clicks.task_clicks(session, task)
    assert (report.shortest_path, report.shortest_path_source) == (3, "study file")
    by_code = {a.participant_code: a for a in report.attempts}
    assert by_code[seeded[0].participant.code].lostness == 0.0
    page = client.get(f"/studies/{study.slug}/clicks").get_data(as_text=True)
    assert "shortest path of 3 pages (study file)" in page
