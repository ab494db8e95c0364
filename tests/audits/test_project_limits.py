"""A project's run limits and performance threshold: set in the browser and the
API, kept when other settings are saved, and used by the diff."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.audits.conftest import ONE_PAGE
from tests.audits.test_diff import add_run
from uxlab.accounts import create_researcher
from uxlab.audits.diff import diff_runs
from uxlab.audits.projects import (
    ProjectError,
    ProjectSettings,
    create_project,
    update_settings,
)
from uxlab.audits.tokens import create_personal_token
from uxlab.db import get_engine
from uxlab.models import AuditProject, Researcher, Workspace, WorkspaceRole
from uxlab.workspaces import add_member


class _SettingsForm(HTMLParser):
    """The fields of the page's settings form, as a browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = found.get("action", "").endswith("/settings")
        elif not self.inside:
            return
        elif tag == "input" and "name" in found:
            self.fields[found["name"]] = found.get("value", "")
        elif tag == "select":
            self.select = found["name"]
        elif tag == "option" and self.select and "selected" in found:
            self.fields[self.select] = found.get("value", "")
        elif tag == "textarea":
            self.textarea = found["name"]
            self.fields[self.textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def settings_form(page: str) -> dict[str, str]:
    parser = _SettingsForm()
    parser.feed(page)
    assert parser.fields, "the page has no settings form"
    return parser.fields


def login(client: FlaskClient, email: str, password: str) -> None:
    """Log in through the form, with its CSRF token where the app checks it."""
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text
    )
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token[1]
    assert client.post("/login", data=data).status_code == 302


def shop(session: Session, **settings: Any) -> tuple[Workspace, AuditProject]:
    create_researcher(session, email="a@example.com", password="password-a")
    workspace = session.exec(select(Workspace)).one()
    assert workspace.id is not None
    project = create_project(
        session,
        workspace.id,
        ProjectSettings(name="Shop", base_url="http://shop.test/", **settings),
        ONE_PAGE,
    ).project
    return workspace, project


def limits(session: Session, project: AuditProject) -> tuple[int, int, float]:
    session.rollback()  # a fresh snapshot: the app has written since
    session.refresh(project)
    return (
        project.concurrency,
        project.timeout_seconds,
        project.thresholds["perf_regression_pct"],
    )


def test_saving_the_settings_form_keeps_limits_set_elsewhere(
    csrf_app: Flask,
) -> None:
    with Session(get_engine(csrf_app), expire_on_commit=False) as session:
        workspace, project = shop(session, concurrency=3, timeout_seconds=1800)
        client = csrf_app.test_client()
        login(client, "a@example.com", "password-a")
        url = f"/workspaces/{workspace.slug}/audits/{project.id}"
        page = client.get(url).text
        fields = settings_form(page)
        assert "csrf_token" in fields
        # Only the name changes; everything else is posted back as shown.
        saved = client.post(f"{url}/settings", data={**fields, "name": "Shop 2"})
        assert saved.status_code == 303
        assert limits(session, project) == (3, 1800, 20)
        assert project.name == "Shop 2"
        # The page says what the limits are.
        page = client.get(url).text
        assert "3 at once" in page and "1800 s" in page and "+20%" in page


def test_the_settings_form_sets_the_limits_and_the_perf_threshold(
    client: FlaskClient, session: Session
) -> None:
    workspace, project = shop(session)
    login(client, "a@example.com", "password-a")
    url = f"/workspaces/{workspace.slug}/audits/{project.id}"
    fields = settings_form(client.get(url).text)
    assert (
        fields["concurrency"],
        fields["timeout_seconds"],
        fields["perf_regression_pct"],
    ) == ("1", "900", "20")
    fields.update(concurrency="4", timeout_seconds="120", perf_regression_pct="35")
    assert client.post(f"{url}/settings", data=fields).status_code == 303
    assert limits(session, project) == (4, 120, 35)
    # The fail-on setting next to the threshold is kept.
    assert project.thresholds["fail_on"] == "serious"
    shown = settings_form(client.get(url).text)
    assert (
        shown["concurrency"],
        shown["timeout_seconds"],
        shown["perf_regression_pct"],
    ) == ("4", "120", "35")


def test_a_new_project_takes_its_limits_from_the_form(
    client: FlaskClient, session: Session
) -> None:
    create_researcher(session, email="a@example.com", password="password-a")
    workspace = session.exec(select(Workspace)).one()
    login(client, "a@example.com", "password-a")
    made = client.post(
        f"/workspaces/{workspace.slug}/audits/new",
        data={
            "name": "Shop",
            "base_url": "http://shop.test/",
            "timezone": "UTC",
            "fail_on": "serious",
            "retention_days": "90",
            "concurrency": "2",
            "timeout_seconds": "600",
            "perf_regression_pct": "50",
            "script": ONE_PAGE,
        },
    )
    assert made.status_code == 303, made.text
    session.rollback()
    project = session.exec(select(AuditProject)).one()
    assert limits(session, project) == (2, 600, 50)


def test_bad_limits_are_refused_with_their_reason_and_nothing_changes(
    client: FlaskClient, session: Session
) -> None:
    workspace, project = shop(session, concurrency=2, timeout_seconds=600)
    login(client, "a@example.com", "password-a")
    url = f"/workspaces/{workspace.slug}/audits/{project.id}"
    good = settings_form(client.get(url).text)
    for field, value, reason in (
        ("concurrency", "0", "Runs at once: Number must be between 1 and 50."),
        ("concurrency", "many", "Runs at once: Not a valid integer value."),
        ("timeout_seconds", "0", "between 1 and 86400"),
        ("timeout_seconds", "", "Time limit per run (seconds): Not a valid integer"),
        ("perf_regression_pct", "0", "between 1 and 500"),
        ("perf_regression_pct", "501", "between 1 and 500"),
    ):
        bad = {**good, "name": "Renamed", field: value}
        answer = client.post(f"{url}/settings", data=bad, follow_redirects=True)
        assert "Nothing changed" in answer.text, (field, value)
        assert reason in answer.text, (field, value, answer.text)
        assert limits(session, project) == (2, 600, 20)
        assert project.name == "Shop"
    new = client.post(
        f"/workspaces/{workspace.slug}/audits/new",
        data={
            "name": "Other",
            "base_url": "http://shop.test/",
            "timezone": "UTC",
            "fail_on": "serious",
            "retention_days": "90",
            "concurrency": "51",
            "timeout_seconds": "900",
            "perf_regression_pct": "20",
            "script": ONE_PAGE,
        },
    )
    assert new.status_code == 400
    assert "Number must be between 1 and 50." in new.text
    session.rollback()
    assert len(session.exec(select(AuditProject)).all()) == 1


def test_the_store_refuses_limits_out_of_range(session: Session) -> None:
    _, project = shop(session)
    for change, reason in (
        ({"concurrency": 51}, "concurrency (51) must be between 1 and 50"),
        ({"timeout_seconds": 86401}, "time limit (86401) must be between 1 and 86400"),
        (
            {"perf_regression_pct": 0},
            "performance threshold (0) must be between 1 and 500",
        ),
    ):
        settings = ProjectSettings(name="Shop", base_url="http://shop.test/", **change)
        with pytest.raises(ProjectError, match=re.escape(reason)):
            update_settings(session, project, settings)
    assert limits(session, project) == (1, 900, 20)


def test_only_editors_and_owners_change_the_limits(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    workspace, project = shop(session, concurrency=2)
    create_researcher(session, email="v@example.com", password="password-v")
    add_member(session, workspace, "v@example.com", WorkspaceRole.viewer)
    login(client, "a@example.com", "password-a")
    url = f"/workspaces/{workspace.slug}/audits/{project.id}"
    fields = settings_form(client.get(url).text)
    viewer = app.test_client()
    login(viewer, "v@example.com", "password-v")
    assert "timeout_seconds" not in viewer.get(url).text  # no settings form
    refused = viewer.post(f"{url}/settings", data={**fields, "concurrency": "9"})
    assert refused.status_code == 403
    assert limits(session, project) == (2, 900, 20)


def test_a_changed_perf_threshold_changes_what_the_diff_flags(
    client: FlaskClient, session: Session
) -> None:
    workspace, project = shop(session)
    before = add_run(session, project, [], lcp=1000)
    after = add_run(session, project, [], lcp=1300)  # +30 %
    assert [
        p.figure for p in diff_runs(session, project, after, before).perf_worse
    ] == ["lcp_ms"]
    login(client, "a@example.com", "password-a")
    url = f"/workspaces/{workspace.slug}/audits/{project.id}"
    fields = settings_form(client.get(url).text)
    for pct, flagged in (("50", False), ("25", True), ("31", False)):
        saved = client.post(
            f"{url}/settings", data={**fields, "perf_regression_pct": pct}
        )
        assert saved.status_code == 303
        limits(session, project)
        diff = diff_runs(session, project, after, before)
        assert bool(diff.perf_worse) is flagged, pct
        assert diff.perf_regression_pct == int(pct)
        page = client.get(f"{url}/runs/{after.id}/diff").text
        assert f"above +{pct}%" in page


# --------------------------------------------------------------------- API


def api(
    client: FlaskClient, method: str, url: str, token: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    answer = client.open(
        url,
        method=method,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.status_code, answer.get_json()


def test_the_api_reads_and_changes_a_projects_settings(
    client: FlaskClient, session: Session
) -> None:
    workspace, project = shop(session, concurrency=3, timeout_seconds=1800)
    editor = session.exec(select(Researcher)).one()
    create_researcher(session, email="v@example.com", password="password-v")
    add_member(session, workspace, "v@example.com", WorkspaceRole.viewer)
    viewer = session.exec(
        select(Researcher).where(Researcher.email == "v@example.com")
    ).one()
    editor_token = create_personal_token(session, editor)
    viewer_token = create_personal_token(session, viewer)
    url = f"/api/v1/projects/{project.id}"

    status, found = api(client, "GET", url, viewer_token)
    assert status == 200
    assert found["concurrency"] == 3
    assert found["timeout_seconds"] == 1800
    assert found["perf_regression_pct"] == 20
    assert found["fail_on"] == "serious"

    status, refused = api(client, "PATCH", url, viewer_token, {"concurrency": 5})
    assert (status, refused["error"]) == (403, "forbidden")
    assert "needs the editor role; you are a viewer" in refused["message"]

    # A partial change keeps everything it does not name.
    status, changed = api(
        client, "PATCH", url, editor_token, {"perf_regression_pct": 40}
    )
    assert status == 200, changed
    assert (
        changed["concurrency"],
        changed["timeout_seconds"],
        changed["perf_regression_pct"],
    ) == (3, 1800, 40)
    status, changed = api(
        client, "PATCH", url, editor_token, {"concurrency": 2, "timeout_seconds": 300}
    )
    assert status == 200
    assert limits(session, project) == (2, 300, 40)

    for body, reason in (
        ({"concurrency": 0}, "concurrency (0) must be between 1 and 50"),
        ({"concurrency": "2"}, "concurrency must be a whole number"),
        ({"timeout_seconds": True}, "timeout_seconds must be a whole number"),
        ({"perf_regression_pct": 900}, "must be between 1 and 500"),
        ({"speed": 1}, "unknown setting: speed"),
        ({"name": "x" * 201}, "name is longer than 200 characters"),
        ({"timezone": None}, "timezone must be text"),
        ([1], "send the settings as a JSON object"),
    ):
        status, error = api(client, "PATCH", url, editor_token, body)
        assert (status, error["error"]) == (400, "invalid_project"), body
        assert reason in error["message"], (body, error)
    assert limits(session, project) == (2, 300, 40)


def test_the_openapi_document_describes_project_settings(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    path = document["paths"]["/api/v1/projects/{project_id}"]
    assert set(path) >= {"get", "patch"}
    settings = document["components"]["schemas"]["ProjectSettings"]["properties"]
    assert settings["concurrency"]["maximum"] == 50
    assert settings["timeout_seconds"]["maximum"] == 86400
    assert settings["perf_regression_pct"]["maximum"] == 500
