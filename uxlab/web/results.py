"""Researcher results (behind login): results page, charts, report, compare, plan.

Views parse the request, call one service function in :mod:`uxlab.analysis`,
:mod:`uxlab.report` or :mod:`uxlab.codebook`, and render.  Every route states
its permission (:func:`uxlab.web.access.requires`): a study of a workspace the
researcher is not in is a 404, a role without the right a 403; a bad option
(``?cl=0.5``) is a 400 naming the allowed values. Viewers see no participant
codes, on the page or in the report.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from sqlmodel import col, select
from werkzeug.wrappers import Response as WerkzeugResponse

from uxlab import analysis, codebook, report
from uxlab.db import get_session
from uxlab.errors import NotFoundError
from uxlab.kinds import kind_of
from uxlab.models import Participant, Study, StudyMode
from uxlab.web.access import can, current_study, current_workspace, requires
from uxlab.web.auth import current_researcher_id
from uxlab.workspaces import Permission, record_export, study_access

__all__ = ["bp"]

bp = Blueprint("results", __name__)

_MIME = {"svg": "image/svg+xml", "png": "image/png"}


def _study(slug: str) -> Study:
    """The route's study, found and checked by :func:`requires`."""
    return current_study()


def _readable(ref: str) -> Study:
    """A study named in the query string, which the researcher may read."""
    study, _ = study_access(
        get_session(), ref, current_researcher_id(), Permission.view
    )
    return study


def _query(cl: float, include: bool) -> dict[str, str]:
    """Options to carry into links: only those that differ from the defaults."""
    query = {} if cl == 0.95 else {"cl": f"{cl:g}"}
    if include:
        query["include_excluded"] = "1"
    return query


def _options() -> tuple[float, bool]:
    cl = analysis.parse_confidence_level(request.args.get("cl"))
    include = analysis.parse_flag(
        "include_excluded", request.args.get("include_excluded")
    )
    return cl, include


def _kind_options(kind: object) -> dict[str, Any]:
    """Results options a study kind adds (a card sort's dendrogram cut)."""
    options = getattr(kind, "results_options", None)
    return options(request.args) if options is not None else {}


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/studies/<slug>/results")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def results(slug: str) -> str:
    """Show a study's results at the chosen confidence level."""
    study = _study(slug)
    cl, include = _options()
    if (empty := _empty_state(study)) is not None:
        return empty
    kind = kind_of(study)
    extra = _kind_options(kind)
    page = kind.results(
        get_session(), study, confidence_level=cl, include_excluded=include, **extra
    )
    return render_template(
        kind.results_template,
        levels=analysis.CONFIDENCE_LEVELS,
        **report.report_context(
            page,
            interactive=True,
            query=_query(cl, include),
            participant_data=can(Permission.participant_data),
        ),
    )


def _empty_state(study: Study) -> str | None:
    """A short page for a study nobody has taken part in yet, with its link."""
    from flask import current_app

    from uxlab.management import study_overview

    session = get_session()
    has_anyone = session.exec(
        select(Participant.id)
        .where(Participant.study_id == study.id, col(Participant.preview).is_(False))
        .limit(1)
    ).first()
    if has_anyone is not None:
        return None
    overview = study_overview(
        session,
        study,
        str(current_app.config["SECRET_KEY"]),
        links=can(Permission.edit) and study.mode != StudyMode.moderated,
    )
    from uxlab.web.researcher import participant_link

    link = participant_link(overview.open_token) if overview.open_token else ""
    return render_template("results/empty.html", study=study, link=link)


@bp.route("/studies/<slug>/charts/<name>.<fmt>")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def chart(slug: str, name: str, fmt: str) -> Response:
    """One chart as SVG or PNG; ``?download=1`` saves it as a file."""
    study = _study(slug)
    cl, include = _options()
    kind = kind_of(study)
    result = kind.analysis(
        get_session(),
        study,
        confidence_level=cl,
        include_excluded=include,
        **_kind_options(kind),
    )
    # A kind with charts of its own renders them; the rest are the report's.
    body = getattr(kind, "chart_bytes", report.chart_bytes)(result, name, fmt)
    if request.args.get("download"):
        return _download(body, _MIME[fmt], f"{slug}-{name}.{fmt}")
    return Response(body, mimetype=_MIME[fmt])


@bp.route("/studies/<slug>/card-sort/names", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.edit)
def card_sort_names(slug: str) -> WerkzeugResponse:
    """Save a card sort's standard category names (the standardisation grid)."""
    from uxlab.kinds.card_sort.analysis import set_standard_names

    study = _study(slug)
    if kind_of(study).name != "card_sort":
        raise NotFoundError("this study is not a card sort")
    raws = request.form.getlist("raw")
    standards = request.form.getlist("standard")
    if len(raws) != len(standards):
        raise analysis.AnalysisOptionError("each name needs its standard name")
    changed = set_standard_names(
        get_session(), study, dict(zip(raws, standards, strict=True))
    )
    flash(f"Standard names saved ({changed} changed).", "info")
    target = url_for("results.results", slug=slug, _anchor="standardise")
    back = request.form.get("next", "")
    if back.startswith(f"/studies/{slug}/results"):
        target = back.rstrip("?") + "#standardise"
    return redirect(target, code=303)


@bp.route("/studies/<slug>/participants/<code>/exclusion", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.exclude)
def exclusion(slug: str, code: str) -> WerkzeugResponse:
    """Exclude a participant from the results, or include them again."""
    study = _study(slug)  # another researcher's study is 404 before anything else
    action = request.form.get("action", "")
    if action not in ("exclude", "include"):
        raise analysis.AnalysisOptionError(
            f"action ({action!r}) must be 'exclude' or 'include'"
        )
    participant = analysis.set_exclusion(
        get_session(),
        study,
        code,
        excluded=action == "exclude",
        reason=request.form.get("reason", ""),
        by=current_researcher_id(),
    )
    state = "excluded from" if participant.excluded else "included in"
    flash(f"Participant {participant.code} is {state} the results.", "info")
    target = url_for("results.results", slug=slug, _anchor="quality")
    back = request.form.get("next", "")
    if back.startswith(f"/studies/{slug}/results"):
        target = back
    return redirect(target, code=303)


@bp.route("/studies/<slug>/exclusions", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.exclude)
def exclude_by_code(slug: str) -> WerkzeugResponse:
    """Exclude any participant, flagged or not, by the code in the exports."""
    study = _study(slug)
    code = request.form.get("code", "").strip()
    target = url_for("results.results", slug=slug, _anchor="quality")
    try:
        participant = analysis.set_exclusion(
            get_session(),
            study,
            code,
            excluded=True,
            reason=request.form.get("reason", ""),
            by=current_researcher_id(),
        )
    except NotFoundError:
        flash(f"No participant with the code {code!r} took this study.", "error")
    except analysis.AnalysisOptionError as exc:
        flash(f"{str(exc).capitalize()}.", "error")
    else:
        flash(f"Participant {participant.code} is excluded from the results.", "info")
    return redirect(target, code=303)


@bp.route("/studies/<slug>/report.html")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def report_html(slug: str) -> Response:
    """The self-contained HTML report; ``?download=1`` saves it as a file."""
    study = _study(slug)
    cl, include = _options()
    html = report.render_report_html(
        get_session(),
        study,
        confidence_level=cl,
        include_excluded=include,
        participant_data=can(Permission.participant_data),
    )
    if request.args.get("download"):
        return _download(html, "text/html", f"{slug}-report.html")
    return Response(html, mimetype="text/html")


@bp.route("/studies/<slug>/report.pdf")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def report_pdf(slug: str) -> Response:
    """The report printed to PDF by headless Chromium."""
    study = _study(slug)
    cl, include = _options()
    html = report.render_report_html(
        get_session(),
        study,
        confidence_level=cl,
        include_excluded=include,
        participant_data=can(Permission.participant_data),
    )
    return _download(report.html_to_pdf(html), "application/pdf", f"{slug}-report.pdf")


@bp.route("/studies/<slug>/export.xlsx")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.export)
def export_xlsx(slug: str) -> Response:
    """The study's data as an XLSX workbook with its codebook."""
    session = get_session()
    body = codebook.export_xlsx(session, _study(slug))
    record_export(session, _study(slug), current_researcher_id(), "xlsx")
    return _download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{slug}.xlsx",
    )


@bp.route("/studies/<slug>/codebook.csv")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def codebook_csv(slug: str) -> Response:
    """What every exported column and questionnaire item means."""
    return _download(
        "\ufeff" + codebook.codebook_csv(_study(slug)),
        "text/csv",
        f"{slug}-codebook.csv",
    )


def _comparison(
    args: dict[str, str], cl: float, include: bool
) -> analysis.Comparison | None:
    session = get_session()
    if args.get("study"):
        study = _readable(args["study"])
        return analysis.compare_variants(
            session,
            study,
            args.get("va", ""),
            args.get("vb", ""),
            confidence_level=cl,
            include_excluded=include,
        )
    if args.get("a") and args.get("b"):
        return analysis.compare_studies(
            session,
            _readable(args["a"]),
            _readable(args["b"]),
            confidence_level=cl,
            include_excluded=include,
        )
    return None


@bp.route("/compare")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def compare() -> tuple[str, int]:
    """Compare two studies, or two variants of one study, task by task."""
    cl, include = _options()
    args = request.args.to_dict()
    error = None
    try:
        comparison = _comparison(args, cl, include)
    except analysis.AnalysisOptionError as exc:
        # Said above the forms, so another pair can be picked straight away.
        comparison, error = None, str(exc)
    svg = None
    if comparison is not None and comparison.tasks:
        svg = report.svg_markup(
            report.comparison_chart(comparison),
            label=f"{comparison.label_b} compared with {comparison.label_a}",
        )
    workspace_id = current_workspace()[0].id
    assert workspace_id is not None
    studies, variant_studies = analysis.comparable_studies(get_session(), workspace_id)
    other_kinds = analysis.other_kinds_with_variants(get_session(), workspace_id)
    return render_template(
        "results/compare.html",
        comparison=comparison,
        svg=svg,
        studies=studies,
        variant_studies=variant_studies,
        other_kinds=other_kinds,
        args=args,
        f=report.Formats(cl),
        levels=analysis.CONFIDENCE_LEVELS,
        cl=cl,
        include_excluded=include,
        methods=report.METHODS,
        error=error,
    ), (400 if error else 200)


def _format() -> str:
    fmt = request.args.get("fmt", "svg")
    if fmt not in _MIME:
        raise analysis.AnalysisOptionError(f"fmt ({fmt!r}) must be svg or png")
    return fmt


@bp.route("/compare/chart")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def compare_chart() -> Response:
    """The comparison's difference chart as SVG or PNG (``?fmt=png``), to download."""
    fmt = _format()
    cl, include = _options()
    comparison = _comparison(request.args.to_dict(), cl, include)
    if comparison is None:
        raise analysis.AnalysisOptionError("pick two studies or two variants first")
    body = report.comparison_chart(comparison, fmt)
    return _download(body, _MIME[fmt], f"comparison.{fmt}")


@bp.route("/plan")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def plan() -> tuple[str, int]:
    """Sample-size planner: margins of error and problem discovery."""
    args = {**analysis.PLAN_DEFAULTS, **request.args.to_dict()}
    error = None
    result = None
    svg = None
    try:
        result = analysis.plan_sample_size(args)
    except analysis.AnalysisOptionError as exc:
        error = str(exc)
    if result is not None:
        svg = report.svg_markup(report.plan_chart(result), label="Problem discovery")
    return (
        render_template(
            "results/plan.html",
            result=result,
            svg=svg,
            error=error,
            args=args,
            levels=analysis.CONFIDENCE_LEVELS,
        ),
        400 if error else 200,
    )


@bp.route("/plan/chart")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def plan_chart() -> Response:
    """The planner's discovery curve as SVG or PNG (``?fmt=png``), to download."""
    fmt = _format()
    args = {k: v for k, v in request.args.items() if k != "fmt"}
    result = analysis.plan_sample_size(args)
    return _download(report.plan_chart(result, fmt), _MIME[fmt], f"discovery.{fmt}")
