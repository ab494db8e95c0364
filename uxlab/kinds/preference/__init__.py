"""Preference tests (``kind: preference``): which of 2-6 designs people choose.

A participant gives consent, sees the options in an order of their own and
chooses one (saying why, if the study asks), then answers the study's
closing questionnaires. The choice is kept as a
:class:`~uxlab.models.Response` of the ``preference`` questionnaire (items
``choice`` and ``why``), so it is stored once and a reload finds it.
The participant posts the choice through the generic step route
(:func:`uxlab.participation.submit_step`, which calls :meth:`PreferenceKind.submit`).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from uxlab.errors import InvalidAnswerError
from uxlab.kinds import CONSENT, DONE, Step, register
from uxlab.models import Participant, Response

from .spec import MAX_OPTIONS, MIN_OPTIONS, OptionSpec, PreferenceSpec

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study
    from uxlab.participation.base import StepPage
    from uxlab.stats.results import PreferenceResult

__all__ = [
    "MAX_OPTIONS",
    "MIN_OPTIONS",
    "PREFERENCE",
    "QUESTIONNAIRE",
    "OptionSpec",
    "PreferenceKind",
    "PreferenceSpec",
    "PreferenceSummary",
    "analyse_preference",
    "export_rows",
    "option_order",
    "record_choice",
]

#: The questionnaire id under which choices are stored.
QUESTIONNAIRE = "preference"
#: The step on which the options are shown.
CHOOSE = Step("choose")
#: Longest "why" answer kept.
MAX_WHY = 5_000
#: Below this many choices the results say the sample is small.
SMALL_SAMPLE = 20


def _keys(study: Study) -> list[str]:
    return [str(o["key"]) for o in study.settings.get("options", [])]


def option_order(study: Study, participant: Participant) -> list[str]:
    """The option keys in the order this participant sees them.

    Drawn from the participant's stored code, so the same participant always
    gets the same order (a reload shows what they saw) and the positions are
    spread evenly over participants.
    """
    keys = _keys(study)
    if not study.settings.get("randomise", True):
        return keys
    seed = hashlib.sha256(f"{study.slug}:{participant.code}".encode()).digest()
    rng = random.Random(int.from_bytes(seed[:8], "big"))
    rng.shuffle(keys)
    return keys


def _row(session: Session, participant: Participant, item: str) -> Response | None:
    return session.exec(
        select(Response).where(
            Response.participant_id == participant.id,
            Response.questionnaire == QUESTIONNAIRE,
            Response.item == item,
        )
    ).first()


def saved_choice(session: Session, participant: Participant) -> tuple[str | None, str]:
    """The participant's stored choice and reason ("" when none)."""
    choice = _row(session, participant, "choice")
    why = _row(session, participant, "why")
    return (
        choice.value_text if choice is not None else None,
        (why.value_text or "") if why is not None else "",
    )


def record_choice(
    session: Session,
    study: Study,
    participant: Participant,
    *,
    option: Any,
    why: Any = "",
) -> None:
    """Store the participant's choice (and reason); sent again, it replaces
    the first rather than adding a second.

    Raises InvalidAnswerError (422) when ``option`` is not one of the study's
    options or the reason is not text or too long: nothing is stored then.
    The caller commits.
    """
    keys = _keys(study)
    if not isinstance(option, str) or option not in keys:
        raise InvalidAnswerError(
            f"option {option!r} is not one of this study's options {keys}"
        )
    if why is None:
        why = ""
    if not isinstance(why, str):
        raise InvalidAnswerError("the reason must be text")
    if len(why) > MAX_WHY:
        raise InvalidAnswerError(
            f"the reason is {len(why)} characters; at most {MAX_WHY} are kept"
        )
    assert participant.id is not None
    for item, text in (("choice", option), ("why", why.strip())):
        row = _row(session, participant, item) or Response(
            participant_id=participant.id,
            questionnaire=QUESTIONNAIRE,
            scope="study",
            item=item,
        )
        row.value_num, row.value_text = None, text
        session.add(row)


def _choices(
    session: Session, study: Study, *, include_excluded: bool = False
) -> list[tuple[Participant, str, str]]:
    """(participant, option, reason) of every participant who chose, the
    excluded ones only if asked; never a researcher's preview."""
    query = (
        select(Participant, Response)
        .join(Response, Response.participant_id == Participant.id)  # type: ignore[arg-type]
        .where(
            Participant.study_id == study.id,
            Participant.preview == False,  # noqa: E712
            Response.questionnaire == QUESTIONNAIRE,
        )
        .order_by(Participant.id)  # type: ignore[arg-type]
    )
    if not include_excluded:
        query = query.where(Participant.excluded == False)  # noqa: E712
    rows = session.exec(query).all()
    by_person: dict[int, dict[str, Any]] = {}
    for person, response in rows:
        entry = by_person.setdefault(person.id or 0, {"person": person})
        entry[response.item] = response.value_text or ""
    return [
        (e["person"], e["choice"], e.get("why", ""))
        for e in by_person.values()
        if e.get("choice")
    ]


@dataclass(frozen=True, slots=True)
class PreferenceSummary:
    """A preference test's result, in numbers and in words."""

    labels: list[str]
    keys: list[str]
    counts: list[int]
    n: int
    result: PreferenceResult | None
    sentence: str
    small_sample: bool
    #: The reasons given, by chosen option key.
    reasons: dict[str, list[str]]
    confidence_level: float = 0.95
    include_excluded: bool = False


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _sentence(labels: list[str], result: PreferenceResult) -> str:
    """One sentence saying what the data show and no more."""
    shares = result.shares
    top = int(result.counts.argmax())
    level = f"{100 * result.confidence_level:.0f} %"
    lead = (
        f"{labels[top]} was chosen by {_pct(shares.observed[top])} "
        f"({level} CI {_pct(shares.low[top])}–{_pct(shares.high[top])}, "
        f"{shares.method})"
    )
    if result.test == "binomial":
        test = f"exact binomial p = {result.p_value:.2g}"
    else:
        test = (
            f"chi-square({result.df}) = {result.statistic:.2f}, "
            f"p = {result.p_value:.2g}"
            + (", approximate with so few choices" if result.small_expected else "")
        )
    n = result.n
    if result.above_equal_share.any():
        winners = [labels[i] for i in range(len(labels)) if result.above_equal_share[i]]
        verdict = (
            f"with {n} participants, {' and '.join(winners)} is preferred: its "
            f"interval lies above the equal share of {_pct(1 / len(labels))}"
        )
    elif result.p_value < 1 - result.confidence_level:
        verdict = (
            f"with {n} participants the choices are not evenly spread, but no "
            "option's interval lies wholly above the equal share"
        )
    else:
        verdict = f"with {n} participants this is not a detectable preference"
    return f"{lead}; {verdict} ({test})."


def analyse_preference(
    session: Session,
    study: Study,
    *,
    confidence_level: float = 0.95,
    include_excluded: bool = False,
) -> PreferenceSummary:
    """Each option's share with its interval, the test of equal preference
    (:func:`uxlab.stats.preference`), a sentence and the reasons by option."""
    from uxlab import stats

    options = study.settings.get("options", [])
    keys = [str(o["key"]) for o in options]
    labels = [str(o["label"]) for o in options]
    choices = _choices(session, study, include_excluded=include_excluded)
    counts = [sum(1 for _, c, _ in choices if c == k) for k in keys]
    reasons: dict[str, list[str]] = {k: [] for k in keys}
    for _, choice, why in choices:
        if why and choice in reasons:
            reasons[choice].append(why)
    n = sum(counts)
    if n == 0:
        return PreferenceSummary(
            labels,
            keys,
            counts,
            0,
            None,
            "No participant has chosen yet.",
            True,
            reasons,
            confidence_level,
            include_excluded,
        )
    result = stats.preference(counts, confidence_level=confidence_level)
    sentence = _sentence(labels, result)
    small = n < SMALL_SAMPLE
    if small:
        sentence += (
            f" Only {n} participant{'s' if n != 1 else ''} chose: read the shares "
            "as a first indication, not a measurement."
        )
    return PreferenceSummary(
        labels,
        keys,
        counts,
        n,
        result,
        sentence,
        small,
        reasons,
        confidence_level,
        include_excluded,
    )


#: The columns of ``preference.csv``.
EXPORT_COLUMNS = ("participant", "variant", "choice", "position", "order", "why")


def export_rows(
    session: Session, study: Study
) -> dict[str, tuple[tuple[str, ...], list[dict[str, Any]]]]:
    """The tidy tables: ``preference.csv``, one row per participant who chose
    (their choice, where it stood in their order, the order, the reason), and
    the participants and responses every study exports."""
    from uxlab.export import usability_tables

    tables = dict(usability_tables(session, study))
    tables.pop("attempts.csv", None)  # a preference test has no tasks
    rows = []
    for person, choice, why in _choices(session, study, include_excluded=True):
        order = option_order(study, person)
        rows.append(
            {
                "participant": person.code,
                "variant": person.variant or "",
                "choice": choice,
                "position": order.index(choice) + 1 if choice in order else "",
                "order": " ".join(order),
                "why": why,
            }
        )
    return {"preference.csv": (EXPORT_COLUMNS, rows), **tables}  # type: ignore[dict-item]


class PreferenceKind:
    """Consent, one choice among the options, closing questionnaires."""

    name = "preference"
    label = "Preference test"
    results_template = "results/preference.html"
    spec: type[PreferenceSpec] = PreferenceSpec

    def steps(self, study: Study, participant: Participant) -> list[Step]:
        from uxlab.participation.base import _closing

        return [
            CONSENT,
            CHOOSE,
            *(Step.questionnaire(q.id) for q in _closing(study)),
            DONE,
        ]

    def fill_page(self, session: Session, page: StepPage, step: Step) -> None:
        """The choose step's options in the participant's order and the
        choice already made; the questionnaire steps as in every study."""
        from uxlab.participation.pages import fill_task_page

        if step != CHOOSE:
            fill_task_page(session, page, step)
            return
        study = page.study
        by_key = {str(o["key"]): o for o in study.settings.get("options", [])}
        choice, why = saved_choice(session, page.participant)
        page.extra = {
            "options": [by_key[k] for k in option_order(study, page.participant)],
            "question": study.settings.get("question", ""),
            "why_question": study.settings.get("why", ""),
            "choice": choice,
            "why": why,
        }

    def step_label(self, study: Study, step: Step) -> str | None:
        """ "Choosing a design" on the choice step."""
        return "Choosing a design" if step == CHOOSE else None

    def submit(
        self,
        session: Session,
        study: Study,
        participant: Participant,
        step: Step,
        form: Mapping[str, str],
    ) -> bool:
        """Store the choice posted on the choose step."""
        if step != CHOOSE:
            return False
        option = form.get("option")
        if option is None:
            raise InvalidAnswerError("choose one of the options")
        record_choice(session, study, participant, option=option, why=form.get("why"))
        return True

    page_templates: Mapping[str, str] = {
        "choose": "participant/preference.html",
        "consent": "participant/consent.html",
        "questionnaire": "participant/questionnaire.html",
        "done": "participant/done.html",
    }
    analysis: Callable[..., Any] = staticmethod(analyse_preference)

    def chart_bytes(self, summary: PreferenceSummary, name: str, fmt: str) -> bytes:
        """The ``preference`` chart as SVG or PNG (NotFoundError otherwise)."""
        from uxlab import charts
        from uxlab.errors import NotFoundError

        from .results import preference_chart

        if fmt not in charts.CHART_FORMATS:
            raise NotFoundError(f"no chart format {fmt!r}; use svg or png")
        if name != "preference":
            raise NotFoundError(
                f"no chart {name!r}; a preference test has 'preference'"
            )
        if summary.result is None:
            raise NotFoundError("no participant has chosen yet")
        fig = preference_chart(
            summary.labels,
            summary.result,
            subtitle=f"n = {summary.n} participants · "
            f"{100 * summary.confidence_level:g} % CIs",
        )
        return charts.render(fig, fmt)

    @property
    def results(self) -> Callable[..., Any]:
        from .results import build_preference_results

        return build_preference_results

    export_rows: Callable[..., Any] = staticmethod(export_rows)

    #: The partial its results page shares with the HTML/PDF report.
    report_template = "results/_preference_sections.html"

    def json_export(self, session: Session, study: Study) -> dict[str, Any]:
        """The JSON export's ``preference`` part: the options and each
        participant's choice (the rows of preference.csv)."""
        _, rows = export_rows(session, study)["preference.csv"]
        return {
            "options": list(study.settings.get("options", [])),
            "question": study.settings.get("question", ""),
            "why": study.settings.get("why", ""),
            "choices": [{**row, "order": str(row["order"]).split()} for row in rows],
        }

    @property
    def demo(self) -> Callable[..., Any]:
        from .demo import simulate_preference

        return simulate_preference


PREFERENCE = register(PreferenceKind())
