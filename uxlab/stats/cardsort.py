"""Card sorts: similarity, clusters, distances between sorts, placements."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy import cluster, optimize, spatial

from ._validation import FloatArray, check_choice, check_confidence_level
from .proportions import completion_rates
from .results import PlacementResult

__all__ = [
    "LINKAGE_METHODS",
    "card_clusters",
    "placement_matrix",
    "similarity_matrix",
    "sort_distance",
]

#: Linkage methods accepted by :func:`card_clusters`.
LINKAGE_METHODS: Final = frozenset({"average", "complete", "single"})

IntArray = npt.NDArray[np.int64]


def _card_index(cards: Any) -> dict[Hashable, int]:
    if isinstance(cards, str | bytes) or not isinstance(cards, Iterable):
        raise ValueError(f"cards ({cards!r}) must be a list of card ids")
    index: dict[Hashable, int] = {}
    for card in cards:
        if card in index:
            raise ValueError(f"cards lists {card!r} twice; card ids must be unique")
        index[card] = len(index)
    if not index:
        raise ValueError("cards is empty; a card sort needs at least one card")
    return index


def _groups(name: str, sort: Any) -> list[list[Any]]:
    """One sort as a list of groups, each a list of card ids."""
    if isinstance(sort, str | bytes) or not isinstance(sort, Iterable):
        raise ValueError(f"{name} ({sort!r}) must be a list of groups of card ids")
    groups = []
    for g, group in enumerate(sort):
        if isinstance(group, list):
            groups.append(group)
            continue
        if isinstance(group, str | bytes) or not isinstance(group, Iterable):
            raise ValueError(
                f"{name}[{g}] ({group!r}) must be a group (a list of card ids)"
            )
        groups.append(list(group))
    return groups


def _memberships(
    sorts: Any, index: Mapping[Hashable, int], *, name: str = "sorts"
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Flatten sorts into (participant, group, card) codes, checking each sort.

    Group codes run over all participants' groups together.  Raises on a card
    that is not in ``index`` and on a card placed twice in one sort.
    """
    if isinstance(sorts, str | bytes) or not isinstance(sorts, Iterable):
        raise ValueError(f"{name} must be a list of sorts, one per participant")
    who: list[int] = []
    group_of: list[int] = []
    card_of: list[int] = []
    groups_seen = 0
    participants = 0
    for p, sort in enumerate(sorts):
        participants += 1
        for g, group in enumerate(_groups(f"{name}[{p}]", sort)):
            for card in group:
                code = index.get(card)
                if code is None:
                    raise ValueError(
                        f"{name}[{p}][{g}] holds {card!r}, which is not one of "
                        "the cards"
                    )
                card_of.append(code)
            group_of.extend([groups_seen] * len(group))
            who.extend([p] * len(group))
            groups_seen += 1
    p_arr = np.asarray(who, dtype=np.int64)
    c_arr = np.asarray(card_of, dtype=np.int64)
    k = len(index)
    keys = p_arr * k + c_arr
    unique, counts = np.unique(keys, return_counts=True)
    if (counts > 1).any():
        p_bad, c_bad = divmod(int(unique[counts > 1][0]), k)
        card = next(c for c, i in index.items() if i == c_bad)
        raise ValueError(
            f"{name}[{p_bad}] places {card!r} twice (in two groups, or twice in "
            "one); a sort puts each card in one group"
        )
    return p_arr, np.asarray(group_of, dtype=np.int64), c_arr, participants


def similarity_matrix(sorts: Any, cards: Sequence[Hashable]) -> FloatArray:
    r"""Share of participants who put each pair of cards in the same group.

    Parameters
    ----------
    sorts : sequence of sorts
        One sort per participant: a list of groups, each a list of card ids.
        A card a participant left unsorted is simply absent from the sort.
    cards : sequence of card ids
        The cards, in the order of the matrix's rows and columns.

    Returns
    -------
    ndarray of float, shape (k, k)
        Symmetric, with entries in [0, 1] and ones on the diagonal.  An entry
        is ``nan`` when no participant sorted both cards.

    Raises
    ------
    ValueError
        If ``cards`` is empty or repeats an id, a sort holds a card that is not
        in ``cards``, or a sort places a card twice.

    Notes
    -----
    With :math:`G_p(i)` the group participant p put card i in,

    .. math:: S_{ij} = \frac{\#\{p : G_p(i) = G_p(j)\}}
                            {\#\{p : p \text{ sorted both } i \text{ and } j\}}

    counting only participants who sorted both cards (Tullis & Wood 2004,
    "How many users are enough for a card-sorting study?").  It is computed
    as matrix products: with M the 0/1 matrix of groups x cards and U that of
    participants x cards sorted, the numerator is :math:`M^\top M` and the
    denominator :math:`U^\top U`.

    Examples
    --------
    >>> from uxlab import stats
    >>> sorts = [[["cat", "dog"], ["car"]], [["cat", "dog", "car"]]]
    >>> stats.similarity_matrix(sorts, ["cat", "dog", "car"])
    array([[1. , 1. , 0.5],
           [1. , 1. , 0.5],
           [0.5, 0.5, 1. ]])
    """
    index = _card_index(cards)
    who, group, card, participants = _memberships(sorts, index)
    k = len(index)
    members = np.zeros((max(int(group.max(initial=-1)) + 1, 1), k))
    members[group, card] = 1.0
    sorted_by = np.zeros((max(participants, 1), k))
    sorted_by[who, card] = 1.0
    together = members.T @ members
    both = sorted_by.T @ sorted_by
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = np.where(both > 0, together / both, np.nan)
    np.fill_diagonal(similarity, 1.0)
    return similarity


def card_clusters(similarity: Any, *, method: str = "average") -> FloatArray:
    r"""Hierarchical clustering of cards from their similarity matrix.

    Parameters
    ----------
    similarity : array_like, shape (k, k)
        A matrix from :func:`similarity_matrix`: symmetric, entries in [0, 1],
        no ``nan``, at least two cards.
    method : {"average", "complete", "single"}, default "average"
        Linkage.  Average linkage (UPGMA) is the common choice for card sorts.

    Returns
    -------
    ndarray of float, shape (k - 1, 4)
        The scipy linkage matrix (:func:`scipy.cluster.hierarchy.linkage`):
        each row merges two clusters at a distance, with the new cluster's
        size.  Cut it with :func:`scipy.cluster.hierarchy.fcluster` and order
        cards with :func:`scipy.cluster.hierarchy.leaves_list`.

    Raises
    ------
    ValueError
        If the matrix is not square, not symmetric, has fewer than two cards,
        an entry outside [0, 1] or a ``nan`` (two cards nobody sorted
        together), or ``method`` is not allowed.

    Notes
    -----
    The distance between cards is :math:`d_{ij} = 1 - S_{ij}`, passed to
    scipy in condensed form.  Average linkage merges the two clusters with
    the smallest mean pairwise distance (Sokal & Michener 1958); the linkage
    chosen changes the tree, so name it beside a dendrogram (Macías,
    "card sort dendrograms").

    Examples
    --------
    >>> import numpy as np
    >>> from uxlab import stats
    >>> s = np.array([[1, 0.9, 0.1], [0.9, 1, 0.2], [0.1, 0.2, 1]])
    >>> stats.card_clusters(s).round(3)
    array([[0.  , 1.  , 0.1 , 2.  ],
           [2.  , 3.  , 0.85, 3.  ]])
    """
    check_choice("method", method, LINKAGE_METHODS)
    if isinstance(similarity, str | bytes):
        raise ValueError("similarity must be a square matrix of numbers")
    try:
        s = np.asarray(similarity, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"similarity must be a square matrix of numbers: {exc}"
        ) from None
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"similarity must be a square matrix, got shape {s.shape}")
    if s.shape[0] < 2:
        raise ValueError("similarity has fewer than two cards; nothing to cluster")
    if np.isnan(s).any():
        i, j = (int(v) for v in np.argwhere(np.isnan(s))[0])
        raise ValueError(
            f"similarity[{i}, {j}] is nan: no participant sorted both cards, so "
            "they cannot be clustered"
        )
    if ((s < 0) | (s > 1)).any():
        raise ValueError("similarity must hold shares, every entry in [0, 1]")
    if not np.allclose(s, s.T, rtol=0.0, atol=1e-12):
        raise ValueError("similarity must be symmetric")
    distance = 1.0 - s
    np.fill_diagonal(distance, 0.0)
    condensed = spatial.distance.squareform(distance, checks=False)
    linkage: FloatArray = cluster.hierarchy.linkage(condensed, method=method)
    return linkage


def _labels(name: str, sort: Any) -> tuple[dict[Any, int], int]:
    """Each card's group number in one sort (empty groups skipped)."""
    labels: dict[Any, int] = {}
    number = 0
    for group in _groups(name, sort):
        if not group:
            continue
        for card in group:
            if card in labels:
                raise ValueError(
                    f"{name} places {card!r} twice; a sort puts each card in one group"
                )
            labels[card] = number
        number += 1
    return labels, number


def sort_distance(a: Any, b: Any) -> int:
    r"""Fewest cards that must move to turn one sort into another.

    Parameters
    ----------
    a, b : sequence of groups
        Two sorts of the same cards, each a list of groups of card ids.
        Empty groups and the order of groups and of cards are ignored.

    Returns
    -------
    int
        The edit distance of Deibel, Anderson & Anderson (2005): 0 exactly
        when the two sorts are the same partition.

    Raises
    ------
    ValueError
        If a sort places a card twice or the two sorts hold different cards.

    Notes
    -----
    With :math:`O_{gh} = |A_g \cap B_h|` the overlap of group g of a and
    group h of b, the distance is

    .. math:: d(a, b) = n - \max_{\pi} \sum_g O_{g\,\pi(g)}

    over one-to-one matchings :math:`\pi` of groups (Deibel, Anderson &
    Anderson 2005, "Using edit distance to analyze card sorts", Expert
    Systems 22(3)), an assignment problem solved by
    :func:`scipy.optimize.linear_sum_assignment`.  It is a metric on the
    partitions of a set.

    Examples
    --------
    The published example:

    >>> from uxlab import stats
    >>> stats.sort_distance(
    ...     [[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4], [5, 6, 7], [8, 9]]
    ... )
    3
    """
    labels_a, groups_a = _labels("a", a)
    labels_b, groups_b = _labels("b", b)
    if labels_a.keys() != labels_b.keys():
        extra = sorted(map(repr, labels_a.keys() ^ labels_b.keys()))[:3]
        raise ValueError(
            "a and b must sort the same cards; only one of them holds "
            + ", ".join(extra)
        )
    n = len(labels_a)
    if n == 0:
        return 0
    in_a = np.fromiter(labels_a.values(), dtype=np.int64, count=n)
    in_b = np.fromiter((labels_b[c] for c in labels_a), dtype=np.int64, count=n)
    overlap = np.bincount(in_a * groups_b + in_b, minlength=groups_a * groups_b)
    overlap = overlap.reshape(groups_a, groups_b)
    rows, cols = optimize.linear_sum_assignment(overlap, maximize=True)
    return n - int(overlap[rows, cols].sum())


def placement_matrix(
    sorts: Any,
    cards: Sequence[Hashable],
    categories: Sequence[Hashable],
    *,
    confidence_level: float = 0.95,
) -> PlacementResult:
    r"""Share of participants who put each card in each category.

    Parameters
    ----------
    sorts : sequence of mappings
        One closed or hybrid sort per participant: a mapping of category to
        the cards put in it.  Categories that are not in ``categories``
        (created by a participant of a hybrid sort) count as "other".
    cards : sequence of card ids
        The cards, in the order of the rows.
    categories : sequence of category names
        The study's categories, in the order of the columns.
    confidence_level : float, default 0.95
        Confidence level of the agreement intervals.

    Returns
    -------
    PlacementResult
        Counts and shares per card and category, and per card the top category
        with its agreement share and adjusted-Wald interval.

    Raises
    ------
    ValueError
        If ``cards`` or ``categories`` is empty or repeats an entry, a sort is
        not a mapping, holds an unknown card or places a card twice.

    Notes
    -----
    :math:`P_{ij} = c_{ij} / m_i`, with :math:`c_{ij}` the participants who put
    card i in category j and :math:`m_i` those who sorted card i.  The
    agreement of card i is :math:`\max_j c_{ij} / m_i`, with the adjusted-Wald
    interval of Sauro & Lewis (2005) (Agresti & Coull 1998).  Agreement above
    about 60 % is commonly read as good, above 80 % as strong.

    Examples
    --------
    >>> from uxlab import stats
    >>> sorts = [{"Pets": ["cat", "dog"]}, {"Pets": ["cat"], "Cars": ["dog"]}]
    >>> r = stats.placement_matrix(sorts, ["cat", "dog"], ["Pets", "Cars"])
    >>> r.shares
    array([[1. , 0. ],
           [0.5, 0.5]])
    >>> r.top_category, r.agreement
    (('Pets', 'Pets'), array([1. , 0.5]))
    """
    confidence_level = check_confidence_level(confidence_level)
    index = _card_index(cards)
    if isinstance(categories, str | bytes) or not isinstance(categories, Iterable):
        raise ValueError(f"categories ({categories!r}) must be a list of names")
    column: dict[Hashable, int] = {}
    for category in categories:
        if category in column:
            raise ValueError(f"categories lists {category!r} twice")
        column[category] = len(column)
    if not column:
        raise ValueError("categories is empty; a closed sort needs categories")
    if isinstance(sorts, str | bytes) or not isinstance(sorts, Iterable):
        raise ValueError("sorts must be a list of sorts, one per participant")
    as_groups: list[list[list[Any]]] = []
    group_column: list[int] = []
    for p, sort in enumerate(sorts):
        if not isinstance(sort, Mapping):
            raise ValueError(
                f"sorts[{p}] must be a mapping of category to the cards put in it"
            )
        as_groups.append(list(sort.values()))
        group_column.extend(column.get(name, -1) for name in sort)
    _, group, card, _ = _memberships(as_groups, index)
    k, c = len(index), len(column)
    col_of = np.asarray(group_column, dtype=np.int64)[group]
    counts = np.zeros((k, c + 1), dtype=np.int64)  # last column: other
    np.add.at(counts, (card, col_of), 1)  # -1 lands in the last column
    placed = counts.sum(axis=1)
    named = counts[:, :c]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = named / placed[:, None]
    top = named.argmax(axis=1)
    top_count = named[np.arange(k), top]
    rates = completion_rates(
        top_count, np.maximum(placed, 1), confidence_level=confidence_level
    )
    nobody = placed == 0
    no_top = nobody | (top_count == 0)
    cat_names = tuple(column)
    return PlacementResult(
        cards=tuple(index),
        categories=cat_names,
        counts=named,
        other=counts[:, c],
        placed=placed,
        shares=np.where(nobody[:, None], np.nan, shares),
        top_category=tuple(
            None if no_top[i] else cat_names[int(top[i])] for i in range(k)
        ),
        agreement=np.where(nobody, np.nan, rates.observed),
        low=np.where(nobody, np.nan, rates.low),
        high=np.where(nobody, np.nan, rates.high),
        confidence_level=confidence_level,
        method="adjusted-wald",
    )
