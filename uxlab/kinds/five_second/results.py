"""A five-second test's results page: each question's answers with their
intervals, and the open answers with the researchers' codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from markupsafe import Markup
from matplotlib.figure import Figure

from uxlab import charts, numbers
from uxlab.report import Formats, svg_markup

from .analysis import (
    MEAN_METHOD,
    SHARE_METHOD,
    FiveSecondSummary,
    QuestionSummary,
    analyse_five_second,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study


@dataclass(frozen=True, slots=True)
class ShareRow:
    """An option or a code: its count, share and interval, as shown."""

    label: str
    count: int
    share: str
    interval: str
    code_id: int | None = None


@dataclass(frozen=True, slots=True)
class VariantView:
    """One variant's part of a question: its own shares or mean."""

    key: str
    name: str
    n: int
    rows: list[ShareRow]
    mean: str = ""
    mean_interval: str = ""


@dataclass(frozen=True, slots=True)
class QuestionView:
    """One question as the page shows it."""

    summary: QuestionSummary
    rows: list[ShareRow]
    #: A rating's mean and its interval ("3.4", "2.9–3.9").
    mean: str = ""
    mean_interval: str = ""
    #: Says how little a small sample shows ("" when the sample is not small).
    caution: str = ""
    #: Each variant's figures, for a study with variants.
    variants: list[VariantView] = field(default_factory=list)

    @property
    def codes(self) -> list[CodeRef]:
        """An open question's codes, in the order they were made."""
        return [CodeRef(r.code_id, r.label) for r in self.rows if r.code_id]


class CodeRef(NamedTuple):
    """A code as the coding forms name it."""

    id: int
    label: str


@dataclass(frozen=True, slots=True)
class FiveSecondReport:
    """What the results page of a five-second test shows."""

    study_title: str
    study_slug: str
    confidence_level: float
    include_excluded: bool
    summary: FiveSecondSummary
    questions: list[QuestionView]
    share_method: str = SHARE_METHOD
    mean_method: str = MEAN_METHOD
    display_time_s: float = 5.0
    #: The image(s) shown, with their variants.
    images: list[dict[str, str]] = field(default_factory=list)
    median_answer: str = ""


@dataclass
class FiveSecondPage:
    report: FiveSecondReport
    formats: Formats
    svgs: dict[str, Markup] = field(default_factory=dict)


def share_chart(q: QuestionSummary, *, subtitle: str = "") -> Figure | None:
    """A choice question's options, or an open question's codes, as bars of
    their shares with the adjusted-Wald intervals; None when there is nothing
    to draw."""
    shares = [s for s in q.shares if s.result is not None]
    if not shares:
        return None
    fig, _ = charts.share_bars(
        [s.label for s in shares],
        [
            charts.Share(
                s.result.observed,
                s.result.ci.low,
                s.result.ci.high,
                s.count,
                s.result.trials,
            )
            for s in shares
            if s.result is not None
        ],
        chart="share",
        title=q.text,
        subtitle=subtitle,
        xlabel="Answers with this code (%)"
        if q.type == "open"
        else "Chosen by (% of answers)",
    )
    return fig


def chart_for(summary: FiveSecondSummary, name: str) -> Figure | None:
    """The chart called ``name`` (``q-<question id>``), or None if there is
    no such question or nothing to draw for it."""
    level = f"{100 * summary.confidence_level:g} %"
    for q in summary.questions:
        if name == f"q-{q.id}" and q.type in ("choice", "open"):
            return share_chart(
                q, subtitle=f"n = {q.n} answers · {level} adjusted-Wald CIs"
            )
    return None


def _rows(q: QuestionSummary) -> list[ShareRow]:
    rows = []
    for share in q.shares:
        result = share.result
        if result is None:
            rows.append(ShareRow(share.label, 0, "–", "–", share.code_id))
            continue
        rows.append(
            ShareRow(
                share.label,
                share.count,
                numbers.pct(result.observed),
                numbers.pct_range(result.ci.low, result.ci.high),
                share.code_id,
            )
        )
    return rows


def _caution(q: QuestionSummary) -> str:
    if q.n == 0:
        return "No answers yet."
    if not q.small_sample:
        return ""
    return (
        f"Only {q.n} answer{'s' if q.n != 1 else ''}: read the figures as a first "
        "indication; the intervals are wide."
    )


def _mean(q: QuestionSummary) -> tuple[str, str]:
    if q.rating is None:
        return "", ""
    ci = q.rating.ci
    interval = numbers.span(ci.low, ci.high, 2) if ci is not None else "not defined"
    return f"{q.rating.mean:.2f}", interval


def question_views(
    summary: FiveSecondSummary, variant_names: dict[str, str] | None = None
) -> list[QuestionView]:
    """Every question of ``summary`` formatted for the page and the report."""
    names = variant_names or {}
    views = []
    for q in summary.questions:
        variants = [
            VariantView(key, names.get(key) or key, part.n, _rows(part), *_mean(part))
            for key, part in q.by_variant.items()
        ]
        views.append(QuestionView(q, _rows(q), *_mean(q), _caution(q), variants))
    return views


def build_five_second_results(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> FiveSecondPage:
    """The five-second results page of ``study``."""
    summary = analyse_five_second(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    median = summary.median_answer_s
    svgs: dict[str, Markup] = {}
    for q in summary.questions:
        fig = chart_for(summary, f"q-{q.id}")
        if fig is not None:
            svgs[q.id] = svg_markup(
                charts.render(fig, "svg"), label=str(fig.get_suptitle())
            )
    report = FiveSecondReport(
        study_title=study.title,
        study_slug=study.slug,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        summary=summary,
        questions=question_views(
            summary,
            {
                str(v["key"]): str(v.get("name") or v["key"])
                for v in study.settings.get("variants") or []
            },
        ),
        display_time_s=float(study.settings.get("display_time_s", 5.0)),
        images=[
            {
                "variant": str(i.get("variant") or ""),
                "image": str(i.get("image", "")),
                "alt": str(i.get("alt", "")),
            }
            for i in study.settings.get("images", [])
        ],
        median_answer=f"{median:.0f} s" if median is not None else "",
    )
    return FiveSecondPage(report=report, formats=Formats(confidence_level), svgs=svgs)
