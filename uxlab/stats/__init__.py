"""Statistics for usability testing, with the intervals UX research trusts.

A pure library (numpy and scipy only) implementing the methods of Sauro & Lewis,
*Quantifying the User Experience*, and the papers it builds on: completion rates
with adjusted-Wald intervals, task times on the log scale, SUS and other
questionnaires, NPS, comparisons of two designs, sample-size planning,
lostness, and the analysis of tree tests, card sorts and preference tests.
Every function validates its input and raises :class:`ValueError` naming the
bad value and what is allowed; results are frozen dataclasses whose intervals
are :class:`ConfidenceInterval` named tuples clipped to the possible range.

>>> from uxlab import stats
>>> stats.completion_rate(4, 5).ci  # doctest: +ELLIPSIS
ConfidenceInterval(low=0.3596..., high=0.9796...)
"""

from __future__ import annotations

from .cardsort import (
    card_clusters,
    placement_matrix,
    similarity_matrix,
    sort_distance,
)
from .compare import compare_completion, compare_means, compare_nps, compare_times
from .navigation import lostness, lostness_category
from .net_promoter import nps, nps_from_counts
from .planning import (
    problem_discovery,
    sample_size_for_discovery,
    sample_size_for_mean,
    sample_size_for_proportion,
)
from .preference import preference
from .proportions import completion_rate, completion_rates
from .ratings import csat, rating_summary, top_box, umux_lite
from .results import (
    ComparisonResult,
    CompletionRates,
    ConfidenceInterval,
    NPSResult,
    PlacementResult,
    PreferenceResult,
    ProportionResult,
    RatingResult,
    SUSResult,
    SUSSubscales,
    TaskTimes,
    TimeResult,
    TimesSummary,
    TreeTaskResult,
    UMUXLiteResult,
)
from .sus import (
    sus_acceptability,
    sus_adjective,
    sus_grade,
    sus_percentile,
    sus_score,
    sus_subscales,
    sus_summary,
)
from .sus_missing import sus_scores_with_missing
from .times import median_ci, task_times, time_on_task, times_summary
from .trees import tree_test_task

__all__ = [
    "ComparisonResult",
    "CompletionRates",
    "ConfidenceInterval",
    "NPSResult",
    "PlacementResult",
    "PreferenceResult",
    "ProportionResult",
    "RatingResult",
    "SUSResult",
    "SUSSubscales",
    "TaskTimes",
    "TimeResult",
    "TimesSummary",
    "TreeTaskResult",
    "UMUXLiteResult",
    "card_clusters",
    "compare_completion",
    "compare_means",
    "compare_nps",
    "compare_times",
    "completion_rate",
    "completion_rates",
    "csat",
    "lostness",
    "lostness_category",
    "median_ci",
    "nps",
    "nps_from_counts",
    "placement_matrix",
    "preference",
    "problem_discovery",
    "rating_summary",
    "sample_size_for_discovery",
    "sample_size_for_mean",
    "sample_size_for_proportion",
    "similarity_matrix",
    "sort_distance",
    "sus_acceptability",
    "sus_adjective",
    "sus_grade",
    "sus_percentile",
    "sus_score",
    "sus_scores_with_missing",
    "sus_subscales",
    "sus_summary",
    "task_times",
    "time_on_task",
    "times_summary",
    "top_box",
    "tree_test_task",
    "umux_lite",
]
