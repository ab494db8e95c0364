"""CX pages for workspace members: journeys, touchpoints, trends and the map.

Every route names its workspace, so :func:`uxlab.web.access.requires` checks
the member's role there (viewers read journeys, trends and the map; editors
create and change them, see the survey links and download QR codes), and every
lookup below is scoped to that workspace: another workspace's ids are "not
found".
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import col, select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import (
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange

from uxlab import coding
from uxlab.coding import Codebook, CxResponseCode
from uxlab.cx import journey_file, privacy, themes, trends, ux_side, widget
from uxlab.cx import journeys as store
from uxlab.cx.feedback import count_by_channel, latest_open_answers
from uxlab.cx.map_export import map_numbers
from uxlab.cx.models import CxJourney, CxSurvey, CxTouchpoint
from uxlab.db import get_session
from uxlab.errors import UxlabError
from uxlab.models import AuditProject, Study, Workspace, utcnow
from uxlab.web.access import requires
from uxlab.web.links import public_url
from uxlab.workspaces import Permission, allows

__all__ = ["WidgetForm", "bp", "channel_token_of", "feedback_link"]

bp = Blueprint("cx", __name__, template_folder="templates")

BLOCK_NAMES = {
    "nps": "NPS (0-10, likelihood to recommend)",
    "csat": "CSAT (1-5, satisfaction)",
    "ces": "CES (1-7, customer effort)",
    "seq": "SEQ (1-7, ease)",
    "open": "One open question",
}


def _workspace() -> Workspace:
    workspace: Workspace = g.workspace
    assert workspace.id is not None
    return workspace


def _journey(journey_id: int) -> CxJourney:
    return store.get_journey(get_session(), _workspace().id or 0, journey_id)


def _touchpoint(touchpoint_id: int) -> tuple[CxJourney, CxTouchpoint]:
    return store.get_touchpoint(get_session(), _workspace().id or 0, touchpoint_id)


def _every() -> trends.Every:
    raw = request.args.get("every", "month")
    if raw not in trends.Every.__members__:
        abort(400, "every= takes week or month.")
    return trends.Every(raw)


def _until() -> datetime | None:
    """The last period the trend shows (``until=``, a date), or None for now."""
    raw = request.args.get("until")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, "until= takes a date such as 2026-12-01.")
    until = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return None if until >= utcnow() else until


def channel_token_of(survey: CxSurvey, kind: str) -> str:
    """The token of a survey's channel (made now if the survey lacks that kind)."""
    secret = current_app.config["SECRET_KEY"]
    for channel in store.ensure_channels(get_session(), survey, secret):
        if channel.kind == kind:
            return store.channel_token(channel, secret)
    abort(404, f"This survey has no {kind} channel.")


def feedback_link(survey: CxSurvey, kind: str) -> str:
    """The public link of a survey's channel (the one a customer opens)."""
    token = channel_token_of(survey, kind)
    return public_url(url_for("cx_public.feedback", token=token))


_TRIGGERS = [
    SelectChoice("delay", "After the visitor has been on a page for some seconds"),
    SelectChoice("url", "On pages whose path matches a pattern"),
    SelectChoice("exit", "When the pointer leaves the top of the window (exit intent)"),
    SelectChoice("manual", "Only when the site's script calls uxlabFeedback.open()"),
]


class WidgetForm(FlaskForm):  # type: ignore[misc]
    """The web widget's allowed origins, trigger, sampling and throttling."""

    allowed_origins = TextAreaField("Allowed origins, one per line", [Length(max=4000)])
    trigger = SelectField("Show the survey", choices=_TRIGGERS, default="delay")
    delay_s = IntegerField(
        "Seconds on the page first", [InputRequired(), NumberRange(0, 3600)], default=10
    )
    url_pattern = StringField(
        "Page path pattern (for the pattern trigger)", [Length(max=200)]
    )
    sample_percent = IntegerField(
        "Share of browsers asked (percent)",
        [InputRequired(), NumberRange(0, 100)],
        default=100,
    )
    throttle_days = IntegerField(
        "Days before asking a browser again after it answered",
        [InputRequired(), NumberRange(0, 365)],
        default=30,
    )
    dismiss_days = IntegerField(
        "Days before asking again after the survey was closed unanswered",
        [InputRequired(), NumberRange(0, 365)],
        default=90,
    )

    def fill(self, touchpoint: CxTouchpoint) -> None:
        settings = widget.read_settings(touchpoint)
        self.allowed_origins.data = "\n".join(touchpoint.allowed_origins)
        self.trigger.data = settings.trigger.value
        self.delay_s.data = settings.delay_s
        self.url_pattern.data = settings.url_pattern
        self.sample_percent.data = settings.sample_percent
        self.throttle_days.data = settings.throttle_days
        self.dismiss_days.data = settings.dismiss_days

    def settings(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger.data,
            "delay_s": self.delay_s.data,
            "url_pattern": (self.url_pattern.data or "").strip(),
            "sample_percent": self.sample_percent.data,
            "throttle_days": self.throttle_days.data,
            "dismiss_days": self.dismiss_days.data,
        }


def _to_journey(journey: CxJourney) -> WerkzeugResponse:
    return redirect(
        url_for("cx.journey", workspace=_workspace().slug, journey_id=journey.id), 303
    )


def _to_touchpoint(touchpoint: CxTouchpoint) -> WerkzeugResponse:
    return redirect(
        url_for(
            "cx.touchpoint", workspace=_workspace().slug, touchpoint_id=touchpoint.id
        ),
        303,
    )


@bp.route("/workspaces/<workspace>/cx")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def index(workspace: str) -> str:
    """The workspace's journeys, and (for editors) a form to define one."""
    found = _workspace()
    return render_template(
        "cx/index.html",
        workspace=found,
        journeys=store.journeys_of(get_session(), found.id or 0),
    )


@bp.route("/workspaces/<workspace>/cx/forget", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.participant_data)
def forget(workspace: str) -> WerkzeugResponse | tuple[str, int]:
    """Delete every answer that carries a customer's reference (their request)."""
    found = _workspace()
    reference = request.form.get("reference", "")
    if request.form.get("confirm") != "yes":
        error = "Tick the box to confirm: deleted answers cannot be brought back."
    else:
        try:
            deleted = privacy.delete_by_reference(
                get_session(), found.id or 0, reference, by=current_user.id
            )
        except UxlabError as exc:
            error = str(exc)
        else:
            flash(
                f"Deleted {deleted} answer{'' if deleted == 1 else 's'} carrying "
                "that customer reference. The trends no longer count them.",
                "success",
            )
            return redirect(url_for("cx.index", workspace=found.slug), 303)
    page = render_template(
        "cx/index.html",
        workspace=found,
        journeys=store.journeys_of(get_session(), found.id or 0),
        forget_error=error,
    )
    return page, 400


@bp.route("/workspaces/<workspace>/cx/journeys", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def create(workspace: str) -> WerkzeugResponse | tuple[str, int]:
    """Define a journey: a name and its stages, one per line."""
    found = _workspace()
    stages = request.form.get("stages", "").splitlines()
    try:
        journey = store.create_journey(
            get_session(), found.id or 0, request.form.get("name", ""), stages
        )
    except UxlabError as exc:
        page = render_template(
            "cx/index.html",
            workspace=found,
            journeys=store.journeys_of(get_session(), found.id or 0),
            error=str(exc),
        )
        return page, 400
    return _to_journey(journey)


@bp.route("/workspaces/<workspace>/cx/journeys/import", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def import_yaml(workspace: str) -> WerkzeugResponse | tuple[str, int]:
    """Define a journey from a journey file pasted in the form."""
    found = _workspace()
    text = request.form.get("source", "").replace("\r\n", "\n")
    try:
        journey = journey_file.import_journey(
            get_session(), found.id or 0, text, current_app.config["SECRET_KEY"]
        )
    except journey_file.JourneyFileError as exc:
        page = render_template(
            "cx/index.html",
            workspace=found,
            journeys=store.journeys_of(get_session(), found.id or 0),
            problems=exc.problems,
            source=text,
        )
        return page, 422
    flash(f"Journey “{journey.name}” made from the file, with new links.", "info")
    return _to_journey(journey)


@bp.route("/workspaces/<workspace>/cx/journeys/<int:journey_id>/journey.yaml")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def journey_yaml(workspace: str, journey_id: int) -> Response:
    """The journey as a YAML file: stages, touchpoints and surveys, no answers."""
    found = _journey(journey_id)
    return Response(
        journey_file.journey_yaml(get_session(), found),
        mimetype="application/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="journey-{found.id}.yaml"'
        },
    )


@bp.route("/workspaces/<workspace>/cx/journeys/<int:journey_id>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def journey(workspace: str, journey_id: int) -> str:
    """A journey's stages and touchpoints, with the forms that change them."""
    return _journey_page(_journey(journey_id))


def _journey_page(
    found: CxJourney, *, source: str | None = None, problems: list[str] | None = None
) -> str:
    db = get_session()
    if source is None and allows(g.role, Permission.edit):
        source = journey_file.journey_yaml(db, found)
    return render_template(
        "cx/journey.html",
        workspace=_workspace(),
        view=store.journey_view(db, found),
        source=source,
        problems=problems,
    )


@bp.route(
    "/workspaces/<workspace>/cx/journeys/<int:journey_id>/apply", methods=["POST"]
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def apply_yaml(workspace: str, journey_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Make the journey what the journey file pasted in its page says."""
    found = _journey(journey_id)
    text = request.form.get("source", "").replace("\r\n", "\n")
    try:
        applied = journey_file.apply_journey(
            get_session(), found, text, current_app.config["SECRET_KEY"]
        )
    except journey_file.JourneyFileError as exc:
        return _journey_page(found, source=text, problems=exc.problems), 422
    removed = (
        f"; removed {', '.join(f'“{name}”' for name in applied.removed)}"
        if applied.removed
        else ""
    )
    flash(
        f"Journey file applied: {applied.kept} touchpoint"
        f"{'' if applied.kept == 1 else 's'} kept with their links and answers, "
        f"{applied.added} added{removed}.",
        "info",
    )
    return _to_journey(found)


#: The changes the journey page's forms post.
_ACTIONS = frozenset(
    {
        "rename_journey",
        "add_stage",
        "rename_stage",
        "move_stage",
        "delete_stage",
        "add_touchpoint",
        "rename_touchpoint",
        "move_touchpoint",
        "delete_touchpoint",
        "delete_journey",
    }
)


def _int_field(name: str) -> int:
    raw = request.form.get(name, "")
    if not raw.lstrip("-").isdigit():
        abort(400, f"The form field {name!r} is missing or not a number.")
    return int(raw)


@bp.route(
    "/workspaces/<workspace>/cx/journeys/<int:journey_id>/change", methods=["POST"]
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def change(workspace: str, journey_id: int) -> WerkzeugResponse:
    """One change to the journey, from one of its page's forms."""
    found = _journey(journey_id)
    action = request.form.get("action", "")
    if action not in _ACTIONS:
        abort(400, f"Unknown change {action[:40]!r}.")
    db = get_session()
    name = request.form.get("name", "")
    verb, _, kind = action.partition("_")
    if action == "delete_journey":
        store.delete_journey(db, found)
        flash(f"Deleted the journey “{found.name}”.", "info")
        return redirect(url_for("cx.index", workspace=_workspace().slug), 303)
    try:
        if action == "rename_journey":
            store.rename(db, found, "journey", 0, name)
        elif action == "add_stage":
            store.add_stage(db, found, name)
        elif action == "add_touchpoint":
            store.add_touchpoint(db, found, _int_field("stage_id"), name)
        elif verb == "rename":
            store.rename(db, found, kind, _int_field("id"), name)
        elif verb == "move":
            store.move(db, found, kind, _int_field("id"), _int_field("step"))
        elif action == "delete_stage":
            store.delete_stage(db, found, _int_field("id"))
        else:
            store.delete_touchpoint(db, found, _int_field("id"))
    except UxlabError as exc:
        db.rollback()
        if exc.status == 404:
            raise
        flash(str(exc), "error")
    return _to_journey(found)


@bp.route("/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def touchpoint(workspace: str, touchpoint_id: int) -> str:
    """A touchpoint: its survey, its links (editors) and its trend."""
    db = get_session()
    found_journey, found = _touchpoint(touchpoint_id)
    survey = store.live_survey(db, found)
    links: dict[str, str] = {}
    form: WidgetForm | None = None
    if allows(g.role, Permission.edit):
        form = WidgetForm(formdata=None)
        form.fill(found)
        links = _links(survey)
    return _touchpoint_page(found_journey, found, survey, links, form)


def _links(survey: CxSurvey | None) -> dict[str, str]:
    """The survey's link, QR link and widget token (for editors)."""
    if survey is None:
        return {}
    return {
        "link": feedback_link(survey, "link"),
        "qr": feedback_link(survey, "qr"),
        "widget": channel_token_of(survey, "widget"),
    }


def _touchpoint_page(
    found_journey: CxJourney,
    found: CxTouchpoint,
    survey: CxSurvey | None,
    links: dict[str, str],
    form: WidgetForm | None,
) -> str:
    db = get_session()
    every = _every()
    touchpoint_id = found.id or 0
    survey_ids = store.survey_ids(db, found)
    answers = latest_open_answers(db, touchpoint_id)
    until = _until()
    code_periods, code_counts = themes.counts_per_period(
        db, touchpoint_id, every, until=until
    )
    points = trends.trend(db, touchpoint_id, every, until=until)
    fields = list(survey.hidden_fields) if survey is not None else []
    may_split = allows(g.role, Permission.participant_data)
    by = request.args.get("segment", "channel")
    if by != "channel" and by not in fields:
        abort(400, "segment= takes channel or one of the survey's hidden fields.")
    if by != "channel" and not may_split:
        abort(403, "Splitting by a hidden field shows customers' own data.")
    # Each period with its change from the one before (none for the first).
    moves = [dict.fromkeys(("nps", "csat", "ces"))] + [
        trends.changes(a, b, every) for a, b in zip(points, points[1:], strict=False)
    ]
    return render_template(
        "cx/touchpoint.html",
        workspace=_workspace(),
        journey=found_journey,
        touchpoint=found,
        survey=survey,
        blocks=BLOCK_NAMES,
        links=links,
        widget_form=form,
        widget_script=public_url(url_for("static", filename="feedback-widget.js")),
        by_channel=count_by_channel(db, survey_ids),
        open_answers=answers,
        show_hidden=allows(g.role, Permission.participant_data),
        every=every,
        points=points,
        rows=list(zip(points, moves, strict=True)),
        segment=by,
        segment_choices=["channel", *(fields if may_split else [])],
        segments=trends.segments(db, touchpoint_id, every, by, until=until),
        until=until,
        linked=ux_side.links_of(db, touchpoint_id),
        code_periods=code_periods,
        code_counts=code_counts,
        answer_codes=coding.codes_on(
            db, CxResponseCode, [r.id for r, _ in answers if r.id]
        ),
        codebook=coding.codes(db, Codebook.customer_answers(_workspace().id or 0)),
        link_choices=_link_choices() if allows(g.role, Permission.edit) else None,
        charts=[
            (key, label, trends.chart_marks(points, key))
            for key, label in (("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES"))
        ],
        chart=(trends.CHART_W, trends.CHART_H, trends.CHART_PAD),
        min_n=trends.MIN_N,
        caution_n=trends.CAUTION_N,
        period_label=trends.period_label,
    )


def _link_choices() -> tuple[list[Study], list[AuditProject]]:
    """The workspace's studies and audit projects a touchpoint may be linked to."""
    db = get_session()
    workspace_id = _workspace().id
    studies = db.exec(
        select(Study)
        .where(Study.workspace_id == workspace_id)
        .order_by(col(Study.created_at).desc())
    ).all()
    projects = db.exec(
        select(AuditProject)
        .where(
            AuditProject.workspace_id == workspace_id,
            col(AuditProject.study_id).is_(None),
        )
        .order_by(col(AuditProject.name))
    ).all()
    return list(studies), list(projects)


@bp.route(
    "/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>/links",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def links(workspace: str, touchpoint_id: int) -> WerkzeugResponse:
    """Aim a study or an audit project at the touchpoint, or take one away."""
    db = get_session()
    _, found = _touchpoint(touchpoint_id)
    raw_study = request.form.get("study_id", "")
    raw_project = request.form.get("audit_project_id", "")
    remove = request.form.get("remove", "")
    for raw in (raw_study, raw_project, remove):
        if raw and not raw.isdigit():
            abort(400, "Links are chosen by their number.")
    try:
        if remove:
            ux_side.unlink(db, found, int(remove))
            flash("Link removed.", "info")
        else:
            ux_side.link(
                db,
                _workspace().id or 0,
                found,
                study_id=int(raw_study) if raw_study else None,
                audit_project_id=int(raw_project) if raw_project else None,
            )
            flash("Linked: the journey map's card shows its figures.", "success")
    except UxlabError as exc:
        db.rollback()
        flash(str(exc), "error")
    return _to_touchpoint(found)


@bp.route(
    "/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>/survey",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def survey(workspace: str, touchpoint_id: int) -> WerkzeugResponse:
    """Create or change the touchpoint's survey; pause or resume the touchpoint."""
    db = get_session()
    _, found = _touchpoint(touchpoint_id)
    try:
        store.save_survey(
            db,
            found,
            request.form.getlist("blocks"),
            request.form.get("open_question", ""),
            request.form.get("hidden_fields", ""),
            current_app.config["SECRET_KEY"],
        )
    except UxlabError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _to_touchpoint(found)
    store.set_enabled(db, found, request.form.get("enabled") == "on")
    flash("Survey saved.", "info")
    return _to_touchpoint(found)


@bp.route(
    "/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>/retention",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def retention(workspace: str, touchpoint_id: int) -> WerkzeugResponse:
    """How long the survey keeps its answers before they are deleted."""
    db = get_session()
    _, found = _touchpoint(touchpoint_id)
    survey = store.live_survey(db, found)
    if survey is None:
        abort(404)
    try:
        days = privacy.set_retention(db, survey, request.form.get("retention_days", ""))
    except UxlabError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(
            f"Answers are deleted {days} days after they were given."
            if days
            else "Answers are kept until they are deleted.",
            "success",
        )
    return _to_touchpoint(found)


@bp.route(
    "/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>/widget",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def widget_settings(
    workspace: str, touchpoint_id: int
) -> WerkzeugResponse | tuple[str, int]:
    """Save the web widget's allowed origins, trigger, sampling and throttling."""
    db = get_session()
    found_journey, found = _touchpoint(touchpoint_id)
    form = WidgetForm()
    problem = ""
    if form.validate():
        try:
            widget.save_widget(
                db, found, form.allowed_origins.data or "", form.settings()
            )
        except UxlabError as exc:
            db.rollback()
            problem = str(exc)
    else:
        problem = "; ".join(
            f"{form[name].label.text}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
    if not problem:
        flash("Widget settings saved.", "info")
        return _to_touchpoint(found)
    flash(f"The widget settings were not saved: {problem}", "error")
    survey = store.live_survey(db, found)
    return _touchpoint_page(found_journey, found, survey, _links(survey), form), 422


@bp.route(
    "/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>/survey/delete",
    methods=["POST"],
)
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def delete_survey(workspace: str, touchpoint_id: int) -> WerkzeugResponse:
    """Delete the survey: its links then show a polite page; answers are kept."""
    db = get_session()
    _, found = _touchpoint(touchpoint_id)
    current = store.live_survey(db, found)
    if current is None:
        abort(404, "This touchpoint has no survey.")
    store.delete_survey(db, current)
    flash("Survey deleted. Its links and QR codes now say that it has ended.", "info")
    return _to_touchpoint(found)


@bp.route("/workspaces/<workspace>/cx/touchpoints/<int:touchpoint_id>/qr.<fmt>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def qr(workspace: str, touchpoint_id: int, fmt: str) -> Response:
    """The QR code of the touchpoint survey's QR channel, as PNG or SVG."""
    if fmt not in ("png", "svg"):
        abort(404, "QR codes come as .png or .svg.")
    _, found = _touchpoint(touchpoint_id)
    current = store.live_survey(get_session(), found)
    if current is None:
        abort(404, "This touchpoint has no survey yet, so no QR code.")
    code = segno.make(feedback_link(current, "qr"), error="m")
    out = io.BytesIO()
    if fmt == "png":
        code.save(out, kind="png", scale=10, border=4)
        mime = "image/png"
    else:
        code.save(out, kind="svg", scale=10, border=4, title=f"Feedback: {found.name}")
        mime = "image/svg+xml"
    name = f"feedback-{found.id}.{fmt}"
    return Response(
        out.getvalue(),
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _map_context(journey_id: int) -> dict[str, Any]:
    """What the journey map shows for the period asked (``every=``, ``period=``)."""
    db = get_session()
    found = _journey(journey_id)
    every = _every()
    start = trends.period_start(every, utcnow())
    raw = request.args.get("period")
    if raw:
        try:
            start = trends.period_start(every, date.fromisoformat(raw))
        except ValueError:
            abort(400, "period= takes a date such as 2026-12-01.")
    numbers = map_numbers(db, found, every, start)
    view = numbers.view
    before = trends.periods_back(every, start, 2)[0]
    return {
        "workspace": _workspace(),
        "view": view,
        "every": every,
        "start": start,
        "label": trends.period_label(every, start),
        "before": before,
        "before_label": trends.period_label(every, before),
        "after": _next(every, start),
        "scores": numbers.scores,
        "moves": numbers.moves,
        "open_followups": numbers.open_followups,
        "ux": numbers.ux,
        "numbers": numbers,
        "surveys": {
            t.id: store.live_survey(db, t)
            for s in view.stages
            for t in s.touchpoints
            if t.id is not None
        },
        "min_n": trends.MIN_N,
    }


@bp.route("/workspaces/<workspace>/cx/journeys/<int:journey_id>/map")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def journey_map(workspace: str, journey_id: int) -> str:
    """The journey map: stages as columns, touchpoints as cards, one period."""
    return render_template("cx/map.html", **_map_context(journey_id))


@bp.route("/workspaces/<workspace>/cx/journeys/<int:journey_id>/map.<fmt>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def journey_map_slide(workspace: str, journey_id: int, fmt: str) -> Response:
    """The journey map as a 16:9 slide, PNG or SVG, for the period asked."""
    from uxlab.charts import render
    from uxlab.cx.map_export import map_data, map_figure

    if fmt not in ("png", "svg"):
        abort(404)
    context = _map_context(journey_id)
    data = map_data(context["numbers"])
    body = render(map_figure(data), fmt)
    name = f"journey-map-{journey_id}-{context['start'].isoformat()}.{fmt}"
    return Response(
        body,
        mimetype="image/png" if fmt == "png" else "image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _next(every: trends.Every, start: date) -> date:
    if every is trends.Every.week:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
