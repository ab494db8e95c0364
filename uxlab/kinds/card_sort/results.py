"""A card sort's results page and charts: the similarity heat map in
dendrogram order, the dendrogram with its cut, the placement matrix, the
standardisation grid and each participant's sort."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from markupsafe import Markup
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from scipy.cluster import hierarchy

from uxlab import charts, numbers
from uxlab.report import Formats, svg_markup

from .analysis import LINKAGE, CardSortSummary, analyse_card_sort

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study

#: Card sorts up to this many cards print the share in each heat-map cell.
ANNOTATE_UP_TO = 25

_METHODS = {
    "adjusted-wald": "adjusted-Wald interval (Agresti & Coull 1998; Sauro & Lewis 2005)"
}


def _label(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def similarity_chart(summary: CardSortSummary, *, subtitle: str = "") -> Figure:
    """The similarity matrix as a heat map, cards in dendrogram order, so the
    groups participants agree on show as dark blocks on the diagonal."""
    assert summary.similarity is not None
    k = len(summary.cards)
    index = {c: i for i, c in enumerate(summary.cards)}
    order = [index[c] for c in summary.order]
    matrix = summary.similarity[np.ix_(order, order)]
    size = min(max(6.0, 0.28 * k + 3.0), 30.0)
    fig = charts._figure(size)
    fig.set_size_inches(max(charts._WIDTH_IN, size + 1.5), size)
    ax = fig.add_subplot()
    image = ax.imshow(
        np.ma.masked_invalid(100 * matrix),
        cmap="Blues",
        vmin=0,
        vmax=100,
        interpolation="nearest",
        aspect="equal",
    )
    image.set_gid("similarity-matrix")
    labels = [_label(summary.labels[summary.cards[i]]) for i in order]
    font = 11 if k <= 30 else max(4, int(11 - k / 12))
    ax.set_xticks(range(k), labels, rotation=90, fontsize=font)
    ax.set_yticks(range(k), labels, fontsize=font)
    if k <= ANNOTATE_UP_TO:
        for i in range(k):
            for j in range(k):
                value = matrix[i, j]
                if np.isnan(value):
                    continue
                ax.text(
                    j,
                    i,
                    f"{100 * value:.0f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > 0.6 else charts.GREY,
                )
    bar = fig.colorbar(image, ax=ax, shrink=0.6)
    bar.set_label("Grouped together (% of participants who sorted both)")
    ax.spines[:].set_visible(False)
    charts._titles(fig, ax, "Similarity matrix", subtitle)
    return fig


def dendrogram_chart(summary: CardSortSummary, *, subtitle: str = "") -> Figure:
    """The average-linkage dendrogram, distance 1 - similarity, with the cut."""
    assert summary.linkage is not None
    k = len(summary.cards)
    height = max(4.2, 1.6 + 0.3 * k)
    # Fixed margins: the constrained layout measures every leaf label several
    # times, which costs seconds for a hundred cards.
    with matplotlib.rc_context({"font.size": charts._BASE_FONT}):
        fig = Figure(figsize=(charts._WIDTH_IN, height))
    fig.subplots_adjust(
        left=0.33, right=0.97, top=1 - 1.1 / height, bottom=0.9 / height
    )
    ax = fig.add_subplot()
    labels = [_label(summary.labels[c], 36) for c in summary.cards]
    # scipy lays the tree out; it is drawn here as one line collection, which
    # is much faster than scipy's own plotting for a hundred cards.
    tree = hierarchy.dendrogram(summary.linkage, labels=labels, no_plot=True)
    segments = [
        np.column_stack([d, i])
        for i, d in zip(tree["icoord"], tree["dcoord"], strict=True)
    ]
    below = [max(d) <= summary.cut for d in tree["dcoord"]]
    lines = LineCollection(
        segments,
        colors=[charts.OKABE_ITO["blue"] if b else charts.GREY for b in below],
        linewidths=1.6,
    )
    lines.set_gid("dendrogram-links")
    ax.add_collection(lines)
    ax.set_yticks(
        [5 + 10 * i for i in range(k)],
        tree["ivl"],
        fontsize=11 if k <= 40 else max(5, int(11 - k / 15)),
    )
    ax.set_ylim(0, 10 * k)
    ax.invert_yaxis()  # the first leaf at the top, as in the heat map
    ax.axvline(
        summary.cut,
        color=charts.OKABE_ITO["vermillion"],
        ls="--",
        lw=2,
        label=f"Cut at {summary.cut:g}: {len(summary.clusters)} groups",
        gid="dendrogram-cut",
    )
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("Distance (1 − share who grouped the cards together)")
    ax.legend(loc="lower right", fontsize=11, frameon=True)
    charts._style(ax)
    charts._titles(fig, ax, "Dendrogram", subtitle)
    return fig


def _subtitle(summary: CardSortSummary) -> str:
    return f"n = {summary.n} sorts · {LINKAGE} linkage (UPGMA)"


def chart_bytes(summary: CardSortSummary, name: str, fmt: str) -> bytes:
    """The ``similarity`` or ``dendrogram`` chart as SVG or PNG (NotFoundError
    otherwise, or before anyone has finished)."""
    from uxlab.errors import NotFoundError

    if fmt not in charts.CHART_FORMATS:
        raise NotFoundError(f"no chart format {fmt!r}; use svg or png")
    makers = {"similarity": similarity_chart, "dendrogram": dendrogram_chart}
    if name not in makers:
        raise NotFoundError(
            f"no chart {name!r}; a card sort has 'similarity' and 'dendrogram'"
        )
    if summary.linkage is None:
        raise NotFoundError("no participant has finished the sort yet")
    return charts.render(makers[name](summary, subtitle=_subtitle(summary)), fmt)


@dataclass(frozen=True, slots=True)
class HeatRow:
    """One row of the similarity matrix as the page's table shows it."""

    card: str
    #: (percentage text, shade class) per column.
    cells: list[tuple[str, str]]


def heat_rows(summary: CardSortSummary) -> list[HeatRow]:
    """The similarity matrix in dendrogram order, as a table of shaded cells
    (shade ``h0``-``h10`` in steps of 10 %; ``hna`` where no one sorted both).

    The page shows the matrix as a table, readable by screen readers and fast
    for a hundred cards; the SVG and PNG downloads draw it with matplotlib.
    """
    assert summary.similarity is not None
    index = {c: i for i, c in enumerate(summary.cards)}
    order = [index[c] for c in summary.order]
    matrix = summary.similarity[np.ix_(order, order)]
    percent = np.rint(100 * np.nan_to_num(matrix, nan=0.0)).astype(int)
    shade = np.rint(10 * np.nan_to_num(matrix, nan=0.0)).astype(int)
    missing = np.isnan(matrix)
    rows = []
    for i, card in enumerate(summary.order):
        cells = [
            ("–", "hna") if missing[i, j] else (str(percent[i, j]), f"h{shade[i, j]}")
            for j in range(len(order))
        ]
        rows.append(HeatRow(summary.labels[card], cells))
    return rows


@dataclass(frozen=True, slots=True)
class PlacementRow:
    card: str
    shares: list[str]
    top: str
    agreement: str
    interval: str
    other: int
    placed: int


@dataclass(frozen=True, slots=True)
class SortRow:
    code: str
    excluded: bool
    distance: str
    groups: list[tuple[str, str, list[str]]]
    unknown: list[str]
    unsorted: int


@dataclass(frozen=True, slots=True)
class CardSortReport:
    """What the results page of a card sort shows."""

    study_title: str
    study_slug: str
    confidence_level: float
    include_excluded: bool
    summary: CardSortSummary
    heat: list[HeatRow]
    clusters: list[list[str]]
    placement_columns: list[str]
    placement: list[PlacementRow]
    method: str
    sorts: list[SortRow]
    mean_distance: str
    questionnaires: list[str] = field(default_factory=list)


@dataclass
class CardSortPage:
    report: CardSortReport
    formats: Formats
    svgs: dict[str, Markup] = field(default_factory=dict)


def build_card_sort_results(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
    cut: float | None = None,
) -> CardSortPage:
    """The card-sort results page of ``study``, its charts as inline SVG."""
    from .analysis import DEFAULT_CUT

    summary = analyse_card_sort(
        session,
        study,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        cut=DEFAULT_CUT if cut is None else cut,
    )
    f = Formats(confidence_level)
    labels = summary.labels
    svgs: dict[str, Markup] = {}
    heat: list[HeatRow] = []
    if summary.linkage is not None:
        fig = dendrogram_chart(summary, subtitle=_subtitle(summary))
        svgs["dendrogram"] = svg_markup(
            charts.render(fig, "svg"), label=str(fig.get_suptitle())
        )
        heat = heat_rows(summary)
    rows: list[PlacementRow] = []
    columns: list[str] = []
    method = ""
    p = summary.placement
    if p is not None:
        columns = [str(c) for c in p.categories]
        method = _METHODS.get(p.method, p.method)
        for i, card in enumerate(p.cards):
            placed = int(p.placed[i])
            rows.append(
                PlacementRow(
                    card=labels[str(card)],
                    shares=[
                        f.pct(float(p.shares[i, j])) if placed else "–"
                        for j in range(len(columns))
                    ],
                    top=str(p.top_category[i] or "–"),
                    agreement=f.pct(float(p.agreement[i])) if placed else "–",
                    interval=numbers.pct_range(float(p.low[i]), float(p.high[i]))
                    if placed
                    else "–",
                    other=int(p.other[i]),
                    placed=placed,
                )
            )
    sorts = []
    distances = [s.distance for s in summary.sorts if s.distance is not None]
    for s in summary.sorts:
        unknown = [labels[c] for c in s.sort.unknown]
        sorts.append(
            SortRow(
                code=s.code,
                excluded=s.excluded,
                distance="–" if s.distance is None else str(s.distance),
                groups=[
                    (standard, typed, [labels[c] for c in cards])
                    for standard, typed, cards in s.groups
                ],
                unknown=unknown,
                unsorted=len(summary.cards) - len(s.sort.placed),
            )
        )
    from uxlab.questionnaires import build_questionnaire

    product = study.settings.get("product", "this product")
    report = CardSortReport(
        study_title=study.title,
        study_slug=study.slug,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        summary=summary,
        heat=heat,
        clusters=[[labels[c] for c in group] for group in summary.clusters],
        placement_columns=columns,
        placement=rows,
        method=method,
        sorts=sorts,
        mean_distance=f"{np.mean(distances):.1f}" if distances else "–",
        questionnaires=[
            build_questionnaire(q, product=product).title
            for q in study.settings.get("questionnaires", [])
        ],
    )
    return CardSortPage(report=report, formats=f, svgs=svgs)
