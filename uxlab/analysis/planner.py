"""The sample-size planner: participants needed for three kinds of goal."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from uxlab import stats
from uxlab.analysis.options import AnalysisOptionError, parse_confidence_level


@dataclass(frozen=True, slots=True)
class PlanResult:
    """Sample sizes for three goals, with the inputs that produced them."""

    confidence_level: float
    margin_points: float
    proportion: float
    n_proportion: int
    margin_mean: float
    sd: float
    n_mean: int
    problem_p: float
    goal: float
    n_discovery: int
    seen_with_n: tuple[tuple[int, float], ...]


PLAN_DEFAULTS: Final = {
    "margin": "10",
    "proportion": "50",
    "margin_mean": "5",
    "sd": "17.7",
    "problem": "10",
    "goal": "85",
}


def _number(args: Mapping[str, str], name: str, low: float, high: float) -> float:
    raw = args.get(name) or PLAN_DEFAULTS[name]
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (low < value < high):
        raise AnalysisOptionError(
            f"{name} ({raw!r}) must be a number between {low:g} and {high:g} "
            "(exclusive)"
        )
    return value


def plan_sample_size(args: Mapping[str, str]) -> PlanResult:
    """Participants needed for the planner's goals; percentages come as 0-100.

    ``margin`` (points) and ``proportion`` (%) for a completion rate;
    ``margin_mean`` and ``sd`` for a mean (e.g. SUS); ``problem`` (% of users a
    problem affects) and ``goal`` (% chance to see it at least once).
    """
    cl = parse_confidence_level(args.get("cl"))
    margin = _number(args, "margin", 0, 100)
    proportion = _number(args, "proportion", 0, 100)
    margin_mean = _number(args, "margin_mean", 0, math.inf)
    sd = _number(args, "sd", 0, math.inf)
    problem = _number(args, "problem", 0, 100)
    goal = _number(args, "goal", 0, 100)
    try:
        n_prop = stats.sample_size_for_proportion(
            margin / 100, proportion=proportion / 100, confidence_level=cl
        )
        n_mean = stats.sample_size_for_mean(margin_mean, sd=sd, confidence_level=cl)
        n_disc = stats.sample_size_for_discovery(problem / 100, goal / 100)
    except ValueError as exc:
        raise AnalysisOptionError(str(exc)) from exc
    return PlanResult(
        confidence_level=cl,
        margin_points=margin,
        proportion=proportion,
        n_proportion=n_prop,
        margin_mean=margin_mean,
        sd=sd,
        n_mean=n_mean,
        problem_p=problem / 100,
        goal=goal / 100,
        n_discovery=n_disc,
        seen_with_n=tuple(
            (n, stats.problem_discovery(problem / 100, n))
            for n in (3, 5, 8, 10, 15, 20)
        ),
    )
