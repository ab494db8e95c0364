"""Tree tests: success, directness and first clicks of one task."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ._validation import as_float_array, check_confidence_level
from .proportions import completion_rates
from .results import ConfidenceInterval, ProportionResult, TimeResult, TreeTaskResult
from .times import time_on_task

__all__ = ["TREE_OUTCOMES", "tree_test_task"]

#: The outcomes of one tree-test attempt, as in ``TreeTaskResult.outcome``.
TREE_OUTCOMES: Final = ("success", "failure", "skip")

IntArray = npt.NDArray[np.int64]


class _Tree:
    """A tree's nodes numbered in preorder, for ancestor tests on arrays.

    Node ``b`` lies strictly below node ``a`` exactly when
    ``first[a] < first[b] <= last[a]``: ``first`` is the preorder number and
    ``last`` the largest preorder number in the node's subtree.
    """

    __slots__ = ("first", "index", "last")

    def __init__(self, parents: Any) -> None:
        if not isinstance(parents, Mapping) or not parents:
            raise ValueError(
                "parents must be a non-empty mapping of each node id to its "
                "parent's id (None for a top-level node)"
            )
        if None in parents:
            raise ValueError("parents has a node id None; None marks a skip")
        index = {node: i for i, node in enumerate(parents)}
        size = len(index)
        children: list[list[int]] = [[] for _ in range(size)]
        parent_of = [-1] * size
        roots: list[int] = []
        for node, parent in parents.items():
            i = index[node]
            if parent is None:
                roots.append(i)
                continue
            p = index.get(parent)
            if p is None:
                raise ValueError(
                    f"parents gives node {node!r} the parent {parent!r}, which "
                    "is not a node of the tree"
                )
            children[p].append(i)
            parent_of[i] = p
        # Preorder: a depth-first walk, children in the mapping's order.
        order: list[int] = []
        stack = roots[::-1]
        while stack:
            v = stack.pop()
            order.append(v)
            stack.extend(children[v][::-1])
        if len(order) != size:
            reached = set(order)
            stray = next(node for node, i in index.items() if i not in reached)
            raise ValueError(
                f"parents does not form a tree: node {stray!r} is on a cycle "
                "and never reaches a top-level node"
            )
        subtree = [1] * size
        for v in reversed(order):
            if parent_of[v] >= 0:
                subtree[parent_of[v]] += subtree[v]
        first = np.empty(size, dtype=np.int64)
        first[order] = np.arange(size)
        self.index = index
        self.first = first
        self.last = first + np.asarray(subtree, dtype=np.int64) - 1

    def below(self, a: IntArray, b: IntArray) -> npt.NDArray[np.bool_]:
        """Whether each node ``b`` lies strictly below the matching ``a``."""
        fb = self.first[b]
        return (self.first[a] < fb) & (fb <= self.last[a])


def _as_collection(name: str, values: Any) -> list[Any]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError(
            f"{name} ({values!r}) must be a list of node ids, not a single value"
        )
    return list(values)


def tree_test_task(
    paths: Sequence[Sequence[Hashable | None]],
    correct: Iterable[Hashable],
    *,
    parents: Mapping[Hashable, Hashable | None],
    seconds: Any = None,
    confidence_level: float = 0.95,
) -> TreeTaskResult:
    r"""Success, directness and first clicks of one tree-test task.

    Parameters
    ----------
    paths : sequence of sequences of node ids
        One path per participant: the nodes clicked, in order, ending at the
        chosen node, or at ``None`` for "I'd give up" (a skip).  A skip
        without a click is ``[None]``.  A chosen node repeated right after its
        own click (``[..., "b", "b"]``) counts once.
    correct : collection of node ids
        The task's correct nodes, at least one.
    parents : mapping
        Each node id of the tree to its parent's id, ``None`` for the
        top-level nodes.  It tells which moves go deeper and which go back.
    seconds : array_like of float, optional
        Each attempt's time in seconds, in the order of ``paths``; ``nan``
        for a missing time.
    confidence_level : float, default 0.95
        Confidence level of every interval.

    Returns
    -------
    TreeTaskResult
        Counts and shares with adjusted-Wald intervals, the time summary, the
        destinations and each attempt's own outcome.

    Raises
    ------
    ValueError
        If ``parents`` is not a tree, a path is empty, names a node that is
        not in the tree or has ``None`` before its end, ``correct`` is empty
        or names an unknown node, or ``seconds`` has the wrong length or a
        time that is not positive.

    Notes
    -----
    An attempt is a *success* when its chosen node is correct, a *failure*
    when it chose another node, a *skip* when it gave up.  A move from node
    a to node b goes *deeper* when b lies below a; every other move goes up
    the tree (b is an ancestor of a, or a itself clicked again to close it)
    or leaves a for another branch.  An attempt *backtracked* when it made
    at least one such move, and is *direct* otherwise (Optimal Workshop's
    support documentation on directness, which counts every attempt, whatever
    its answer).  The first click is correct when it lies on the path from
    the top of the tree to a correct node; success after a right first click
    is typically far above success after a wrong one (Bailey & Wolfson's
    first-click studies).

    Every share x/n is reported with the adjusted-Wald interval (Agresti &
    Coull 1998; Sauro & Lewis 2005):
    :math:`\tilde p \pm z\sqrt{\tilde p(1-\tilde p)/(n+z^2)}`,
    :math:`\tilde p = (x + z^2/2)/(n + z^2)`.

    Examples
    --------
    >>> from uxlab import stats
    >>> parents = {"Shop": None, "Shoes": "Shop", "Help": None, "Returns": "Help"}
    >>> paths = [
    ...     ["Help", "Returns"],  # direct success
    ...     ["Shop", "Help", "Returns"],  # indirect success
    ...     ["Shop", "Shoes"],  # direct failure
    ...     ["Shop", None],  # direct skip
    ... ]
    >>> r = stats.tree_test_task(paths, ["Returns"], parents=parents)
    >>> r.success.successes, r.direct_success.successes, r.directness.successes
    (2, 1, 3)
    >>> round(r.success.ci.low, 4), round(r.success.ci.high, 4)
    (0.15, 0.85)
    >>> r.destinations
    {'Returns': 2, 'Shoes': 1}
    """
    confidence_level = check_confidence_level(confidence_level)
    tree = _Tree(parents)
    correct_nodes = _as_collection("correct", correct)
    if not correct_nodes:
        raise ValueError("correct is empty; a task needs at least one correct node")
    for node in correct_nodes:
        if node is None or node not in tree.index:
            raise ValueError(f"correct names {node!r}, which is not a node of the tree")
    path_list = _as_collection("paths", paths)
    n = len(path_list)
    if n == 0:
        raise ValueError("paths is empty; at least one attempt is needed")

    flat: list[int] = []
    lengths: list[int] = []
    answer = np.full(n, -1, dtype=np.int64)
    destinations: dict[Hashable, int] = {}
    index = tree.index
    for i, raw in enumerate(path_list):
        path = raw if isinstance(raw, list) else _as_collection(f"paths[{i}]", raw)
        if not path:
            raise ValueError(
                f"paths[{i}] is empty; a path ends at the chosen node, or at "
                "None for a skip ([None] when nothing was clicked)"
            )
        chosen = path[-1]
        visited = path[:-1] if chosen is None else path
        if chosen is not None and len(path) > 1 and path[-2] == chosen:
            visited = path[:-1]
        codes_i = [index.get(node) for node in visited]
        if None in codes_i:
            node = visited[codes_i.index(None)]
            if node is None:
                raise ValueError(
                    f"paths[{i}] has None before its end; None marks a skip "
                    "and may only end a path"
                )
            raise ValueError(
                f"paths[{i}] visits {node!r}, which is not a node of the tree"
            )
        flat.extend(codes_i)  # type: ignore[arg-type]
        lengths.append(len(codes_i))
        if chosen is not None:
            answer[i] = index[chosen]
            destinations[chosen] = destinations.get(chosen, 0) + 1

    codes = np.asarray(flat, dtype=np.int64)
    who = np.repeat(np.arange(n), lengths)
    # A move is a pair of consecutive clicks of the same attempt.
    same = who[1:] == who[:-1]
    back = same & ~tree.below(codes[:-1], codes[1:])
    backtracked = np.bincount(who[1:][back], minlength=n) > 0
    direct = ~backtracked

    correct_codes = np.unique([index[c] for c in correct_nodes])
    is_correct = np.zeros(len(index), dtype=bool)
    is_correct[correct_codes] = True
    skipped = answer < 0
    succeeded = ~skipped & is_correct[np.maximum(answer, 0)]
    failed = ~skipped & ~succeeded

    # The first click of each attempt that clicked at all.
    clicked = np.zeros(n, dtype=bool)
    first_click = np.zeros(n, dtype=np.int64)
    if codes.size:
        starts = np.flatnonzero(np.r_[True, ~same])
        clicked[who[starts]] = True
        first_click[who[starts]] = codes[starts]
    # On a correct path: the first click is a correct node or an ancestor of one.
    fc = tree.first[first_click][:, None]
    fcorrect = tree.first[correct_codes][None, :]
    on_path = (fc <= fcorrect) & (fcorrect <= tree.last[first_click][:, None])
    first_ok = clicked & on_path.any(axis=1)

    groups = {
        "success": succeeded,
        "direct_success": succeeded & direct,
        "indirect_success": succeeded & backtracked,
        "failure": failed,
        "direct_failure": failed & direct,
        "indirect_failure": failed & backtracked,
        "skip": skipped,
        "direct_skip": skipped & direct,
        "indirect_skip": skipped & backtracked,
        "directness": direct,
        "first_click": first_ok,
    }
    shares = _shares(
        {name: (int(mask.sum()), n) for name, mask in groups.items()}
        | {
            "after_right": (int((succeeded & first_ok).sum()), int(first_ok.sum())),
            "after_wrong": (
                int((succeeded & ~first_ok).sum()),
                int((~first_ok).sum()),
            ),
        },
        confidence_level,
    )

    outcome = np.where(succeeded, "success", np.where(skipped, "skip", "failure"))
    return TreeTaskResult(
        n=n,
        success=shares["success"],
        direct_success=shares["direct_success"],
        indirect_success=shares["indirect_success"],
        failure=shares["failure"],
        direct_failure=shares["direct_failure"],
        indirect_failure=shares["indirect_failure"],
        skip=shares["skip"],
        direct_skip=shares["direct_skip"],
        indirect_skip=shares["indirect_skip"],
        directness=shares["directness"],
        first_click=shares["first_click"],
        success_after_correct_first_click=shares.get("after_right"),
        success_after_wrong_first_click=shares.get("after_wrong"),
        time=_times(seconds, n, confidence_level),
        destinations=dict(sorted(destinations.items(), key=lambda kv: -kv[1])),
        correct=frozenset(correct_nodes),
        outcome=outcome.astype(np.str_),
        direct=direct,
        first_click_correct=first_ok,
    )


def _shares(
    counts: dict[str, tuple[int, int]], confidence_level: float
) -> dict[str, ProportionResult]:
    """:func:`completion_rate` of every (x, n) at once; n = 0 is left out."""
    names = [name for name, (_, trials) in counts.items() if trials > 0]
    x = [counts[name][0] for name in names]
    trials = [counts[name][1] for name in names]
    rates = completion_rates(x, trials, confidence_level=confidence_level)
    return {
        name: ProportionResult(
            successes=x[i],
            trials=trials[i],
            observed=x[i] / trials[i],
            estimate=float(rates.estimate[i]),
            estimate_method=str(rates.estimate_method[i]),
            ci=ConfidenceInterval(float(rates.low[i]), float(rates.high[i])),
            confidence_level=confidence_level,
            method=rates.method,
        )
        for i, name in enumerate(names)
    }


def _times(seconds: Any, n: int, confidence_level: float) -> TimeResult | None:
    if seconds is None:
        return None
    x = as_float_array("seconds", seconds)
    if x.shape != (n,):
        raise ValueError(
            f"seconds has shape {x.shape}; it needs one time per path ({n}), "
            "nan for a missing one"
        )
    present = x[~np.isnan(x)]
    if present.size == 0:
        return None
    return time_on_task(present, confidence_level=confidence_level)
