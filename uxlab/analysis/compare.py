"""Comparing two designs: variants of one study, or two studies, task by task."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlmodel import Session, col, select

from uxlab import numbers, stats
from uxlab.analysis.data import (
    FloatArray,
    StudyData,
    _keep,
    _sus_questionnaire,
    _sus_scores,
    load_study_data,
    sus_missing_policy,
)
from uxlab.analysis.options import AnalysisOptionError, parse_confidence_level
from uxlab.models import Study
from uxlab.stats import ComparisonResult, ConfidenceInterval, ProportionResult


def format_p(p: float | None) -> str:
    """A p-value as reports print it: three decimals from 0.001 to 0.1.

    >>> format_p(0.0241), format_p(0.0495), format_p(0.0042), format_p(0.52)
    ('p = 0.024', 'p = 0.050', 'p = 0.004', 'p = 0.52')
    >>> format_p(0.00001), format_p(None)
    ('p < 0.001', 'p not defined')
    """
    if p is None:
        return "p not defined"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.1:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _level(confidence_level: float) -> str:
    return f"{100 * confidence_level:g} %"


def _signed(value: float, digits: int = 0) -> str:
    return numbers.signed(value, digits)


def verdict(ci: ConfidenceInterval, null: float = 0.0) -> int:
    """+1 when the interval lies above ``null``, -1 below it, 0 when it holds it.

    The verdict is read from the interval shown, never from a p-value whose
    test may disagree with the interval's method near the boundary.

    >>> verdict(ConfidenceInterval(0.03, 0.43)), verdict(ConfidenceInterval(-0.02, 0.9))
    (1, 0)
    """
    if ci.low > null:
        return 1
    if ci.high < null:
        return -1
    return 0


def _digits(values: Sequence[float], digits: int, null: float) -> int:
    """Enough decimals that no value that differs from ``null`` prints as it."""
    for extra in range(4):
        if all(
            v == null or round(v, digits + extra) != round(null, digits + extra)
            for v in values
        ):
            return digits + extra
    return digits + 3


def _test(result: ComparisonResult) -> str:
    if result.method.startswith("fisher"):
        return f"Fisher's exact test, {format_p(result.p_value)}"
    return format_p(result.p_value)


def _difference_sentence(
    result: ComparisonResult,
    what: str,
    label_b: str,
    confidence_level: float,
    *,
    scale: float,
    digits: int,
    words: tuple[str, str],
) -> str:
    level = _level(confidence_level)
    low, high = scale * result.ci.low, scale * result.ci.high
    direction = verdict(result.ci)
    if direction == 0:
        return (
            f"{what}: no detectable difference; the {level} interval runs from "
            f"{_signed(low, digits)} to {_signed(high, digits)} points "
            f"({_test(result)})"
        )
    d = _digits((scale * result.difference, low, high), digits, 0.0)
    word = words[0] if direction > 0 else words[1]
    return (
        f"{what}: {label_b} is {word} by "
        f"{abs(scale * result.difference):.{d}f} points ({level} CI "
        f"{_signed(low, d)} to {_signed(high, d)} points; {_test(result)})"
    )


def completion_sentence(
    result: ComparisonResult, label_a: str, label_b: str, confidence_level: float
) -> str:
    """Verdict on ``result`` = completion of B minus A, read from its interval.

    >>> r = stats.compare_completion(40, 60, 15, 35)
    >>> s = completion_sentence(r, "Design A", "Design B", 0.95)
    >>> s  # doctest: +NORMALIZE_WHITESPACE
    'Completion rate: Design B is higher by 24 points (95 % CI 3 to 43 points;
    p = 0.024)'
    >>> r = stats.compare_completion(3, 5, 0, 5)
    >>> s = completion_sentence(r, "Design A", "Design B", 0.95)
    >>> s  # doctest: +NORMALIZE_WHITESPACE
    'Completion rate: no detectable difference; the 95 % interval runs from −2
    to 88 points (p = 0.050)'
    """
    return _difference_sentence(
        result,
        "Completion rate",
        label_b,
        confidence_level,
        scale=100,
        digits=0,
        words=("higher", "lower"),
    )


def time_sentence(
    result: ComparisonResult, label_a: str, label_b: str, confidence_level: float
) -> str:
    """Verdict on a ratio of geometric mean times (B over A), read from its interval.

    >>> r = stats.compare_times([40, 52, 35, 60, 48], [61, 70, 55, 90, 66])
    >>> time_sentence(r, "A", "B", 0.95)  # doctest: +NORMALIZE_WHITESPACE
    'Completion time: B is shorter by 32 % (ratio of geometric means 0.68,
    95 % CI 0.51 to 0.92; p = 0.017)'
    """
    level = _level(confidence_level)
    direction = verdict(result.ci, 1.0)
    d = _digits((result.difference, result.ci.low, result.ci.high), 2, 1.0)
    ratio = f"{result.ci.low:.{d}f} to {result.ci.high:.{d}f}"
    if direction == 0:
        return (
            "Completion time: no detectable difference; the "
            f"{level} interval of the ratio of geometric means ({label_b} ÷ "
            f"{label_a}) runs from {ratio} ({_test(result)})"
        )
    change = abs(100 * (result.difference - 1))
    shown = f"{change:.0f}" if round(change) else f"{change:.1f}"
    word = "longer" if direction > 0 else "shorter"
    return (
        f"Completion time: {label_b} is {word} by {shown} % (ratio of geometric "
        f"means {result.difference:.{d}f}, {level} CI {ratio}; {_test(result)})"
    )


def mean_sentence(
    result: ComparisonResult,
    what: str,
    label_a: str,
    label_b: str,
    confidence_level: float,
    *,
    digits: int = 1,
) -> str:
    """Verdict on a difference of means (B minus A), read from its interval.

    >>> r = stats.compare_means([70, 80, 75, 85], [60, 65, 70, 62.5])
    >>> mean_sentence(r, "SUS score", "A", "B", 0.95)  # doctest: +NORMALIZE_WHITESPACE
    'SUS score: B is higher by 13.1 points (95 % CI 3.3 to 23.0 points;
    p = 0.018)'
    """
    return _difference_sentence(
        result,
        what,
        label_b,
        confidence_level,
        scale=1,
        digits=digits,
        words=("higher", "lower"),
    )


@dataclass(frozen=True, slots=True)
class TaskComparison:
    key: str
    title: str
    completion_a: ProportionResult | None
    completion_b: ProportionResult | None
    completion: ComparisonResult | None
    time: ComparisonResult | None
    seq: ComparisonResult | None
    sentences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Design B against design A: differences are B minus A, ratios B over A."""

    label_a: str
    label_b: str
    title_a: str
    title_b: str
    n_a: int
    n_b: int
    confidence_level: float
    tasks: tuple[TaskComparison, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    sus: ComparisonResult | None
    sus_sentence: str


@dataclass(frozen=True, slots=True)
class _Group:
    data: StudyData
    keep_a: npt.NDArray[np.bool_]
    keep_r: npt.NDArray[np.bool_]
    n: int

    def task(self, key: str) -> int:
        return next(j for j, t in enumerate(self.data.tasks) if t.key == key)

    def completion(self, j: int) -> tuple[int, int]:
        outcome = self.data.a_outcome[self.keep_a & (self.data.a_task == j)]
        return int((outcome == "success").sum()), int((outcome != "").sum())

    def success_times(self, j: int) -> FloatArray:
        sel = (
            self.keep_a
            & (self.data.a_task == j)
            & (self.data.a_outcome == "success")
            & (self.data.a_duration > 0)
        )
        return np.asarray(self.data.a_duration[sel], dtype=np.float64)

    def seq(self, j: int) -> FloatArray:
        q = next((q for q in self.data.after_each_task if q.kind == "seq"), None)
        if q is None:
            return np.empty(0)
        sel = (
            self.keep_r & (self.data.r_task == j) & (self.data.r_questionnaire == q.id)
        )
        values = self.data.r_value[sel]
        return np.asarray(values[~np.isnan(values)], dtype=np.float64)

    def sus(self) -> FloatArray:
        q = _sus_questionnaire(self.data)
        if q is None:
            return np.empty(0)
        return _sus_scores(self.data, self.keep_r, q.id, sus_missing_policy(self.data))[
            2
        ]


def _and(words: list[str]) -> str:
    """ "A and B", "A, B and C".

    >>> _and(["A", "B"]), _and(["X", "Y", "Z"])
    ('A and B', 'X, Y and Z')
    """
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _group(data: StudyData, include_excluded: bool, variant: str | None) -> _Group:
    keep_p, keep_a, keep_r = _keep(data, include_excluded, variant)
    return _Group(data, keep_a, keep_r, int(keep_p.sum()))


def _compare(
    a: _Group,
    b: _Group,
    *,
    label_a: str,
    label_b: str,
    title_a: str,
    title_b: str,
    confidence_level: float,
) -> Comparison:
    keys_a = [t.key for t in a.data.tasks]
    keys_b = {t.key for t in b.data.tasks}
    common = [k for k in keys_a if k in keys_b]
    sus_a, sus_b = a.sus(), b.sus()
    if not common and (sus_a.size == 0 or sus_b.size == 0):
        if all(_sus_questionnaire(g.data) is not None for g in (a, b)):
            why = "no task ids in common, and the SUS has no answers in " + (
                " or ".join(
                    t for t, s in ((title_a, sus_a), (title_b, sus_b)) if s.size == 0
                )
            )
        else:
            why = "no task ids and no SUS in common"
        raise AnalysisOptionError(
            f"{title_a} and {title_b} have {why}, so there is nothing to compare yet."
        )
    cl = confidence_level
    rows = []
    for key in common:
        ja, jb = a.task(key), b.task(key)
        (xa, na), (xb, nb) = a.completion(ja), b.completion(jb)
        sentences = []
        completion = None
        if na and nb:
            # Fisher-Irwin where an expected count is under 1 (Campbell 2007).
            completion = stats.compare_completion(
                xb, nb, xa, na, confidence_level=cl, method="auto"
            )
            sentences.append(completion_sentence(completion, label_a, label_b, cl))
        ta, tb = a.success_times(ja), b.success_times(jb)
        time = None
        if ta.size >= 2 and tb.size >= 2:
            time = stats.compare_times(tb, ta, confidence_level=cl)
            sentences.append(time_sentence(time, label_a, label_b, cl))
        sa, sb = a.seq(ja), b.seq(jb)
        seq = None
        if sa.size >= 2 and sb.size >= 2:
            seq = stats.compare_means(sb, sa, confidence_level=cl)
            sentences.append(mean_sentence(seq, "SEQ", label_a, label_b, cl, digits=1))
        rows.append(
            TaskComparison(
                key=key,
                title=a.data.tasks[ja].title,
                completion_a=stats.completion_rate(xa, na, confidence_level=cl)
                if na
                else None,
                completion_b=stats.completion_rate(xb, nb, confidence_level=cl)
                if nb
                else None,
                completion=completion,
                time=time,
                seq=seq,
                sentences=tuple(sentences),
            )
        )
    sus = None
    sus_sentence = ""
    if sus_a.size >= 2 and sus_b.size >= 2:
        sus = stats.compare_means(sus_b, sus_a, confidence_level=cl)
        sus_sentence = mean_sentence(sus, "SUS score", label_a, label_b, cl)
    return Comparison(
        label_a=label_a,
        label_b=label_b,
        title_a=title_a,
        title_b=title_b,
        n_a=a.n,
        n_b=b.n,
        confidence_level=cl,
        tasks=tuple(rows),
        only_a=tuple(k for k in keys_a if k not in keys_b),
        only_b=tuple(t.key for t in b.data.tasks if t.key not in set(keys_a)),
        sus=sus,
        sus_sentence=sus_sentence,
    )


def comparable_studies(
    session: Session, workspace_id: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str, list[tuple[str, str]]]]]:
    """A workspace's usability studies (slug, title), and those with variants.

    Each study with two or more variants comes with its variants' keys and
    names. Studies of other kinds are left out: their results pages compare
    them in their own terms (see :func:`other_kinds_with_variants`).
    """
    studies = [s for s in _studies(session, workspace_id) if _is_usability(s)]
    plain = [(s.slug, s.title) for s in studies]
    with_variants = [
        (
            s.slug,
            s.title,
            [
                (str(v["key"]), str(v.get("name") or v["key"]))
                for v in s.settings.get("variants", [])
            ],
        )
        for s in studies
        if len(s.settings.get("variants", [])) >= 2
    ]
    return plain, with_variants


def other_kinds_with_variants(
    session: Session, workspace_id: int
) -> list[tuple[str, str, str]]:
    """Studies of other kinds with variants: (slug, title, kind label) each."""
    from uxlab.kinds import kind_of

    return [
        (s.slug, s.title, kind_of(s).label)
        for s in _studies(session, workspace_id)
        if not _is_usability(s) and len(s.settings.get("variants", [])) >= 2
    ]


def _studies(session: Session, workspace_id: int) -> list[Study]:
    return list(
        session.exec(
            select(Study)
            .where(Study.workspace_id == workspace_id)
            .order_by(col(Study.id))
        ).all()
    )


def _is_usability(study: Study) -> bool:
    from uxlab.kinds import DEFAULT_KIND, kind_of

    return kind_of(study).name == DEFAULT_KIND


def _usability_only(*studies: Study) -> None:
    """Refuse a study of another kind: Compare goes task by task."""
    from uxlab.kinds import kind_of

    for study in studies:
        if not _is_usability(study):
            raise AnalysisOptionError(
                f"Compare compares usability studies task by task; "
                f"{study.title} is a {kind_of(study).label.lower()}, whose "
                f"results page shows its own figures"
                + (
                    " and compares its variants."
                    if study.settings.get("variants")
                    else "."
                )
            )


def compare_studies(
    session: Session,
    study_a: Study,
    study_b: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> Comparison:
    """Compare two studies (two designs or two rounds) task by task, by task key."""
    cl = parse_confidence_level(confidence_level)
    _usability_only(study_a, study_b)
    if study_a.id == study_b.id:
        raise AnalysisOptionError(
            "Pick two different studies: a study compared with itself shows nothing."
        )
    a = _group(load_study_data(session, study_a), include_excluded, None)
    b = _group(load_study_data(session, study_b), include_excluded, None)
    return _compare(
        a,
        b,
        label_a=study_a.title,
        label_b=study_b.title,
        title_a=study_a.title,
        title_b=study_b.title,
        confidence_level=cl,
    )


def compare_variants(
    session: Session,
    study: Study,
    variant_a: str,
    variant_b: str,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> Comparison:
    """Compare two variants (designs) of one study, e.g. "A" and "B"."""
    cl = parse_confidence_level(confidence_level)
    _usability_only(study)
    data = load_study_data(session, study)
    names = dict(data.variants)
    for v in (variant_a, variant_b):
        if v not in names:
            raise AnalysisOptionError(
                f"{study.title} has no variant “{v}”; its variants are "
                f"{_and(list(names))}."
            )
    if variant_a == variant_b:
        raise AnalysisOptionError(
            "Pick two different variants: a variant compared with itself shows nothing."
        )
    return _compare(
        _group(data, include_excluded, variant_a),
        _group(data, include_excluded, variant_b),
        label_a=f"Design {variant_a}",
        label_b=f"Design {variant_b}",
        title_a=f"Design {variant_a}: {names[variant_a]}",
        title_b=f"Design {variant_b}: {names[variant_b]}",
        confidence_level=cl,
    )
