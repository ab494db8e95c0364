"""The audit JSON API over real HTTP, and `uxlab audit --upload` from a CI job."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.audits.conftest import ONE_PAGE, make_project
from uxlab.accounts import create_researcher
from uxlab.audits.projects import new_upload_token
from uxlab.audits.tokens import create_personal_token
from uxlab.models import (
    AuditProjectRun,
    AuditRunFinding,
    AuditRunScreenshot,
    Researcher,
    RunStatus,
    Workspace,
    WorkspaceRole,
)
from uxlab.workspaces import add_member


def call(
    url: str, token: str | None = None, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_openapi_document_describes_the_audit_endpoints(queue_server: str) -> None:
    status, document = call(f"{queue_server}/api/v1/openapi.json")
    assert status == 200
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) >= {
        "/api/v1/projects",
        "/api/v1/projects/{project_id}/runs",
        "/api/v1/projects/{project_id}/runs/{run_id}",
        "/api/v1/projects/{project_id}/uploads",
    }
    assert document["paths"]["/api/v1/projects/{project_id}/runs"]["post"]["responses"][
        "403"
    ]


def test_tokens_are_held_to_their_role_and_kind(
    queue_server: str, db: Session, workspace: Workspace
) -> None:
    made = make_project(db, workspace, ONE_PAGE, "http://127.0.0.1:9")
    project = made.project
    owner = create_researcher(db, email="a2@example.com", password="password-b")
    viewer = create_researcher(db, email="v@example.com", password="password-v")
    add_member(db, workspace, "v@example.com", WorkspaceRole.viewer)
    assert owner.id is not None
    editor = db.exec(select(Researcher).where(Researcher.email == "a@example.com"))
    editor_token = create_personal_token(db, editor.one())
    viewer_token = create_personal_token(db, viewer)
    outsider_token = create_personal_token(db, owner)
    upload_token = new_upload_token(db, project)
    runs = f"{queue_server}/api/v1/projects/{project.id}/runs"

    assert call(runs)[0] == 401
    assert call(runs, "not-a-token") == (
        401,
        {
            "error": "unauthorized",
            "message": "the token is not known (wrong, or replaced)",
        },
    )
    # Another workspace's researcher cannot see the project at all.
    assert call(runs, outsider_token)[0] == 404
    assert call(runs, viewer_token) == (200, {"runs": []})
    status, refused = call(runs, viewer_token, {})
    assert (status, refused["error"]) == (403, "forbidden")
    assert "needs the editor role; you are a viewer" in refused["message"]
    # The upload token uploads, and does nothing else.
    assert call(runs, upload_token)[0] == 403
    assert call(f"{queue_server}/api/v1/projects", upload_token)[0] == 403

    status, queued = call(runs, editor_token, {"base_url": "http://127.0.0.1:10"})
    assert status == 202
    assert (queued["status"], queued["base_url"]) == ("queued", "http://127.0.0.1:10")
    status, found = call(f"{runs}/{queued['id']}", viewer_token)
    assert status == 200
    assert found["status"] == "queued" and found["diff"] is None
    status, listed = call(f"{queue_server}/api/v1/projects", editor_token)
    assert listed["projects"] == [
        {
            "id": project.id,
            "workspace": workspace.slug,
            "name": "Shop",
            "base_url": "http://127.0.0.1:9",
            "schedule": None,
            "timezone": "UTC",
            "script_version": 1,
        }
    ]
    assert call(runs, editor_token, {"base_url": "ftp://x"})[0] == 400
    nothing = db.exec(select(AuditProjectRun)).all()
    assert len(nothing) == 1


def test_upload_refuses_a_viewer_and_other_projects_tokens_and_stores_nothing(
    queue_server: str, db: Session, workspace: Workspace
) -> None:
    project = make_project(db, workspace, ONE_PAGE, "http://127.0.0.1:9").project
    other = make_project(
        db, workspace, ONE_PAGE, "http://127.0.0.1:9", name="Blog"
    ).project
    viewer = create_researcher(db, email="v@example.com", password="password-v")
    add_member(db, workspace, "v@example.com", WorkspaceRole.viewer)
    outsider = create_researcher(db, email="o@example.com", password="password-o")
    editor = db.exec(select(Researcher).where(Researcher.email == "a@example.com"))
    editor_token = create_personal_token(db, editor.one())
    viewer_token = create_personal_token(db, viewer)
    outsider_token = create_personal_token(db, outsider)
    other_upload_token = new_upload_token(db, other)
    upload_token = new_upload_token(db, project)
    upload = f"{queue_server}/api/v1/projects/{project.id}/uploads"

    def body(run_id: str) -> dict[str, Any]:
        """A valid upload: what `uxlab audit --upload` sends, made small."""
        return {
            "run_id": run_id,
            "report": {
                "summary": {"passed": False, "issues": {"serious": 1}},
                "tasks": [],
                "pages": [],
                "findings": [
                    {
                        "rule": "label",
                        "severity": "serious",
                        "url": "http://127.0.0.1:9/",
                        "viewport": "desktop",
                        "selector": "#q",
                        "message": "Form elements must have labels",
                    }
                ],
            },
            "report_html": "<p>Home page</p>",
            "screenshots": [
                {
                    "filename": "home.jpg",
                    "mime": "image/jpeg",
                    "data": base64.b64encode(b"not really a jpeg").decode(),
                }
            ],
        }

    # A viewer's personal token: 403, as JSON {"error", "message"}.
    assert call(upload, viewer_token, body("pipeline-1")) == (
        403,
        {
            "error": "forbidden",
            "message": "starting and uploading runs needs the editor role; "
            "you are a viewer",
        },
    )
    # Another project's upload token, to this project: 403.
    assert call(upload, other_upload_token, body("pipeline-2")) == (
        403,
        {
            "error": "forbidden",
            "message": "this upload token only uploads to its own project",
        },
    )
    # A researcher of another workspace does not see the project at all.
    status, hidden = call(upload, outsider_token, body("pipeline-3"))
    assert (status, hidden["error"]) == (404, "not_found")
    db.rollback()
    assert db.exec(select(AuditProjectRun)).all() == []
    assert db.exec(select(AuditRunFinding)).all() == []
    assert db.exec(select(AuditRunScreenshot)).all() == []

    # The same upload with the project's own upload token is stored: the
    # refusals above were the tokens', not the body's. An editor's personal
    # token uploads too (the API lets editors start and upload runs).
    status, stored = call(upload, upload_token, body("pipeline-1"))
    assert (status, stored["status"]) == (201, "failed")
    assert call(upload, editor_token, body("pipeline-4"))[0] == 201
    db.rollback()
    runs = db.exec(select(AuditProjectRun)).all()
    assert sorted((r.project_id, r.client_run_id) for r in runs) == [
        (project.id, "pipeline-1"),
        (project.id, "pipeline-4"),
    ]


@pytest.mark.browser
def test_upload_from_ci_is_one_run_however_often_sent_and_keeps_the_exit_code(
    queue_server: str,
    db: Session,
    workspace: Workspace,
    site_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    project = make_project(db, workspace, ONE_PAGE, site_url("faulty")).project
    token = new_upload_token(db, project)
    script = tmp_path / "audit.yaml"
    script.write_text(ONE_PAGE)
    upload = f"{queue_server}/api/v1/projects/{project.id}/uploads"

    def audit(
        *extra: str, token: str | None = token
    ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, UXLAB_RUN_ID="pipeline-7")
        env.pop("UXLAB_TOKEN", None)
        if token is not None:
            env["UXLAB_TOKEN"] = token
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "uxlab",
                "audit",
                str(script),
                "--base-url",
                site_url("faulty"),
                "--fail-on",
                "serious",
                "--report",
                str(tmp_path / "report"),
                *extra,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    bare = audit()
    # The faulty site has serious findings: --fail-on serious fails the run.
    assert bare.returncode == 1, bare.stderr
    first = audit("--upload", upload)
    assert first.returncode == bare.returncode, first.stderr
    assert "Uploaded as run 1 (" in first.stdout
    again = audit("--upload", upload)
    assert again.returncode == bare.returncode
    assert "Uploaded as run 1 (" in again.stdout
    db.rollback()
    [run] = db.exec(select(AuditProjectRun)).all()
    assert (run.started_by, run.client_run_id, run.status) == (
        "ci",
        "pipeline-7",
        RunStatus.failed,
    )
    stored = db.exec(select(AuditRunFinding)).all()
    assert len(stored) == len(run.results["findings"]) > 0
    assert run.report_html is not None and "Home page" in run.report_html

    wrong = audit("--upload", upload, token="wrong-token")
    assert wrong.returncode == bare.returncode
    assert wrong.stderr.strip().splitlines()[-1] == (
        "Upload failed: HTTP 401: the token is not known (wrong, or replaced)"
    )
    assert len(db.exec(select(AuditProjectRun)).all()) == 1
