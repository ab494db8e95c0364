"""A preference test's results page: shares with intervals, a chart, the
sentence, and the reasons by option."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from markupsafe import Markup
from matplotlib.figure import Figure

from uxlab import charts, numbers
from uxlab.report import Formats, svg_markup

from . import PreferenceSummary, analyse_preference

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study
    from uxlab.stats.results import PreferenceResult


def preference_chart(
    labels: list[str], result: PreferenceResult, *, subtitle: str = ""
) -> Figure:
    """Each option's share with its interval, and the equal share 1/k.

    An option is only preferred when its whole interval lies to the right of
    the dashed line (see :func:`uxlab.stats.preference`).
    """
    shares = result.shares
    fig, ax = charts.share_bars(
        labels,
        [
            charts.Share(
                float(shares.observed[i]),
                float(shares.low[i]),
                float(shares.high[i]),
                int(result.counts[i]),
                result.n,
            )
            for i in range(len(labels))
        ],
        chart="preference",
        title="Preference",
        subtitle=subtitle,
        xlabel="Chosen by (% of participants)",
    )
    equal = 100 / len(labels)
    ax.axvline(
        equal,
        color=charts.OKABE_ITO["vermillion"],
        ls="--",
        lw=2,
        label=f"Equal share {charts._pct(1 / len(labels))}",
        gid="preference-equal-share",
    )
    ax.legend(loc="lower right", fontsize=11, frameon=True)
    return fig


@dataclass(frozen=True, slots=True)
class OptionRow:
    label: str
    count: int
    share: str
    interval: str
    preferred: bool
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class PreferenceReport:
    """What the results page of a preference test shows."""

    study_title: str
    study_slug: str
    confidence_level: float
    include_excluded: bool
    summary: PreferenceSummary
    options: list[OptionRow]
    method: str
    test: str
    #: The titles of the closing questionnaires.
    questionnaires: list[str] = field(default_factory=list)


@dataclass
class PreferencePage:
    report: PreferenceReport
    formats: Formats
    svgs: dict[str, Markup] = field(default_factory=dict)


_METHODS = {
    "adjusted-wald": "adjusted-Wald interval (Agresti & Coull 1998; Sauro & Lewis 2005)"
}


def build_preference_results(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> PreferencePage:
    """The preference results page of ``study``, its chart as inline SVG."""
    summary = analyse_preference(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
    )
    f = Formats(confidence_level)
    result = summary.result
    rows: list[OptionRow] = []
    svgs: dict[str, Markup] = {}
    method = test = ""
    for i, (key, label) in enumerate(zip(summary.keys, summary.labels, strict=True)):
        if result is None:
            share = interval = "–"
            preferred = False
        else:
            share = f.pct(float(result.shares.observed[i]))
            interval = numbers.pct_range(
                float(result.shares.low[i]), float(result.shares.high[i])
            )
            preferred = bool(np.asarray(result.above_equal_share)[i])
        rows.append(
            OptionRow(
                label,
                summary.counts[i],
                share,
                interval,
                preferred,
                summary.reasons.get(key, []),
            )
        )
    if result is not None:
        method = _METHODS.get(result.shares.method, result.shares.method)
        test = (
            "exact two-sided binomial test against 50 % (scipy.stats.binomtest)"
            if result.test == "binomial"
            else "Pearson's chi-square goodness of fit against equal shares "
            "(scipy.stats.chisquare)"
        )
        fig = preference_chart(
            summary.labels,
            result,
            subtitle=f"n = {summary.n} participants · {f.level} CIs",
        )
        svgs["preference"] = svg_markup(
            charts.render(fig, "svg"), label=str(fig.get_suptitle())
        )
    from uxlab.questionnaires import build_questionnaire

    product = study.settings.get("product", "this product")
    titles = [
        build_questionnaire(q, product=product).title
        for q in study.settings.get("questionnaires", [])
    ]
    report = PreferenceReport(
        study_title=study.title,
        study_slug=study.slug,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        summary=summary,
        options=rows,
        method=method,
        test=test,
        questionnaires=titles,
    )
    return PreferencePage(report=report, formats=f, svgs=svgs)
