"""The results page's content, the self-contained HTML report and its PDF.

:func:`build_results` is the one call behind the results page and the report:
it runs :func:`uxlab.analysis.analyse_study`, draws the charts with
:mod:`uxlab.charts` and records how long each part took.  The formatting
helpers in :class:`Formats` are the only place numbers become text, so the
tests can format a :mod:`uxlab.stats` result the same way and look for it.

The report is one HTML file with inline CSS and inline SVG: it makes no
request of its own, so it can be mailed, archived or opened offline.  The PDF
is that file printed by headless Chromium (:mod:`uxlab.browser`).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import matplotlib
import numpy as np
import scipy
from flask import current_app, render_template
from markupsafe import Markup
from matplotlib.figure import Figure
from sqlmodel import Session

from uxlab import charts, numbers
from uxlab.analysis import (
    COMPLETION_BENCHMARK,
    QUALITY_RULES,
    SEQ_BENCHMARK,
    Comparison,
    PlanResult,
    StudyReport,
    format_p,
    load_study_data,
    summarise,
)
from uxlab.errors import NotFoundError, UxlabError
from uxlab.kinds import kind_of
from uxlab.models import Study
from uxlab.moderation import notes_by_tag
from uxlab.stats import ConfidenceInterval, NPSResult, TimeResult
from uxlab.text import render_markdown

__all__ = [
    "CHART_NAMES",
    "METHODS",
    "Formats",
    "ReportError",
    "ResultsPage",
    "build_results",
    "chart_bytes",
    "comparison_chart",
    "html_to_pdf",
    "plan_chart",
    "render_report_html",
    "report_context",
    "svg_markup",
    "write_report",
]

#: Charts of a study, in page order.
CHART_NAMES: Final = ("completion", "times", "seq", "sus", "nps")

#: How each kind of interval was computed, for footnotes and tooltips.
METHODS: Final = {
    "completion": "adjusted-Wald (Agresti-Coull) interval; Sauro & Lewis 2005",
    "time": "t interval on log times, back-transformed (geometric mean); "
    "Sauro & Lewis 2010",
    "time-median": "distribution-free interval of the median from binomial order "
    "statistics; Conover 1999",
    "mean": "t interval of the mean",
    "nps": "adjusted-Wald interval of the net score; Rocks 2016",
    "difference": "adjusted-Wald interval of the difference (Agresti & Caffo 2000) "
    "with the N-1 two-proportion test, or Fisher's exact test where an expected "
    "count is under 1 (Campbell 2007)",
    "ratio": "Welch t on log times; the interval is a ratio of geometric means",
    "mean_difference": "Welch t interval of the difference of means",
}


class ReportError(UxlabError):
    """A report or chart that cannot be produced (unknown chart, no Chromium)."""

    code = "report_error"


class Formats:
    """Number formatting shared by the page, the report and the tests.

    Built on :mod:`uxlab.numbers`: "82 %", a true minus sign, and intervals
    as ranges that keep to one line ("47–80 %").

    >>> f = Formats(0.9)
    >>> f.pct(0.6552), f.level, f.secs(107.26), f.secs(68.12)
    ('66 %', '90 %', '107 s', '68.1 s')
    >>> f.ci_pct(ConfidenceInterval(0.4726, 0.8015))
    '47–80 %'
    >>> f.ci_secs(ConfidenceInterval(46.0, 101.2)), f.signed(-41.2, plus=True)
    ('46.0–101 s', '−41')
    """

    def __init__(self, confidence_level: float) -> None:
        self.confidence_level = confidence_level
        self.level = f"{100 * confidence_level:g} %"

    @staticmethod
    def pct(value: float | None, digits: int = 0) -> str:
        return numbers.pct(value, digits)

    def ci_pct(self, ci: ConfidenceInterval | None, digits: int = 0) -> str:
        if ci is None:
            return "not defined"
        return numbers.pct_range(ci.low, ci.high, digits)

    @staticmethod
    def _sec_value(value: float) -> str:
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}"

    @classmethod
    def secs(cls, value: float | None) -> str:
        if value is None or math.isnan(value):
            return numbers.MISSING
        return f"{cls._sec_value(value)} s"

    def ci_secs(self, ci: ConfidenceInterval | None) -> str:
        if ci is None:
            return "not defined (one time)"
        return f"{self._sec_value(ci.low)}–{self._sec_value(ci.high)} s"

    @staticmethod
    def num(value: float | None, digits: int = 1) -> str:
        return numbers.signed(value, digits)

    @staticmethod
    def signed(value: float | None, digits: int = 0, *, plus: bool = False) -> str:
        return numbers.signed(value, digits, plus=plus)

    def ci_num(self, ci: ConfidenceInterval | None, digits: int = 1) -> str:
        if ci is None:
            return "not defined (one answer)"
        return numbers.span(ci.low, ci.high, digits)

    def no_time_interval(
        self, times: TimeResult, ci: ConfidenceInterval | None
    ) -> str | None:
        """Why a time interval is not shown, or ``None`` when it can be."""
        if times.usable_ci(ci) is not None:
            return None
        if len(times.values) == 1:
            return f"too few data for an interval (one time: {self.secs(times.center)})"
        if len(set(times.values)) == 1:
            return f"all times were {self.secs(times.values[0])}"
        if len(times.values) > 10:
            return "too few data for an interval"
        shown = ", ".join(self.secs(v) for v in times.values)
        return f"too few data for an interval (times: {shown})"

    @staticmethod
    def no_interval(result: Any, what: str = "answers", digits: int = 1) -> str | None:
        """Why a mean's interval is not shown (one answer, all alike), or ``None``.

        >>> from uxlab import stats
        >>> Formats.no_interval(stats.rating_summary([5, 5], scale=(1, 7)))
        'all answers were 5'
        >>> Formats.no_interval(stats.sus_summary([72.5]), "scores")
        'too few data for an interval (one score: 72.5)'
        """

        def value(v: float) -> str:
            return f"{v:g}" if float(v).is_integer() else numbers.signed(v, digits)

        if result.n == 1:
            one = what.removesuffix("s")
            return f"too few data for an interval (one {one}: {value(result.mean)})"
        if not result.sd or result.ci is None:
            return f"all {what} were {value(result.mean)}"
        return None

    def against(self, result: Any, benchmark: float) -> str:
        """A mean against a benchmark, the verdict read from the interval shown.

        >>> from uxlab import stats
        >>> r = stats.rating_summary([7, 7, 6, 7, 6, 7], scale=(1, 7), benchmark=5.5)
        >>> Formats(0.95).against(r, 5.5)
        'above the average of 5.5 (t = 5.53, p = 0.003)'
        """
        if result.p_value is None or result.t is None or result.ci is None:
            return "no test: it needs at least two different answers"
        if result.ci.low > benchmark:
            word = f"above the average of {benchmark:g}"
        elif result.ci.high < benchmark:
            word = f"below the average of {benchmark:g}"
        else:
            word = f"not distinguishable from the average of {benchmark:g}"
        return f"{word} (t = {self.num(result.t, 2)}, {self.p(result.p_value)})"

    @staticmethod
    def no_nps_interval(result: NPSResult) -> str | None:
        """An NPS from one answer gets no interval; ``None`` otherwise."""
        if result.n > 1:
            return None
        kind = (
            "a promoter"
            if result.promoters
            else "a detractor"
            if result.detractors
            else "a passive"
        )
        return f"too few data for an interval (one answer, {kind})"

    def nps_range(self, ci: ConfidenceInterval | None) -> str:
        """A net score's interval, signed at both ends: "+14 to +45", "−55 to −26"."""
        if ci is None:
            return "not defined (one answer)"
        low = numbers.signed(ci.low, plus=True)
        return f"{low} to {numbers.signed(ci.high, plus=True)}"

    @staticmethod
    def p(value: float | None) -> str:
        return format_p(value)

    @staticmethod
    def minutes(value: float | None) -> str:
        if value is None:
            return numbers.MISSING
        return f"{value / 60:.1f} min"

    def method(self, kind: str) -> str:
        """Tooltip text: the confidence level and the method of an interval."""
        return f"{self.level} confidence interval: {METHODS[kind]}"


# -------------------------------------------------------------------- charts


_SVG_STYLE_BLOCK = re.compile(r"<style[^>]*>\s*\*\s*\{([^}]*)\}\s*</style>")
_STYLE_ATTRIBUTE = re.compile(r'(<[a-zA-Z][^>]*?)\sstyle="([^"]*)"')


def _presentation_attributes(declarations: str, tag: str = "") -> str:
    """CSS declarations as SVG presentation attributes (`fill: #fff` -> fill="#fff").

    Every property matplotlib writes (fill, stroke*, opacity, font-*,
    text-anchor) is also an SVG attribute, which a Content-Security-Policy
    never blocks, unlike a ``style`` attribute or element.
    """
    out = []
    for declaration in declarations.split(";"):
        name, sep, value = declaration.partition(":")
        name = name.strip().lower()
        if not sep or not re.fullmatch(r"[a-z-]+", name):
            continue
        if re.search(rf'\s{name}="', tag):
            continue  # the element's own attribute stands
        out.append(f' {name}="{value.strip()}"')
    return "".join(out)


def _without_inline_styles(text: str) -> str:
    """An SVG's ``<style>`` element and ``style`` attributes as plain attributes."""
    block = _SVG_STYLE_BLOCK.search(text)
    defaults = _presentation_attributes(block.group(1)) if block else ""
    text = _SVG_STYLE_BLOCK.sub("", text)
    text = _STYLE_ATTRIBUTE.sub(
        lambda m: m.group(1) + _presentation_attributes(m.group(2), m.group(1)), text
    )
    return text.replace("<svg", "<svg" + defaults, 1)


def svg_markup(svg: bytes, label: str = "") -> Markup:
    """An SVG file as markup to inline in HTML: no prolog, scales to its box.

    It needs no inline style, so pages under a strict CSP show it whole.
    """
    text = svg.decode("utf-8")
    start = text.find("<svg")
    text = _without_inline_styles(text[start:])
    head_end = text.find(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    aria = f' role="img" aria-label="{Markup.escape(label)}"' if label else ""
    return Markup(head + ' class="chart"' + aria + text[head_end:])  # noqa: S704


def _range(values: list[int]) -> str:
    if not values:
        return "0"
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def _time_centres(times: list[TimeResult | None]) -> str:
    kinds = {t.recommended for t in times if t}
    if kinds == {"median"}:
        return "median"
    if kinds == {"geometric_mean"}:
        return "geometric mean"
    return "median from 25 times, geometric mean below"


def _figures(report: StudyReport, only: str | None = None) -> dict[str, Figure]:
    def want(name: str) -> bool:
        return only is None or only == name

    f = Formats(report.confidence_level)
    labels = [t.title for t in report.tasks]
    figures: dict[str, Figure] = {}
    if want("completion") and any(t.completion for t in report.tasks):
        rates = [t.completion for t in report.tasks]
        n = [r.trials for r in rates if r]
        figures["completion"] = charts.completion_chart(
            labels,
            rates,
            benchmark=COMPLETION_BENCHMARK,
            subtitle=f"n = {_range(n)} attempts per task · bars: observed rate · "
            f"error bars: {f.level} adjusted-Wald CI",
        )
    times = [t.times.completion for t in report.tasks]
    if want("times") and any(times):
        figures["times"] = charts.times_chart(
            labels,
            times,
            subtitle=f"n = {_range([t.n for t in times if t])} successful attempts "
            f"per task · points: {_time_centres(times)} · error bars: {f.level} CI "
            "of that centre",
        )
    seq = [t.seq.result if t.seq else None for t in report.tasks]
    if want("seq") and any(seq):
        first = next(t.seq for t in report.tasks if t.seq)
        figures["seq"] = charts.seq_chart(
            labels,
            seq,
            scale=first.scale,
            benchmark=SEQ_BENCHMARK if first.kind == "seq" else None,
            title="Post-task ease (SEQ)" if first.kind == "seq" else first.title,
            subtitle=f"n = {_range([r.n for r in seq if r])} answers per task · "
            f"error bars: {f.level} t interval of the mean",
        )
    for q in report.questionnaires:
        if want("sus") and q.sus is not None and "sus" not in figures:
            figures["sus"] = charts.sus_chart(
                q.sus_scores,
                q.sus,
                confidence_level=report.confidence_level,
                subtitle=f"n = {q.sus.n} participants · mean {f.num(q.sus.mean)}, "
                f"grade {q.sus.grade} · {f.level} t interval",
            )
        if want("nps") and q.nps is not None and "nps" not in figures:
            figures["nps"] = charts.nps_chart(
                q.nps,
                subtitle=f"n = {q.nps.n} respondents · "
                + (
                    f.no_nps_interval(q.nps)
                    or f"{f.level} CI {f.nps_range(q.nps.ci)} (adjusted Wald)"
                ),
            )
    return figures


def chart_bytes(report: StudyReport, name: str, fmt: str) -> bytes:
    """One chart of a study as SVG or PNG bytes (NotFoundError if it has none)."""
    if fmt not in charts.CHART_FORMATS:
        raise NotFoundError(f"no chart format {fmt!r}; use svg or png")
    if name not in CHART_NAMES:
        raise NotFoundError(f"no chart {name!r}; charts are {', '.join(CHART_NAMES)}")
    figures = _figures(report, only=name)
    if name not in figures:
        raise NotFoundError(
            f"study {report.study_slug!r} has no data for a {name} chart"
        )
    return charts.render(figures[name], fmt)


def comparison_chart(comparison: Comparison, fmt: str = "svg") -> bytes:
    """The difference chart of a comparison as SVG or PNG bytes."""
    f = Formats(comparison.confidence_level)
    fig = charts.difference_chart(
        [t.title for t in comparison.tasks],
        [t.completion for t in comparison.tasks],
        [t.time for t in comparison.tasks],
        label_a=comparison.label_a,
        label_b=comparison.label_b,
        confidence_level=comparison.confidence_level,
        subtitle=f"n = {comparison.n_a} ({comparison.label_a}) and {comparison.n_b} "
        f"({comparison.label_b}) participants · {f.level} CIs",
    )
    return charts.render(fig, fmt)


def plan_chart(plan: PlanResult, fmt: str = "svg") -> bytes:
    """The planner's problem-discovery curve as SVG or PNG bytes."""
    fig = charts.discovery_chart(plan.problem_p, plan.goal, plan.n_discovery)
    return charts.render(fig, fmt)


# ---------------------------------------------------------------- the page


@dataclass(frozen=True, slots=True)
class ResultsPage:
    """A study's report, its charts as inline SVG, and where the time went."""

    report: StudyReport
    svgs: dict[str, Markup]
    formats: Formats
    timings: dict[str, float] = field(default_factory=dict)


def build_results(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> ResultsPage:
    """Everything the results page and the report show, charts included."""
    t0 = time.perf_counter()
    data = load_study_data(session, study)
    t1 = time.perf_counter()
    report = summarise(
        data, confidence_level=confidence_level, include_excluded=include_excluded
    )
    t2 = time.perf_counter()
    figures = _figures(report)
    svgs = {
        name: svg_markup(charts.render(fig, "svg"), label=str(fig.get_suptitle()))
        for name, fig in figures.items()
    }
    t3 = time.perf_counter()
    return ResultsPage(
        report=report,
        svgs=svgs,
        formats=Formats(report.confidence_level),
        timings={"queries": t1 - t0, "statistics": t2 - t1, "charts": t3 - t2},
    )


def _versions() -> dict[str, str]:
    from uxlab import __version__

    return {
        "uxlab": __version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "matplotlib": matplotlib.__version__,
    }


NOTE_NUMBERS: Final = {
    "completion": 1,
    "time": 2,
    "time-median": 3,
    "mean": 4,
    "nps": 5,
}


def report_context(
    page: ResultsPage,
    *,
    interactive: bool,
    query: dict[str, str] | None = None,
    participant_data: bool = True,
) -> dict[str, Any]:
    """Template variables shared by the results page (interactive) and the report.

    Without ``participant_data`` (a viewer's copy) participants are counted,
    never named by code or label.
    """
    return {
        "interactive": interactive,
        "participant_data": participant_data,
        "query": query or {},
        "note_numbers": NOTE_NUMBERS,
        "page": page,
        "r": page.report,
        "f": page.formats,
        "svgs": page.svgs,
        "rules": QUALITY_RULES,
        "methods": METHODS,
        "markdown": render_markdown,
        "versions": _versions(),
        "completion_benchmark": COMPLETION_BENCHMARK,
        "seq_benchmark": SEQ_BENCHMARK,
    }


def render_report_html(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
    participant_data: bool = True,
) -> str:
    """The study's report as one self-contained HTML document (needs an app context)."""
    from uxlab.kinds import kind_of

    page = build_results(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    # A kind with a report section of its own puts it first. Its tasks (a
    # tree test's) are not usability tasks, so the usability task table is
    # left out.
    kind = kind_of(study)
    section = _kind_section(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        participant_data=participant_data,
    )
    if section:
        page = dataclasses.replace(
            page, report=dataclasses.replace(page.report, tasks=())
        )
    from uxlab.cx.map_export import journey_maps_of_study

    journeys = [
        (m, svg_markup(m.svg, label=f"Journey map: {m.journey}, {m.label}"))
        for m in journey_maps_of_study(session, study)
    ]
    return render_template(
        "results/report.html",
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        notes=notes_by_tag(session, study),
        journeys=journeys,
        css=Markup(_stylesheet()),  # noqa: S704 - our own static file
        kind_section=section,
        kind_label=kind.label,
        **report_context(page, interactive=False, participant_data=participant_data),
    )


def _kind_section(
    session: Session,
    study: Study,
    *,
    confidence_level: float,
    include_excluded: bool,
    participant_data: bool,
) -> Markup:
    """The report section of a study kind that has one, or nothing: the
    partial its results page shares with the report (``report_template``: a
    preference test's shares, a five-second test's answers, a tree test's
    tasks, a card sort's matrix, dendrogram and placements), rendered from
    the kind's results page.
    """
    kind = kind_of(study)
    template = getattr(kind, "report_template", None)
    if template is None:
        return Markup("")
    page = kind.results(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    return kind_report_section(template, page, participant_data=participant_data)


def kind_report_section(
    template: str, page: Any, *, participant_data: bool = True
) -> Markup:
    """A study kind's section of the report: ``template`` rendered with
    ``page`` (the kind's results page) as the results page renders it, but
    without its forms and links.

    Parameters
    ----------
    template : str
        The kind's partial template, shared with its results page.
    page : object
        The kind's results page (with ``report``, ``formats`` and ``svgs``).
    participant_data : bool, default True
        Whether the reader may see participant codes.

    Returns
    -------
    Markup
        The rendered section, ready to go into ``results/report.html``.
    """
    html = render_template(
        template,
        **report_context(page, interactive=False, participant_data=participant_data),
    )
    return Markup(html)  # noqa: S704 - rendered by our own autoescaping template


def _stylesheet() -> str:
    folder = current_app.static_folder or ""
    return (Path(folder) / "results.css").read_text(encoding="utf-8")


def _print_pdf(html: str) -> bytes:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from uxlab.browser import launch_options

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(**launch_options())
            try:
                page = browser.new_page()
                page.set_content(html, wait_until="load")
                return page.pdf(
                    format="A4",
                    print_background=True,
                    margin={
                        "top": "16mm",
                        "bottom": "16mm",
                        "left": "14mm",
                        "right": "14mm",
                    },
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ReportError(f"could not print the PDF with Chromium: {exc}") from exc


def html_to_pdf(html: str) -> bytes:
    """Print an HTML report to PDF with headless Chromium.

    Playwright's sync API refuses to start in a thread that runs an asyncio
    loop, so the browser always runs in a worker thread of its own.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdf, html).result()


def write_report(
    session: Session,
    study: Study,
    path: Path,
    *,
    fmt: str = "html",
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> Path:
    """Write the study's report to ``path`` as HTML or PDF; returns the path."""
    if fmt not in ("html", "pdf"):
        raise ReportError(f"format ({fmt!r}) must be one of ['html', 'pdf']")
    html = render_report_html(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    if fmt == "html":
        path.write_text(html, encoding="utf-8")
    else:
        path.write_bytes(html_to_pdf(html))
    return path
