"""Project forms: bad input is refused with its reason, and nothing is saved."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.audits.conftest import ONE_PAGE
from uxlab.accounts import create_researcher
from uxlab.models import AuditProject, Workspace


def login(client: FlaskClient, session: Session) -> Workspace:
    create_researcher(session, email="a@example.com", password="password-a")
    client.post("/login", data={"email": "a@example.com", "password": "password-a"})
    return session.exec(select(Workspace)).one()


def form(**changes: str) -> dict[str, str]:
    return {
        "name": "Shop",
        "base_url": "http://127.0.0.1:9",
        "schedule": "",
        "timezone": "UTC",
        "fail_on": "serious",
        "retention_days": "90",
        "webhook_url": "",
        "script": ONE_PAGE,
        **changes,
    }


def test_a_bad_schedule_or_time_zone_is_refused_and_nothing_saved(
    client: FlaskClient, session: Session
) -> None:
    workspace = login(client, session)
    url = f"/workspaces/{workspace.slug}/audits/new"
    bad_cron = client.post(url, data=form(schedule="0 25 * * *"))
    assert bad_cron.status_code == 400
    assert "bad schedule &#39;0 25 * * *&#39;" in bad_cron.text
    bad_zone = client.post(url, data=form(schedule="0 3 * * *", timezone="Mars/Base"))
    assert bad_zone.status_code == 400
    assert "unknown time zone &#39;Mars/Base&#39;" in bad_zone.text
    bad_hook = client.post(url, data=form(webhook_url="slack.example"))
    assert "must start with http:// or https://" in bad_hook.text
    session.rollback()
    assert session.exec(select(AuditProject)).all() == []


def test_setting_a_schedule_later_fires_only_slots_from_then_on(
    client: FlaskClient, session: Session
) -> None:
    workspace = login(client, session)
    made = client.post(f"/workspaces/{workspace.slug}/audits/new", data=form())
    assert made.status_code == 303
    session.rollback()  # a fresh snapshot: the app has written since
    project = session.exec(select(AuditProject)).one()
    assert project.schedule is None and project.schedule_since is None
    settings = form(schedule="*/15 * * * *", timezone="Europe/Berlin")
    del settings["script"]
    saved = client.post(
        f"/workspaces/{workspace.slug}/audits/{project.id}/settings", data=settings
    )
    assert saved.status_code == 303
    session.rollback()
    session.refresh(project)
    assert (project.schedule, project.timezone) == ("*/15 * * * *", "Europe/Berlin")
    assert project.schedule_since is not None
    page = client.get(f"/workspaces/{workspace.slug}/audits/{project.id}").text
    assert "*/15 * * * *" in page and "Europe/Berlin" in page
