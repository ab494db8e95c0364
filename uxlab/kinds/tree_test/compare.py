"""Comparing the trees of a tree test's variants: each task's success rate in
each later variant against the first, as the usability Compare page compares
completion rates (:func:`uxlab.stats.compare_completion`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from uxlab import numbers, stats

if TYPE_CHECKING:
    from uxlab.stats.results import ComparisonResult, ProportionResult

    from .analysis import TreeTestSummary

__all__ = ["INTERVAL", "SuccessComparison", "compare_success", "success_sentence"]

#: The interval of a difference of success rates, as the sentences name it.
INTERVAL = "adjusted-Wald interval of the difference"


@dataclass(frozen=True, slots=True)
class SuccessComparison:
    """One task's success in variant B against variant A: B minus A."""

    key: str
    title: str
    variant_a: str
    name_a: str
    variant_b: str
    name_b: str
    success_a: ProportionResult | None
    success_b: ProportionResult | None
    #: None until both variants have answers to the task.
    result: ComparisonResult | None
    #: The verdict in words, read from the interval; "" without a result.
    sentence: str


def _test(result: ComparisonResult) -> str:
    from uxlab.analysis.compare import format_p

    if result.method.startswith("fisher"):
        return f"Fisher's exact test, {format_p(result.p_value)}"
    return f"N-1 two-proportion test, {format_p(result.p_value)}"


def success_sentence(
    result: ComparisonResult, name_a: str, name_b: str, confidence_level: float
) -> str:
    """The verdict on ``result`` (success of B minus A), read from its
    interval so that the words never disagree with the interval shown, and
    naming the interval's method and the test's.

    >>> r = stats.compare_completion(2, 9, 7, 8, method="auto")
    >>> success_sentence(r, "A", "B", 0.95)  # doctest: +NORMALIZE_WHITESPACE
    'B is lower than A by 65 points (95 % CI −89 to −17 points, adjusted-Wald
    interval of the difference; N-1 two-proportion test, p = 0.009)'
    >>> r = stats.compare_completion(2, 3, 2, 2, method="auto")
    >>> print(success_sentence(r, "A", "B", 0.95))  # doctest: +NORMALIZE_WHITESPACE
    no detectable difference; the 95 % interval runs from −76 to 45 points
    (adjusted-Wald interval of the difference; Fisher's exact test, p = 1.00)
    """
    from uxlab.analysis.compare import verdict

    level = f"{100 * confidence_level:g} %"
    difference = 100 * result.difference
    low, high = 100 * result.ci.low, 100 * result.ci.high
    direction = verdict(result.ci)
    if direction == 0:
        return (
            f"no detectable difference; the {level} interval runs from "
            f"{numbers.signed(low, 0)} to {numbers.signed(high, 0)} points "
            f"({INTERVAL}; {_test(result)})"
        )
    digits = 0
    while digits < 3 and round(abs(difference), digits) == 0:
        digits += 1  # an interval clear of 0 never shows a difference of "0"
    word = "higher" if direction > 0 else "lower"
    return (
        f"{name_b} is {word} than {name_a} by {abs(difference):.{digits}f} points "
        f"({level} CI {numbers.signed(low, digits)} to "
        f"{numbers.signed(high, digits)} points, {INTERVAL}; {_test(result)})"
    )


def compare_success(
    trees: list[TreeTestSummary], *, confidence_level: float = 0.95
) -> list[SuccessComparison]:
    """Each task's success in every variant after the first against the
    first's, in the tasks' order.

    Fisher's exact test where an expected count is under 1, the N-1
    two-proportion test otherwise (Campbell 2007), as on the Compare page.
    """
    if len(trees) < 2:
        return []
    first, *others = trees
    out = []
    for other in others:
        for task_a, task_b in zip(first.tasks, other.tasks, strict=True):
            a = task_a.result.success if task_a.result is not None else None
            b = task_b.result.success if task_b.result is not None else None
            result = None
            sentence = ""
            if a is not None and b is not None:
                result = stats.compare_completion(
                    b.successes,
                    b.trials,
                    a.successes,
                    a.trials,
                    confidence_level=confidence_level,
                    method="auto",
                )
                sentence = success_sentence(
                    result, first.variant_name, other.variant_name, confidence_level
                )
            out.append(
                SuccessComparison(
                    key=task_a.key,
                    title=task_a.title,
                    variant_a=str(first.variant),
                    name_a=first.variant_name,
                    variant_b=str(other.variant),
                    name_b=other.variant_name,
                    success_a=a,
                    success_b=b,
                    result=result,
                    sentence=sentence,
                )
            )
    return out
