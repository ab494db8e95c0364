"""The audit projects' JSON API under ``/api/v1/``, authenticated by bearer token.

A personal token acts with its researcher's role in the project's workspace
(viewers read, editors also start runs and upload); a project's upload token
can only upload runs to that project. Errors are ``{"error", "message"}``:
401 without a known token, 403 for a token that may not do this, 404 for a
project or run the token cannot see.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlmodel import col, select

from uxlab.audits import projects as project_store
from uxlab.audits import runs as run_store
from uxlab.audits.diff import baseline_for, diff_runs
from uxlab.audits.queue import audit_queue
from uxlab.audits.tokens import Caller, caller_for
from uxlab.db import get_session
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    Membership,
    RunStatus,
    Workspace,
)
from uxlab.workspaces import Permission, allows, role_in

__all__ = ["bp"]

bp = Blueprint("audits_api", __name__, url_prefix="/api/v1")

#: Largest upload accepted, in bytes (report, report.html and screenshots).
MAX_UPLOAD_BYTES = 32 * 1024 * 1024


class UnauthorizedError(UxlabError):
    code = "unauthorized"
    status = 401


class ForbiddenError(UxlabError):
    code = "forbidden"
    status = 403


class BadUploadError(UxlabError):
    code = "invalid_upload"


def _caller() -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError(
            "send a token: Authorization: Bearer <personal or project token>"
        )
    caller = caller_for(get_session(), token.strip())
    if caller is None:
        raise UnauthorizedError("the token is not known (wrong, or replaced)")
    return caller


def _project(
    caller: Caller,
    project_id: int,
    permission: Permission,
    *,
    doing: str = "starting and uploading runs",
) -> AuditProject:
    """The project, if the caller may do ``permission`` there (upload: edit).

    ``doing`` names what an edit is, for the answer to a viewer.
    """
    db = get_session()
    project = db.get(AuditProject, project_id)
    if caller.upload_project_id is not None:
        if project is None or project.id != caller.upload_project_id:
            raise ForbiddenError("this upload token only uploads to its own project")
        if request.endpoint != "audits_api.upload":
            raise ForbiddenError("an upload token can only upload runs")
        return project
    assert caller.researcher_id is not None
    role = (
        role_in(db, project.workspace_id, caller.researcher_id)
        if project is not None
        else None
    )
    if project is None or role is None:
        raise NotFoundError(f"no audit project {project_id}")
    if not allows(role, permission):
        if permission != Permission.edit:
            doing = "this"
        raise ForbiddenError(f"{doing} needs the editor role; you are a {role.value}")
    return project


def _researcher(caller: Caller) -> int:
    if caller.researcher_id is None:
        raise ForbiddenError("an upload token can only upload runs")
    return caller.researcher_id


def _run_url(project: AuditProject, run: AuditProjectRun) -> str:
    workspace = get_session().get(Workspace, project.workspace_id)
    return url_for(
        "audits.run",
        workspace=workspace.slug if workspace else "",
        project_id=project.id,
        run_id=run.id,
        _external=True,
    )


def _run(project: AuditProject, run: AuditProjectRun, *, diff: bool = False) -> Any:
    from uxlab.web.audits import run_json

    found = run_json(run)
    found["regression"] = run.regression
    found["url"] = _run_url(project, run)
    if diff:
        db = get_session()
        found["diff"] = (
            diff_runs(db, project, run, baseline_for(db, run)).to_dict()
            if run.status in (RunStatus.passed, RunStatus.failed)
            else None
        )
    return found


@bp.route("/projects")
def projects() -> Response:
    """The projects of every workspace the token's researcher is in."""
    db = get_session()
    researcher = _researcher(_caller())
    rows = db.exec(
        select(AuditProject, Workspace)
        .join(Workspace, col(Workspace.id) == col(AuditProject.workspace_id))
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(Membership.researcher_id == researcher)
        .order_by(col(Workspace.slug), col(AuditProject.name))
    ).all()
    found = [
        {
            "id": project.id,
            "workspace": workspace.slug,
            "name": project.name,
            "base_url": project.base_url,
            "schedule": project.schedule,
            "timezone": project.timezone,
            "script_version": project.script_version,
        }
        for project, workspace in rows
    ]
    return jsonify(projects=found)


#: Settings that are whole numbers, and those that are text (None: unset).
_NUMBERS = frozenset({"retention_days", *project_store.LIMITS})
_OPTIONAL = frozenset({"schedule", "webhook_url"})


def _project_json(project: AuditProject) -> dict[str, Any]:
    """The project with all its settings, as GET and PATCH answer."""
    workspace = get_session().get(Workspace, project.workspace_id)
    return {
        "id": project.id,
        "workspace": workspace.slug if workspace else None,
        "script_version": project.script_version,
        **dataclasses.asdict(project_store.settings_of(project)),
    }


def _changes(body: Any) -> dict[str, Any]:
    """The settings a PATCH body changes, each of the right type."""
    if not isinstance(body, dict):
        raise project_store.ProjectError("send the settings as a JSON object")
    unknown = sorted(set(body) - set(project_store.SETTING_NAMES))
    if unknown:
        raise project_store.ProjectError(
            f"unknown setting: {', '.join(unknown)} (settings are "
            f"{', '.join(project_store.SETTING_NAMES)})"
        )
    for name, value in body.items():
        if name in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise project_store.ProjectError(f"{name} must be a whole number")
        elif not isinstance(value, str) and not (value is None and name in _OPTIONAL):
            raise project_store.ProjectError(
                f"{name} must be text" + (" or null" if name in _OPTIONAL else "")
            )
    return body


@bp.route("/projects/<int:project_id>")
def show_project(project_id: int) -> Response:
    """A project and its settings: base URL, schedule, thresholds and run limits."""
    found = _project(_caller(), project_id, Permission.view)
    return jsonify(_project_json(found))


@bp.route("/projects/<int:project_id>", methods=["PATCH"])
def change_project(project_id: int) -> Response:
    """Change some of a project's settings (editors and owners); the rest stay."""
    found = _project(
        _caller(), project_id, Permission.edit, doing="changing a project's settings"
    )
    changes = _changes(request.get_json(silent=True))
    settings = dataclasses.replace(project_store.settings_of(found), **changes)
    project_store.update_settings(get_session(), found, settings)
    return jsonify(_project_json(found))


@bp.route("/projects/<int:project_id>/runs")
def runs(project_id: int) -> Response:
    """The project's runs, newest first (?limit=, at most 200)."""
    project = _project(_caller(), project_id, Permission.view)
    limit = min(max(request.args.get("limit", 50, type=int) or 50, 1), 200)
    found = project_store.list_runs(get_session(), project, limit=limit)
    return jsonify(runs=[_run(project, r) for r in found])


@bp.route("/projects/<int:project_id>/runs", methods=["POST"])
def start(project_id: int) -> tuple[Response, int]:
    """Queue a run, at the project's base URL or the body's ``base_url``."""
    caller = _caller()
    project = _project(caller, project_id, Permission.edit)
    body = request.get_json(silent=True) or {}
    base_url = body.get("base_url") if isinstance(body, dict) else None
    if base_url is not None and (
        not isinstance(base_url, str)
        or not base_url.startswith(("http://", "https://"))
    ):
        raise BadUploadError("base_url must be a URL starting with http:// or https://")
    run = run_store.queue_run(
        get_session(),
        project,
        started_by="person",
        researcher_id=caller.researcher_id,
        base_url=base_url,
    )
    assert run.id is not None
    audit_queue(current_app).enqueue(run.id)
    return jsonify(_run(project, run)), 202


@bp.route("/projects/<int:project_id>/runs/<int:run_id>")
def run(project_id: int, run_id: int) -> Response:
    """A run's status, progress, summary and diff against the run before it."""
    project = _project(_caller(), project_id, Permission.view)
    found = project_store.get_run(get_session(), project, run_id)
    return jsonify(_run(project, found, diff=True))


def _upload_body() -> tuple[str, dict[str, Any], str, list[tuple[str, str, bytes]]]:
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        raise BadUploadError(f"the upload is larger than {MAX_UPLOAD_BYTES} bytes")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadUploadError("send the upload as a JSON object")
    run_id = body.get("run_id")
    if not isinstance(run_id, str) or not 0 < len(run_id) <= 100:
        raise BadUploadError("run_id must be a string of 1 to 100 characters")
    report = body.get("report")
    if (
        not isinstance(report, dict)
        or not isinstance(report.get("summary"), dict)
        or not isinstance(report.get("findings"), list)
    ):
        raise BadUploadError("report must be report.json, with summary and findings")
    for finding in report["findings"]:
        if not isinstance(finding, dict) or not all(
            isinstance(finding.get(k), str)
            for k in ("rule", "severity", "url", "viewport")
        ):
            raise BadUploadError("each finding needs rule, severity, url and viewport")
    html = body.get("report_html") or ""
    if not isinstance(html, str):
        raise BadUploadError("report_html must be text")
    shots: list[tuple[str, str, bytes]] = []
    for shot in body.get("screenshots") or []:
        try:
            shots.append(
                (
                    str(shot["filename"])[:200],
                    str(shot.get("mime", "image/jpeg"))[:40],
                    base64.b64decode(shot["data"], validate=True),
                )
            )
        except (KeyError, TypeError, binascii.Error):
            raise BadUploadError(
                "each screenshot needs filename, mime and base64 data"
            ) from None
    return run_id, report, html, shots


@bp.route("/projects/<int:project_id>/uploads", methods=["POST"])
def upload(project_id: int) -> tuple[Response, int]:
    """Store a run made by `uxlab audit --upload`; the same run_id again is one run."""
    project = _project(_caller(), project_id, Permission.edit)
    run_id, report, html, shots = _upload_body()
    stored, made = run_store.store_upload(
        get_session(),
        project,
        client_run_id=run_id,
        results=report,
        report_html=html,
        screenshots=shots,
    )
    if made and stored.id is not None:
        audit_queue(current_app).after_run(stored.id)
    return jsonify(_run(project, stored)), 201 if made else 200
