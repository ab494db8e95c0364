"""Researcher pages (behind login): studies, links, progress, exports.

Every route states the permission it needs with
:func:`uxlab.web.access.requires`, which finds the study and checks the
researcher's role in its workspace before the view runs: a study of a workspace
they are not in is "not found" (404), a role without the right is a 403.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from uxlab.db import get_session
from uxlab.errors import NotFoundError, StudyFileError, StudyStateError, UxlabError
from uxlab.management import (
    MAX_STUDY_TEXT,
    StudyEdit,
    TaskEdit,
    available_templates,
    change_status,
    create_study_from_template,
    create_study_from_text,
    delete_study,
    edit_study,
    invite_rows,
    invites_csv,
    make_invites,
    new_open_link,
    revoke_study_invite,
    study_overview,
    study_progress,
    study_tasks,
)
from uxlab.models import Study, StudyStatus, Workspace
from uxlab.studies import list_studies
from uxlab.text import render_markdown
from uxlab.web.access import can, current_study, current_workspace, requires
from uxlab.web.auth import current_researcher_id
from uxlab.web.links import public_url
from uxlab.workspaces import Permission, record_export

__all__ = ["bp", "participant_link"]

bp = Blueprint("researcher", __name__)

View = Callable[..., Any]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: str | None) -> str | None:
    return value or None


# -------------------------------------------------------------------- forms


class TaskForm(Form):  # type: ignore[misc]
    task_id = HiddenField()
    title = StringField("Title", [DataRequired(), Length(max=200)], filters=[_strip])
    prompt = TextAreaField("Prompt (Markdown)", [Length(max=MAX_STUDY_TEXT)])
    start_url = StringField(
        "Start URL",
        [
            Optional(),
            Regexp(
                r"^(https?://|/)", message="Must start with http://, https:// or /."
            ),
            Length(max=2000),
        ],
        filters=[_strip, _blank_to_none],
    )
    time_limit_s = IntegerField(
        "Time limit in seconds",
        [Optional(), NumberRange(min=1, max=24 * 3600, message="1 to 86400 seconds.")],
    )


class EditStudyForm(FlaskForm):  # type: ignore[misc]
    title = StringField("Title", [DataRequired(), Length(max=200)], filters=[_strip])
    description = TextAreaField("Description (Markdown)", [Length(max=MAX_STUDY_TEXT)])
    consent = TextAreaField(
        "Consent text (Markdown)", [DataRequired(), Length(max=MAX_STUDY_TEXT)]
    )
    tasks = FieldList(FormField(TaskForm))


class InviteForm(FlaskForm):  # type: ignore[misc]
    count = IntegerField(
        "How many links",
        [DataRequired(), NumberRange(min=1, max=1000, message="1 to 1000 links.")],
        default=10,
    )
    label = StringField("Label (optional)", [Length(max=200)], filters=[_strip])


# ------------------------------------------------------------------ helpers


def _external(path: str) -> str:
    """``path`` on uxlab's public address (:mod:`uxlab.web.links`)."""
    return public_url(path)


def participant_link(token: str) -> str:
    """The absolute participant URL carrying ``token``."""
    if "participant.enter" in current_app.view_functions:
        return _external(url_for("participant.enter", token=token))
    return _external(f"/s/{token}")


def recorder_src() -> str:
    """The absolute URL of the recorder script, for the snippet sites add."""
    return _external(url_for("static", filename="recorder.js"))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"markdown": render_markdown, "participant_link": participant_link}


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _study(slug: str) -> Study:
    """The route's study, found and checked by :func:`requires`."""
    return current_study()


def _to_study(study: Study) -> WerkzeugResponse:
    return redirect(url_for("researcher.study", slug=study.slug), code=303)


def _json_route(view: View) -> View:
    """Log-in and not-found answered as JSON (these routes are read by scripts)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return jsonify(error="login_required", message="Log in first."), 401
        try:
            return view(*args, **kwargs)
        except NotFoundError as exc:
            return jsonify(error=exc.code, message=str(exc)), 404

    return wrapped


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# -------------------------------------------------------------------- pages


@bp.route("/")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def index() -> str:
    """List the current workspace's studies."""
    workspace, _ = current_workspace()
    rows = list_studies(get_session(), workspace_id=workspace.id)
    return render_template("researcher/index.html", studies=rows, workspace=workspace)


@bp.route("/studies/new", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def new_study() -> str | WerkzeugResponse | tuple[str, int]:
    """Create a study from a shipped template, an uploaded file or pasted YAML."""
    folder = Path(current_app.config["STUDY_TEMPLATES_DIR"])
    templates = available_templates(folder)
    if request.method == "GET":
        return render_template("researcher/new.html", templates=templates, problems=[])

    session = get_session()
    owner_id = current_researcher_id()
    workspace_id = current_workspace()[0].id
    how = request.form.get("source", "")
    pasted = request.form.get("study_text", "")
    error: str | None = None
    problems: list[str] = []
    study: Study | None = None
    try:
        if how == "template":
            name = request.form.get("template", "")
            if not name:
                error = "Choose a template."
            else:
                study = create_study_from_template(
                    session, folder, name, owner_id=owner_id, workspace_id=workspace_id
                )
        elif how == "file":
            upload = request.files.get("study_file")
            if upload is None or not upload.filename:
                error = "Choose a study file to upload."
            else:
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    error = f"{upload.filename} is not UTF-8 text."
                else:
                    study = create_study_from_text(
                        session,
                        text,
                        owner_id=owner_id,
                        workspace_id=workspace_id,
                        source=upload.filename,
                    )
        elif how == "text":
            if not pasted.strip():
                error = "Paste the study file's text first."
            else:
                study = create_study_from_text(
                    session,
                    pasted,
                    owner_id=owner_id,
                    workspace_id=workspace_id,
                    source="the pasted text",
                )
        else:
            error = "Choose a template, upload a file or paste a study."
    except StudyFileError as exc:
        error = f"{exc.source} is not a valid study file. Fix these and try again:"
        problems = exc.problems
    except NotFoundError as exc:
        error = str(exc)

    if study is not None:
        flash(f"Created the draft study “{study.title}”.", "info")
        return _to_study(study)
    flash(error or "That did not work.", "error")
    page = render_template(
        "researcher/new.html",
        templates=templates,
        problems=problems,
        pasted=pasted,
        how=how,
    )
    return page, 400


def cx_origin(db: Any, study_id: int) -> str | None:
    """Where a study started from, when a theme of customer answers started it."""
    from uxlab.cx.themes import origin_of

    return origin_of(db, study_id)


def render_study(
    study: Study,
    invite_form: InviteForm | None = None,
    status: int = 200,
    *,
    preflight_form: Any = None,
    preflight_errors: list[str] | None = None,
) -> tuple[str, int]:
    """The study page, with a form's errors when one was refused."""
    from uxlab.audits.preflight import (
        latest_preflight,
        preflight_project,
        preflight_runs,
    )
    from uxlab.web.preflight import PreflightForm

    db = get_session()
    overview = study_overview(db, study, _secret(), links=can(Permission.edit))
    workspace = db.get(Workspace, study.workspace_id)
    if preflight_form is None:
        project = preflight_project(db, study)
        preflight_form = PreflightForm(
            formdata=None, script=project.script_yaml if project else ""
        )
    page = render_template(
        "researcher/study.html",
        o=overview,
        study=study,
        invite_form=invite_form or InviteForm(formdata=None),
        recorder_src=recorder_src(),
        preflight=latest_preflight(db, study),
        preflight_history=preflight_runs(db, study)[1:],
        preflight_form=preflight_form,
        preflight_errors=preflight_errors or [],
        workspace_slug=workspace.slug if workspace is not None else "",
        cx_origin=cx_origin(db, study.id or 0),
        # Also when another blueprint's view (pre-flight) renders the page.
        **_helpers(),
    )
    return page, status


@bp.route("/studies/<slug>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def study(slug: str) -> tuple[str, int]:
    """Show a study: status, links, live progress, tasks, exports."""
    return render_study(_study(slug))


@bp.route("/studies/<slug>/edit", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def edit(slug: str) -> str | WerkzeugResponse | tuple[str, int]:
    """Edit a study's texts and (while a draft) its tasks' URLs and time limits."""
    session = get_session()
    study = _study(slug)
    if study.status == StudyStatus.closed:
        flash("A closed study cannot be edited. Reopen it first.", "error")
        return _to_study(study)
    tasks = study_tasks(session, study)
    initial = {
        "title": study.title,
        "description": study.description,
        "consent": study.consent,
        "tasks": [
            {
                "task_id": str(t.id),
                "title": t.title,
                "prompt": t.prompt,
                "start_url": t.start_url or "",
                "time_limit_s": t.time_limit_s,
            }
            for t in tasks
        ],
    }
    form = EditStudyForm(data=initial)
    live = study.status == StudyStatus.live
    if form.validate_on_submit():
        by_id = {str(t.id): t for t in tasks}
        edits: dict[int, TaskEdit] = {}
        error: str | None = None
        for entry in form.tasks.entries:
            task = by_id.get(entry.form.task_id.data or "")
            if task is None or task.id is None:
                error = "The form does not match this study's tasks. Reload the page."
                break
            edits[task.id] = TaskEdit(
                title=entry.form.title.data or "",
                prompt=entry.form.prompt.data or "",
                # A live study's tasks keep where and how long they run.
                start_url=task.start_url if live else entry.form.start_url.data,
                time_limit_s=task.time_limit_s
                if live
                else entry.form.time_limit_s.data,
            )
        if error is None:
            change = StudyEdit(
                title=form.title.data or "",
                description=form.description.data or "",
                consent=form.consent.data or "",
                tasks=edits,
            )
            try:
                changed = edit_study(session, study, change)
            except UxlabError as exc:
                error = str(exc)
            else:
                if not changed:
                    flash("Nothing changed.", "info")
                elif "consent" in changed:
                    flash(
                        "Saved. The consent text changed, so it is now version "
                        f"{study.consent_version}.",
                        "info",
                    )
                else:
                    flash("Saved.", "info")
                return _to_study(study)
        flash(error, "error")
    elif request.method == "POST":
        flash("Some fields need fixing; see the messages below.", "error")
    page = render_template("researcher/edit.html", study=study, form=form, live=live)
    return page, 400 if request.method == "POST" else 200


def _transition(slug: str, action: str) -> WerkzeugResponse:
    study = _study(slug)
    try:
        change_status(get_session(), study, action, by=current_researcher_id())
    except StudyStateError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"The study is now {study.status}.", "info")
    return _to_study(study)


@bp.route("/studies/<slug>/publish", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def publish(slug: str) -> WerkzeugResponse:
    """Make a draft study live: its links start working."""
    return _transition(slug, "publish")


@bp.route("/studies/<slug>/close", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def close(slug: str) -> WerkzeugResponse:
    """Close a live study: no new participants, data kept."""
    return _transition(slug, "close")


@bp.route("/studies/<slug>/reopen", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def reopen(slug: str) -> WerkzeugResponse:
    """Make a closed study live again."""
    return _transition(slug, "reopen")


@bp.route("/studies/<slug>/delete", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def delete(slug: str) -> str | WerkzeugResponse:
    """Ask, then delete a draft study."""
    study = _study(slug)
    if study.status != StudyStatus.draft:
        flash(
            f"Only draft studies can be deleted; this one is {study.status}. "
            "Close it instead to keep its data.",
            "error",
        )
        return _to_study(study)
    if request.method == "GET":
        return render_template("researcher/delete.html", study=study)
    title = study.title
    try:
        delete_study(get_session(), study, by=current_researcher_id())
    except StudyStateError as exc:
        flash(f"Nothing deleted: {exc}.", "error")
        return _to_study(study)
    flash(f"Deleted the draft study “{title}”.", "info")
    return redirect(url_for("researcher.index"), code=303)


# ------------------------------------------------------------ participant links


@bp.route("/studies/<slug>/invites", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def create_invite_links(slug: str) -> WerkzeugResponse | tuple[str, int]:
    """Make N single-use invite links."""
    study = _study(slug)
    form = InviteForm()
    if not form.validate_on_submit():
        flash("The invite links were not made; see the form below.", "error")
        return render_study(study, invite_form=form, status=400)
    try:
        invites = make_invites(
            get_session(),
            study,
            form.count.data,
            _secret(),
            label=form.label.data or "",
            ttl_days=current_app.config.get("INVITE_TTL_DAYS"),
        )
    except StudyStateError as exc:
        flash(f"No links made: {exc}.", "error")
    else:
        flash(f"Made {len(invites)} single-use invite links.", "info")
    return redirect(
        url_for("researcher.study", slug=study.slug, _anchor="invites"), 303
    )


@bp.route("/studies/<slug>/invites/<int:invite_id>/revoke", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def revoke(slug: str, invite_id: int) -> WerkzeugResponse:
    """Stop one invite link from working."""
    study = _study(slug)
    try:
        revoke_study_invite(get_session(), study, invite_id)
    except StudyStateError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"Invite {invite_id} is revoked.", "info")
    return redirect(
        url_for("researcher.study", slug=study.slug, _anchor="invites"), 303
    )


@bp.route("/studies/<slug>/invites.csv")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def invites_download(slug: str) -> Response:
    """Download the single-use invite links as CSV."""
    study = _study(slug)
    text = invites_csv(invite_rows(get_session(), study, _secret()), participant_link)
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{study.slug}-invites.csv"'
    )
    return _no_store(response)


@bp.route("/studies/<slug>/open-link", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def regenerate_open_link(slug: str) -> WerkzeugResponse:
    """Replace the open link; the old one stops working."""
    study = _study(slug)
    new_open_link(get_session(), study, _secret())
    flash("Made a new open link. The old one no longer works.", "info")
    return redirect(url_for("researcher.study", slug=study.slug, _anchor="links"), 303)


# ------------------------------------------------------- progress and exports


@bp.route("/studies/<slug>/progress.json")
@_json_route
@requires(Permission.view)
def progress(slug: str) -> Response:
    """Live participant and task counts, for the study page's auto-refresh."""
    study = _study(slug)
    return _no_store(jsonify(study_progress(get_session(), study).as_dict()))


@bp.route("/studies/<slug>/export.zip")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.export)
def export_zip(slug: str) -> Response:
    """Download the study's data as tidy CSV files in a zip."""
    from uxlab import export

    study = _study(slug)
    data = export.export_zip(get_session(), study)
    record_export(get_session(), study, current_researcher_id(), "zip")
    response = send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{study.slug}.zip",
    )
    return _no_store(response)


@bp.route("/studies/<slug>/export.json")
@_json_route
@requires(Permission.export)
def export_json(slug: str) -> Response:
    """Download the whole study as one JSON document."""
    from uxlab import export

    study = _study(slug)
    response = jsonify(export.export_json(get_session(), study))
    record_export(get_session(), study, current_researcher_id(), "json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{study.slug}.json"'
    )
    return _no_store(response)
