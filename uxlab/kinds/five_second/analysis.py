"""A five-second test's answers, summarised per question with the intervals
the field uses: adjusted-Wald for shares, the t-interval for mean ratings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from uxlab import stats
from uxlab.coding import Code, Codebook, FiveSecondAnswerCode
from uxlab.models import FiveSecondAnswer, FiveSecondView, Participant

from . import questions

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study
    from uxlab.stats.results import ProportionResult, RatingResult

#: Below this many answers to a question its results say the sample is small.
SMALL_SAMPLE = 20
#: How the intervals are computed, as the pages name them.
SHARE_METHOD = "adjusted-Wald interval (Agresti & Coull 1998; Sauro & Lewis 2005)"
MEAN_METHOD = "t-interval of the mean (Sauro & Lewis 2016, ch. 3)"


@dataclass(frozen=True, slots=True)
class Share:
    """How many of the answers fall in one option or carry one code."""

    label: str
    count: int
    result: ProportionResult | None
    #: The code's id, for a code of open answers.
    code_id: int | None = None


@dataclass(frozen=True, slots=True)
class OpenAnswer:
    """One open answer and the ids of the codes it carries."""

    id: int
    participant: str
    variant: str
    text: str
    codes: frozenset[int]


@dataclass(frozen=True, slots=True)
class QuestionSummary:
    """One recall question's answers, summarised by its type."""

    id: str
    type: str
    text: str
    #: Participants who answered (blank open answers not counted).
    n: int
    small_sample: bool
    #: A choice question's options, or an open question's codes.
    shares: list[Share] = field(default_factory=list)
    rating: RatingResult | None = None
    #: Answers per point of a rating scale, lowest first.
    distribution: list[int] = field(default_factory=list)
    scale: int = 0
    labels: list[str] = field(default_factory=list)
    answers: list[OpenAnswer] = field(default_factory=list)
    #: Open answers no code is given to yet.
    uncoded: int = 0
    #: The same summary for each variant's participants alone, by variant key
    #: (empty for a study without variants).
    by_variant: dict[str, QuestionSummary] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FiveSecondSummary:
    """Every question's summary, and how many participants answered."""

    n: int
    questions: list[QuestionSummary]
    #: Median seconds from showing the image to the answers.
    median_answer_s: float | None
    confidence_level: float = 0.95
    include_excluded: bool = False


def _participants(
    session: Session, study: Study, *, include_excluded: bool
) -> list[Participant]:
    query = select(Participant).where(
        Participant.study_id == study.id,
        Participant.preview == False,  # noqa: E712
    )
    if not include_excluded:
        query = query.where(Participant.excluded == False)  # noqa: E712
    return list(session.exec(query.order_by(col(Participant.id))).all())


def answers_by_question(
    session: Session, people: list[Participant]
) -> dict[str, list[tuple[Participant, FiveSecondAnswer]]]:
    """Every stored answer of ``people``, by question id, in participant order."""
    by_id = {p.id: p for p in people}
    rows = session.exec(
        select(FiveSecondAnswer)
        .where(col(FiveSecondAnswer.participant_id).in_(list(by_id)))
        .order_by(col(FiveSecondAnswer.participant_id))
    ).all()
    out: dict[str, list[tuple[Participant, FiveSecondAnswer]]] = {}
    for row in rows:
        out.setdefault(row.question, []).append((by_id[row.participant_id], row))
    return out


def codes_of(session: Session, study: Study) -> dict[str, list[Code]]:
    """The study's codes, by question id, in the order they were made."""
    out: dict[str, list[Code]] = {}
    for code in session.exec(
        select(Code)
        .where(
            Code.study_id == study.id,
            col(Code.codebook).startswith(Codebook.question_prefix(study)),
        )
        .order_by(col(Code.id))
    ):
        out.setdefault(Codebook.question_of(code), []).append(code)
    return out


def codings(session: Session, answer_ids: list[int]) -> dict[int, set[int]]:
    """The code ids each answer carries."""
    out: dict[int, set[int]] = {}
    if not answer_ids:
        return out
    for link in session.exec(
        select(FiveSecondAnswerCode).where(
            col(FiveSecondAnswerCode.subject_id).in_(answer_ids)
        )
    ):
        out.setdefault(link.subject_id, set()).add(link.code_id)
    return out


def _share(
    label: str, count: int, n: int, cl: float, code_id: int | None = None
) -> Share:
    result = stats.completion_rate(count, n, confidence_level=cl) if n else None
    return Share(label, count, result, code_id)


def _median_answer_s(session: Session, people: list[Participant]) -> float | None:
    ids = [p.id for p in people]
    views = session.exec(
        select(FiveSecondView).where(col(FiveSecondView.participant_id).in_(ids))
    ).all()
    spans = sorted(
        _seconds(v.shown_at, v.answered_at) for v in views if v.answered_at is not None
    )
    if not spans:
        return None
    mid = len(spans) // 2
    return spans[mid] if len(spans) % 2 else (spans[mid - 1] + spans[mid]) / 2


def _seconds(start: datetime, end: datetime) -> float:
    if start.tzinfo is None or end.tzinfo is None:
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return (end - start).total_seconds()


def _summarise(
    q: dict[str, Any],
    rows: list[tuple[Participant, FiveSecondAnswer]],
    codes: list[Code],
    coded: dict[int, set[int]],
    cl: float,
) -> QuestionSummary:
    qid, kind, text = str(q["id"]), str(q["type"]), str(q["text"])
    if kind == "choice":
        picked = [a.value_text for _, a in rows if a.value_text]
        n = len(picked)
        shares = [_share(str(o), picked.count(o), n, cl) for o in q.get("options", [])]
        return QuestionSummary(qid, kind, text, n, n < SMALL_SAMPLE, shares=shares)
    if kind == "rating":
        scale = int(q.get("scale", 5))
        # Only points of the scale the study asks on now count.
        values = [
            int(a.value_num)
            for _, a in rows
            if a.value_num is not None and 1 <= a.value_num <= scale
        ]
        result = (
            stats.rating_summary(values, scale=(1, scale), confidence_level=cl)
            if values
            else None
        )
        return QuestionSummary(
            qid,
            kind,
            text,
            len(values),
            len(values) < SMALL_SAMPLE,
            rating=result,
            distribution=[values.count(v) for v in range(1, scale + 1)],
            scale=scale,
            labels=list(q.get("labels", [])),
        )
    answers = [
        OpenAnswer(
            a.id or 0,
            person.code,
            person.variant or "",
            a.value_text or "",
            frozenset(coded.get(a.id or 0, set())),
        )
        for person, a in rows
        if a.value_text
    ]
    n = len(answers)
    shares = [
        _share(c.label, sum(1 for a in answers if c.id in a.codes), n, cl, c.id)
        for c in codes
    ]
    return QuestionSummary(
        qid,
        kind,
        text,
        n,
        n < SMALL_SAMPLE,
        shares=shares,
        answers=answers,
        uncoded=sum(1 for a in answers if not a.codes),
    )


def analyse_five_second(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> FiveSecondSummary:
    """Each question's answers: a choice question's shares and an open
    question's code counts with adjusted-Wald intervals over its answers
    (:func:`uxlab.stats.completion_rate`), a rating's mean with its
    t-interval (:func:`uxlab.stats.rating_summary`)."""
    people = _participants(session, study, include_excluded=include_excluded)
    by_question = answers_by_question(session, people)
    codes = codes_of(session, study)
    coded = codings(
        session,
        [a.id for rows in by_question.values() for _, a in rows if a.id is not None],
    )
    variants = [str(v["key"]) for v in study.settings.get("variants") or []]
    summaries = []
    for q in questions(study):
        rows = by_question.get(str(q["id"]), [])
        qcodes = codes.get(str(q["id"]), [])
        whole = _summarise(q, rows, qcodes, coded, confidence_level)
        split = {
            key: _summarise(
                q,
                [(p, a) for p, a in rows if p.variant == key],
                qcodes,
                coded,
                confidence_level,
            )
            for key in variants
        }
        summaries.append(replace(whole, by_variant=split))
    answered = {p.id for rows in by_question.values() for p, _ in rows}
    return FiveSecondSummary(
        len(answered),
        summaries,
        _median_answer_s(session, people),
        confidence_level,
        include_excluded,
    )
