"""Audit project pages: projects, the script editor, Run now, runs and their reports.

Every route names its workspace, so :func:`uxlab.web.access.requires` checks
the researcher's role there: viewers read projects and runs, editors create
and change projects, start and cancel runs. The badge is the one route open
to anyone, found by the secret in its URL.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from uxlab.audit.findings import FAIL_ON_LEVELS
from uxlab.audits import projects as project_store
from uxlab.audits import runs as run_store
from uxlab.audits.badges import badge_svg
from uxlab.audits.diff import baseline_for, diff_runs
from uxlab.audits.history import HISTORY_CHARTS, history_chart, history_point
from uxlab.audits.queue import audit_queue
from uxlab.db import get_session
from uxlab.errors import AuditScriptError, UxlabError
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    AuditRunScreenshot,
    RunStatus,
    Workspace,
)
from uxlab.tokens import hash_token
from uxlab.web import csp
from uxlab.web.access import requires
from uxlab.web.auth import current_researcher_id
from uxlab.workspaces import Permission

__all__ = ["bp"]

bp = Blueprint("audits", __name__)

_STARTER = """\
name: Home page
viewports: [desktop, mobile]
tasks:
  - name: Open the home page
    steps:
      - goto: /
checks: [accessibility, performance, console, links, tap_targets, overflow]
thresholds:
  accessibility: {critical: 0, serious: 0}
"""


def _range(name: str, unit: str = "") -> str:
    low, high = project_store.LIMITS[name]
    return f"{low}–{high}{unit}"


#: The hints under the limit fields, with the ranges they take.
_LIMIT_HINTS = {
    "concurrency": "Runs of this project at the same time across all workers "
    f"({_range('concurrency')}), so that it cannot take every worker.",
    "timeout_seconds": "A run still going after this is stopped and ends as "
    f"“error” ({_range('timeout_seconds', ' s')}; 900 s is 15 minutes).",
    "perf_regression_pct": "The diff flags a performance figure (LCP, FCP, TTFB, "
    "CLS, load time) that grew by more than this against the run compared "
    f"({_range('perf_regression_pct', ' %')}).",
}


class ProjectForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", [DataRequired(), Length(max=200)])
    base_url = StringField(
        "Base URL", [DataRequired(), Length(max=2000)], default="https://"
    )
    schedule = StringField("Schedule (cron, optional)", [Length(max=120)])
    timezone = StringField("Time zone", [DataRequired(), Length(max=64)], default="UTC")
    fail_on = SelectField(
        "Fail on findings at least", choices=list(FAIL_ON_LEVELS), default="serious"
    )
    retention_days = IntegerField(
        "Keep screenshots for (days)", [NumberRange(min=1)], default=90
    )
    webhook_url = StringField(
        "Webhook URL for regressions (optional)", [Length(max=2000)]
    )
    concurrency = IntegerField(
        "Runs at once",
        [NumberRange(*project_store.LIMITS["concurrency"])],
        default=1,
    )
    timeout_seconds = IntegerField(
        "Time limit per run (seconds)",
        [NumberRange(*project_store.LIMITS["timeout_seconds"])],
        default=900,
    )
    perf_regression_pct = IntegerField(
        "Performance counts as worse above (+%)",
        [NumberRange(*project_store.LIMITS["perf_regression_pct"])],
        default=20,
    )
    script = TextAreaField("Audit script (YAML)", [DataRequired()], default=_STARTER)

    def settings(self) -> project_store.ProjectSettings:
        return project_store.ProjectSettings(
            name=self.name.data or "",
            base_url=(self.base_url.data or "").strip(),
            schedule=(self.schedule.data or "").strip() or None,
            timezone=(self.timezone.data or "UTC").strip(),
            fail_on=self.fail_on.data or "serious",
            retention_days=self.retention_days.data or 90,
            webhook_url=(self.webhook_url.data or "").strip() or None,
            concurrency=self.concurrency.data or 1,
            timeout_seconds=self.timeout_seconds.data or 900,
            perf_regression_pct=self.perf_regression_pct.data or 20,
        )


class SettingsForm(ProjectForm):
    """The project's settings without its script (edited on its own page)."""

    script = None


def _settings_data(project: AuditProject) -> dict[str, Any]:
    """The settings form's values for the project as it is now.

    The settings route starts from these too, so a field the post leaves out
    keeps its value instead of falling back to the form's default.
    """
    current = project_store.settings_of(project)
    return {name: getattr(current, name) for name in project_store.SETTING_NAMES} | {
        "schedule": current.schedule or "",
        "webhook_url": current.webhook_url or "",
    }


class ScriptForm(FlaskForm):  # type: ignore[misc]
    script = TextAreaField("Audit script (YAML)", [DataRequired()])


class RunForm(FlaskForm):  # type: ignore[misc]
    base_url = StringField("Base URL for this run", [Optional(), Length(max=2000)])


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button: only the CSRF token."""


def _workspace() -> Workspace:
    workspace: Workspace = g.workspace
    return workspace


def _project(project_id: int) -> AuditProject:
    workspace = _workspace()
    assert workspace.id is not None
    return project_store.get_project(get_session(), workspace.id, project_id)


def _to_project(project: AuditProject) -> WerkzeugResponse:
    return redirect(
        url_for("audits.project", workspace=_workspace().slug, project_id=project.id),
        303,
    )


def _script_errors(exc: AuditScriptError) -> list[str]:
    return [line for line in str(exc).splitlines() if line.strip()]


def run_json(run: AuditProjectRun) -> dict[str, Any]:
    """A run's status and progress, as the project page polls it."""
    return {
        "id": run.id,
        "status": run.status.value,
        "done": run.done,
        "total": run.total,
        "current_url": run.current_url,
        "started_by": run.started_by,
        "base_url": run.base_url,
        "script_version": run.script_version,
        "attempts": run.attempts,
        "queued_at": run.queued_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "seconds": run.seconds,
        "error": run.error,
        "summary": run.summary,
    }


# -------------------------------------------------------------------- pages


@bp.route("/workspaces/<workspace>/audits")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def index(workspace: str) -> str:
    """The workspace's audit projects."""
    found = _workspace()
    assert found.id is not None
    db = get_session()
    rows = []
    for project in project_store.list_projects(db, found.id):
        last = project_store.list_runs(db, project, limit=1)
        rows.append((project, last[0] if last else None))
    return render_template("audits/index.html", workspace=found, rows=rows, role=g.role)


@bp.route("/workspaces/<workspace>/audits/new", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def new(workspace: str) -> WerkzeugResponse | tuple[str, int]:
    """Create a project: settings and a script, validated before anything is saved."""
    found = _workspace()
    assert found.id is not None
    form = ProjectForm()
    errors: list[str] = []
    if request.method == "POST" and form.validate_on_submit():
        try:
            made = project_store.create_project(
                get_session(),
                found.id,
                form.settings(),
                (form.script.data or "").replace("\r\n", "\n"),
                researcher_id=current_researcher_id(),
            )
        except AuditScriptError as exc:
            errors = _script_errors(exc)
        except UxlabError as exc:
            errors = [str(exc)]
        else:
            badge = url_for("audits.badge", token=made.badge_token, _external=True)
            flash(
                f"Created “{made.project.name}”. Its status badge is at {badge} "
                "(anyone with this address can see it; it is not shown again).",
                "info",
            )
            return _to_project(made.project)
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "audits/new.html",
        workspace=found,
        form=form,
        errors=errors,
        limit_hints=_LIMIT_HINTS,
    )
    return page, status


@bp.route("/workspaces/<workspace>/audits/<int:project_id>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def project(workspace: str, project_id: int) -> str:
    """A project: Run now, the runs queued and running (live), and past runs."""
    from uxlab.cx.themes import origin_of

    found = _project(project_id)
    return render_template(
        "audits/project.html",
        workspace=_workspace(),
        project=found,
        cx_origin=origin_of(get_session(), audit_project_id=project_id),
        runs=project_store.list_runs(get_session(), found),
        charts=HISTORY_CHARTS,
        run_form=RunForm(formdata=None),
        settings_form=SettingsForm(formdata=None, data=_settings_data(found)),
        limit_hints=_LIMIT_HINTS,
        action_form=ActionForm(formdata=None),
        final=run_store.FINAL,
    )


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/settings", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def settings(workspace: str, project_id: int) -> WerkzeugResponse:
    """Change the project's settings: base URL, schedule, webhook, retention, limits.

    Nothing changes unless every value is valid.
    """
    found = _project(project_id)
    form = SettingsForm(data=_settings_data(found))
    if not form.validate_on_submit():
        problems = "; ".join(
            f"{form[name].label.text}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        flash(f"Nothing changed: {problems}.", "error")
        return _to_project(found)
    try:
        project_store.update_settings(get_session(), found, form.settings())
    except UxlabError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash("Saved the project's settings.", "info")
    return _to_project(found)


@bp.route(
    "/workspaces/<workspace>/audits/<int:project_id>/upload-token", methods=["POST"]
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def upload_token(workspace: str, project_id: int) -> WerkzeugResponse:
    """Make a new upload token for CI (the old one stops working); shown once."""
    found = _project(project_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    token = project_store.new_upload_token(get_session(), found)
    upload_url = url_for("audits_api.upload", project_id=found.id, _external=True)
    flash(
        f"New upload token (shown once): {token} — in CI, run "
        f"UXLAB_TOKEN=… uxlab audit SCRIPT --upload {upload_url}",
        "info",
    )
    return _to_project(found)


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/runs.json")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def runs_json(workspace: str, project_id: int) -> Response:
    """The project's runs, newest first, with live progress."""
    found = _project(project_id)
    runs = project_store.list_runs(get_session(), found)
    return jsonify(runs=[run_json(r) for r in runs])


def _render_script(
    project: AuditProject, form: ScriptForm, errors: list[str]
) -> tuple[str, int]:
    page = render_template(
        "audits/script.html",
        workspace=_workspace(),
        project=project,
        form=form,
        errors=errors,
    )
    return page, 400 if errors else 200


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/script")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def script(workspace: str, project_id: int) -> tuple[str, int]:
    """The script editor (read-only for viewers)."""
    found = _project(project_id)
    return _render_script(found, ScriptForm(data={"script": found.script_yaml}), [])


@bp.route(
    "/workspaces/<workspace>/audits/<int:project_id>/script/save", methods=["POST"]
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def save_script(workspace: str, project_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Save the script; an invalid one shows its line-level errors, unsaved."""
    found = _project(project_id)
    form = ScriptForm()
    if not form.validate_on_submit():
        return _render_script(found, form, ["script line 1: the script is empty"])
    text = (form.script.data or "").replace("\r\n", "\n")
    try:
        changed = project_store.save_script(get_session(), found, text)
    except AuditScriptError as exc:
        return _render_script(found, form, _script_errors(exc))
    flash(
        f"Saved version {found.script_version} of the script."
        if changed
        else "The script is unchanged.",
        "info",
    )
    return _to_project(found)


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/script.yaml")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def download_script(workspace: str, project_id: int) -> Response:
    """The script as a file, to run with `uxlab audit`."""
    found = _project(project_id)
    response = Response(found.script_yaml, mimetype="application/yaml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-{found.id}-v{found.script_version}.yaml"'
    )
    return response


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/run", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def run_now(workspace: str, project_id: int) -> WerkzeugResponse:
    """Queue a run of the current script, at the project's or another base URL."""
    found = _project(project_id)
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    base_url = (form.base_url.data or "").strip() or None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        flash(f"No run started: {base_url!r} must start with http:// or https://.")
        return _to_project(found)
    db = get_session()
    run = run_store.queue_run(
        db,
        found,
        started_by="person",
        researcher_id=current_researcher_id(),
        base_url=base_url,
    )
    assert run.id is not None
    audit_queue(current_app).enqueue(run.id)
    flash(f"Run {run.id} is queued.", "info")
    return _to_project(found)


@bp.route(
    "/workspaces/<workspace>/audits/<int:project_id>/runs/<int:run_id>/cancel",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def cancel(workspace: str, project_id: int, run_id: int) -> WerkzeugResponse:
    """Cancel a queued or running run."""
    found = _project(project_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    run = project_store.get_run(db, found, run_id)
    if run_store.cancel_run(db, run):
        flash(f"Run {run_id} is cancelled.", "info")
    else:
        flash(f"Run {run_id} had already ended.", "info")
    return _to_project(found)


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/runs/<int:run_id>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def run(workspace: str, project_id: int, run_id: int) -> str:
    """A run: its status and, once finished, its report."""
    found = _project(project_id)
    return render_template(
        "audits/run.html",
        workspace=_workspace(),
        project=found,
        run=project_store.get_run(get_session(), found, run_id),
        action_form=ActionForm(formdata=None),
        final=run_store.FINAL,
    )


@bp.route(
    "/workspaces/<workspace>/audits/<int:project_id>/runs/<int:run_id>/report.html"
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def report(workspace: str, project_id: int, run_id: int) -> Response:
    """The run's report.html, as `uxlab audit` writes it."""
    found = _project(project_id)
    run = project_store.get_run(get_session(), found, run_id)
    if run.report_html is None:
        abort(404, description="This run has no report (it did not finish).")
    nonce = csp.csp_nonce()
    response = Response(
        csp.with_nonces(run.report_html.encode("utf-8"), nonce), mimetype="text/html"
    )
    response.headers["Content-Security-Policy"] = csp.report_policy(nonce)
    return response


@bp.route(
    "/workspaces/<workspace>/audits/<int:project_id>/runs/<int:run_id>"
    "/screenshots/<filename>"
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def screenshot(workspace: str, project_id: int, run_id: int, filename: str) -> Response:
    """A screenshot of the run (gone once the retention period has passed)."""
    found = _project(project_id)
    run = project_store.get_run(get_session(), found, run_id)
    shot = (
        get_session()
        .exec(
            select(AuditRunScreenshot).where(
                AuditRunScreenshot.run_id == run.id,
                AuditRunScreenshot.filename == filename,
            )
        )
        .first()
    )
    if shot is None:
        abort(
            404,
            description="No such screenshot: screenshots are kept for "
            f"{found.retention_days} days.",
        )
    response = Response(shot.data, mimetype=shot.mime)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/history/<name>.svg")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def history(workspace: str, project_id: int, name: str) -> Response:
    """A chart of the project's last 50 finished runs (findings, tasks, performance)."""
    found = _project(project_id)
    if name not in HISTORY_CHARTS:
        abort(404)
    runs = [
        r
        for r in reversed(project_store.list_runs(get_session(), found, limit=200))
        if r.status in (RunStatus.passed, RunStatus.failed)
    ][-50:]
    points = [history_point(r.id or 0, r.results) for r in runs]
    return Response(history_chart(points, name), mimetype="image/svg+xml")


@bp.route("/workspaces/<workspace>/audits/<int:project_id>/runs/<int:run_id>/diff")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def diff(workspace: str, project_id: int, run_id: int) -> str:
    """What changed against the run before, or against ?against=RUN."""
    found = _project(project_id)
    db = get_session()
    run = project_store.get_run(db, found, run_id)
    against = request.args.get("against", type=int)
    baseline = (
        project_store.get_run(db, found, against)
        if against is not None
        else baseline_for(db, run)
    )
    finished = [
        r
        for r in project_store.list_runs(db, found, limit=200)
        if r.status in (RunStatus.passed, RunStatus.failed) and r.id != run.id
    ]
    return render_template(
        "audits/diff.html",
        workspace=_workspace(),
        project=found,
        run=run,
        baseline=baseline,
        diff=diff_runs(db, found, run, baseline),
        choices=finished,
    )


@bp.route("/badges/<token>.svg")
def badge(token: str) -> Response:
    """The project's status as an SVG badge, for anyone holding the address."""
    db = get_session()
    found = db.exec(
        select(AuditProject).where(AuditProject.badge_token_hash == hash_token(token))
    ).first()
    if found is None:
        abort(404)
    last = db.exec(
        select(AuditProjectRun)
        .where(
            AuditProjectRun.project_id == found.id,
            AuditProjectRun.status.in_(  # type: ignore[attr-defined]
                [RunStatus.passed, RunStatus.failed, RunStatus.error]
            ),
        )
        .order_by(AuditProjectRun.id.desc())  # type: ignore[union-attr]
    ).first()
    status = last.status.value if last is not None else "no runs"
    response = Response(badge_svg("uxlab audit", status), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-cache"
    return response
