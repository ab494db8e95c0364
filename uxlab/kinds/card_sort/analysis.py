"""A card sort's analysis: similarity, clusters, placements, distances.

Only submitted sorts count (a sort left half-way is not a participant's
answer), never a researcher's preview, and excluded participants only when
asked. Group names are read through the researcher's standardised names
(:class:`~uxlab.kinds.card_sort.models.CardSortName`), so "Pets" and
"animals" merged there are one category in every view and export.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.cluster import hierarchy
from sqlmodel import col, select

from uxlab import stats
from uxlab.models import Participant, utcnow

from .models import CardSort, CardSortName
from .sorting import Sort, card_ids, fold, from_row
from .spec import MAX_GROUP_NAME

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study
    from uxlab.stats.results import PlacementResult

#: Below this many sorts the results say the sample is small: Tullis & Wood
#: (2004) found that about 15 participants give a similarity matrix that
#: correlates 0.90 with that of a large sample (20-30 about 0.93-0.95).
SMALL_SAMPLE = 15
#: Where the dendrogram is cut unless the researcher chooses: cards closer
#: than this (1 - the share who grouped them) end up in one group.
DEFAULT_CUT = 0.5
#: Linkage used for the clusters and the dendrogram.
LINKAGE = "average"


@dataclass(frozen=True, slots=True)
class ParticipantSort:
    """One participant's submitted sort, names as standardised."""

    code: str
    excluded: bool
    sort: Sort
    #: (standard name, name as typed, cards) per non-empty group.
    groups: list[tuple[str, str, tuple[str, ...]]]
    #: Cards moved to turn this sort into the consensus (None: fewer than 2 cards).
    distance: int | None = None


@dataclass(frozen=True, slots=True)
class NameRow:
    """A group name participants used, for the standardisation grid."""

    raw: str
    shown: str
    standard: str
    participants: int
    top_cards: list[str]


@dataclass(frozen=True, slots=True)
class CardSortSummary:
    """Everything the results, charts and exports of a card sort show."""

    sort_type: str
    cards: list[str]
    labels: dict[str, str]
    categories: list[str]
    sorts: list[ParticipantSort]
    n: int
    small_sample: bool
    similarity: np.ndarray | None
    #: The scipy linkage matrix of 1 - similarity (None below two cards or sorts).
    linkage: np.ndarray | None
    #: Card ids in dendrogram order.
    order: list[str]
    cut: float
    #: The groups the dendrogram cut makes (card ids, largest first).
    clusters: list[list[str]]
    placement: PlacementResult | None
    names: list[NameRow]
    #: Pairs of cards no participant sorted both of (clustered as unrelated).
    unpaired: int
    unknown_counts: dict[str, int]
    in_progress: int
    confidence_level: float = 0.95
    include_excluded: bool = False
    sentence: str = ""
    standard_names: dict[str, str] = field(default_factory=dict)


def standard_names(session: Session, study: Study) -> dict[str, str]:
    """Folded name as typed -> standard name, as the researcher set them."""
    rows = session.exec(
        select(CardSortName).where(CardSortName.study_id == study.id)
    ).all()
    return {r.raw: r.standard for r in rows}


def set_standard_names(session: Session, study: Study, names: Mapping[str, str]) -> int:
    """Store the standard name of each folded name typed (a blank one is
    removed, so the name counts as typed again). Returns how many changed."""
    from uxlab.errors import InvalidAnswerError

    existing = {
        r.raw: r
        for r in session.exec(
            select(CardSortName).where(CardSortName.study_id == study.id)
        ).all()
    }
    changed = 0
    for raw, standard in names.items():
        raw = fold(raw)
        standard = " ".join(standard.split())
        if not raw:
            continue
        if len(standard) > MAX_GROUP_NAME:
            raise InvalidAnswerError(
                f"standard name {standard[:20]!r}… is longer than {MAX_GROUP_NAME} "
                "characters"
            )
        row = existing.get(raw)
        if not standard or fold(standard) == raw and row is None:
            if row is not None:
                session.delete(row)
                changed += 1
            continue
        if row is None:
            assert study.id is not None
            row = CardSortName(study_id=study.id, raw=raw, standard=standard)
        elif row.standard == standard:
            continue
        row.standard = standard
        row.updated_at = utcnow()
        session.add(row)
        changed += 1
    session.commit()
    return changed


def submitted_sorts(
    session: Session, study: Study, *, include_excluded: bool = True
) -> list[tuple[Participant, Sort]]:
    """Every non-preview participant's submitted sort, in the order they joined."""
    query = (
        select(Participant, CardSort)
        .join(CardSort, col(CardSort.participant_id) == col(Participant.id))
        .where(
            Participant.study_id == study.id,
            col(Participant.preview).is_(False),
            col(CardSort.submitted_at).is_not(None),
        )
        .order_by(col(Participant.id))
    )
    if not include_excluded:
        query = query.where(col(Participant.excluded).is_(False))
    known = set(card_ids(study))
    return [(person, from_row(row, known)) for person, row in session.exec(query).all()]


def _name_of(
    names: Mapping[str, str], categories: Mapping[str, str], typed: str
) -> str:
    folded = fold(typed)
    if folded in names:
        return names[folded]
    return categories.get(folded, typed)


def _cut(
    linkage: np.ndarray, order: list[int], cards: list[str], cut: float
) -> list[list[str]]:
    labels = hierarchy.fcluster(linkage, t=cut, criterion="distance")
    groups: dict[int, list[str]] = {}
    for i in order:  # dendrogram order, so each group reads as the tree shows it
        groups.setdefault(int(labels[i]), []).append(cards[i])
    return sorted(groups.values(), key=len, reverse=True)


def _consensus_distance(
    sort_groups: list[tuple[str, ...]], consensus: list[list[str]]
) -> int | None:
    sorted_cards = {c for g in sort_groups for c in g}
    if len(sorted_cards) < 2:
        return None
    target = [[c for c in g if c in sorted_cards] for g in consensus]
    return stats.sort_distance([list(g) for g in sort_groups], [g for g in target if g])


def analyse_card_sort(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
    cut: float = DEFAULT_CUT,
) -> CardSortSummary:
    """Similarity matrix, average-linkage clusters cut at ``cut``, the
    placement matrix (closed and hybrid sorts: the study's categories; open
    sorts: the standard names two or more participants used), each sort's
    distance from the consensus, and the names for the standardisation grid."""
    settings = study.settings
    cards = card_ids(study)
    labels = {str(c["id"]): str(c["text"]) for c in settings.get("cards", [])}
    sort_type = str(settings.get("sort", "open"))
    study_categories = [str(c) for c in settings.get("categories", [])]
    folded_categories = {fold(c): c for c in study_categories}
    names = standard_names(session, study)
    taken = submitted_sorts(session, study, include_excluded=include_excluded)
    in_progress = _in_progress(session, study)

    typed: dict[str, Counter[str]] = {}
    people_per_name: Counter[str] = Counter()
    cards_per_name: dict[str, Counter[str]] = {}
    unknown_counts: Counter[str] = Counter()
    per_person: list[
        tuple[Participant, Sort, list[tuple[str, str, tuple[str, ...]]]]
    ] = []
    for person, sort in taken:
        groups = []
        for g in sort.groups:
            if not g.cards:
                continue
            standard = _name_of(names, folded_categories, g.name)
            groups.append((standard, g.name, g.cards))
            key = fold(g.name)
            typed.setdefault(key, Counter())[g.name] += 1
            people_per_name[key] += 1
            cards_per_name.setdefault(key, Counter()).update(g.cards)
        unknown_counts.update(sort.unknown)
        per_person.append((person, sort, groups))

    n = len(per_person)
    sorts_as_groups = [[list(g[2]) for g in groups] for _, _, groups in per_person]
    similarity = linkage = None
    order_idx = list(range(len(cards)))
    clusters: list[list[str]] = []
    unpaired = 0
    if n:
        similarity = stats.similarity_matrix(sorts_as_groups, cards)
        unpaired = int(np.isnan(similarity[np.triu_indices(len(cards), 1)]).sum())
        filled = np.nan_to_num(similarity, nan=0.0)
        linkage = stats.card_clusters(filled, method=LINKAGE)
        order_idx = [int(i) for i in hierarchy.leaves_list(linkage)]
        clusters = _cut(linkage, order_idx, cards, cut)

    # Placement: merge a participant's groups that share a standard name.
    if sort_type == "open":
        counted: Counter[str] = Counter()
        for _, _, groups in per_person:
            counted.update({g[0] for g in groups})
        columns = [name for name, k in counted.most_common() if k >= 2][:20]
    else:
        columns = study_categories
    placement = None
    if n and columns:
        mappings = []
        for _, _, groups in per_person:
            merged: dict[str, list[str]] = {}
            for standard, _, group_cards in groups:
                merged.setdefault(standard, []).extend(group_cards)
            mappings.append(merged)
        placement = stats.placement_matrix(
            mappings, cards, columns, confidence_level=confidence_level
        )

    sorts = [
        ParticipantSort(
            code=person.code,
            excluded=person.excluded,
            sort=sort,
            groups=groups,
            distance=_consensus_distance([g[2] for g in groups], clusters)
            if clusters
            else None,
        )
        for person, sort, groups in per_person
    ]
    name_rows = [
        NameRow(
            raw=key,
            shown=typed[key].most_common(1)[0][0],
            standard=names.get(key, ""),
            participants=people_per_name[key],
            top_cards=[labels[c] for c, _ in cards_per_name[key].most_common(3)],
        )
        for key in sorted(typed, key=lambda k: (-people_per_name[k], k))
    ]
    small = n < SMALL_SAMPLE
    sentence = _sentence(n, len(cards), clusters, cut, in_progress)
    return CardSortSummary(
        sort_type=sort_type,
        cards=cards,
        labels=labels,
        categories=study_categories,
        sorts=sorts,
        n=n,
        small_sample=small,
        similarity=similarity,
        linkage=linkage,
        order=[cards[i] for i in order_idx],
        cut=cut,
        clusters=clusters,
        placement=placement,
        names=name_rows,
        unpaired=unpaired,
        unknown_counts=dict(unknown_counts),
        in_progress=in_progress,
        confidence_level=confidence_level,
        include_excluded=include_excluded,
        sentence=sentence,
        standard_names=names,
    )


def _in_progress(session: Session, study: Study) -> int:
    rows = session.exec(
        select(CardSort.id)
        .join(Participant, col(CardSort.participant_id) == col(Participant.id))
        .where(
            Participant.study_id == study.id,
            col(Participant.preview).is_(False),
            col(CardSort.submitted_at).is_(None),
        )
    ).all()
    return len(rows)


def _sentence(
    n: int, k: int, clusters: list[list[str]], cut: float, in_progress: int
) -> str:
    if n == 0:
        text = "No participant has finished the sort yet."
    else:
        text = (
            f"{n} participant{'s' if n != 1 else ''} sorted {k} cards. Cut at a "
            f"distance of {cut:g} (cards grouped together by at least "
            f"{100 * (1 - cut):.0f} % of participants, on average), the "
            f"dendrogram gives {len(clusters)} "
            f"group{'s' if len(clusters) != 1 else ''}."
        )
        if n < SMALL_SAMPLE:
            text += (
                f" With only {n} sort{'s' if n != 1 else ''}, read the groups as a "
                "first indication: Tullis & Wood (2004) found about 15 participants "
                "are needed for a stable similarity matrix."
            )
    if in_progress:
        verb = "have" if in_progress != 1 else "has"
        text += f" {in_progress} more {verb} started and not finished."
    return text


def parse_cut(value: str | None) -> float:
    """The dendrogram cut height from a query string (default when absent)."""
    from uxlab.analysis import AnalysisOptionError

    if value is None or value == "":
        return DEFAULT_CUT
    try:
        cut = float(value)
    except ValueError:
        raise AnalysisOptionError(
            f"cut ({value!r}) must be a number between 0 and 1"
        ) from None
    if not math.isfinite(cut) or not 0 <= cut <= 1:
        raise AnalysisOptionError(f"cut ({value!r}) must be a number between 0 and 1")
    return cut
