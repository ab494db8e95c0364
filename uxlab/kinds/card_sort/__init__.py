"""Card sorts (``kind: card_sort``): how participants group a site's content.

A participant gives consent, sorts the cards (dragging them, or with the
keyboard: select a card, then choose its group), then answers the study's
closing questionnaires. Every move saves the whole sort
(:func:`save_partial`, ``POST /take/<slug>/card-sort``), so a reload or the
resume link shows it exactly as it was left; the final sort is posted through
the generic step route (:func:`uxlab.participation.submit_step`, which calls
:meth:`CardSortKind.submit`). Sorts are kept in
:class:`~uxlab.kinds.card_sort.models.CardSort`, one row per participant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from uxlab.errors import InvalidAnswerError
from uxlab.kinds import CONSENT, DONE, CodebookEntry, Step, register, table_codebook

from .analysis import CardSortSummary, analyse_card_sort, parse_cut
from .sorting import (
    Sort,
    card_order,
    check_sort,
    load_sort,
    parse_sort_json,
    save_sort,
)
from .spec import CardSortSpec, CardSpec

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.export import Table
    from uxlab.models import Participant, Study
    from uxlab.participation.base import StepPage

__all__ = [
    "CARD_SORT",
    "SORT",
    "CardSortKind",
    "CardSortSpec",
    "CardSortSummary",
    "CardSpec",
    "Sort",
    "analyse_card_sort",
    "card_order",
    "check_sort",
    "export_rows",
    "load_sort",
    "save_partial",
]

#: The step on which the cards are sorted.
SORT = Step("sort")


def save_partial(
    session: Session, slug: str, token: str | None, *, step: str, sort: Any
) -> bool:
    """Store the sort as it is after a move; return False if the step has passed.

    Sending the same sort twice stores it once. Raises InvalidAnswerError (422)
    with the reason for a sort the study cannot hold (see
    :func:`~uxlab.kinds.card_sort.sorting.check_sort`): nothing is stored then.
    """
    from uxlab.participation.base import _commit_change, _require_consent, _writing

    study, participant = _writing(session, slug, token)
    _require_consent(participant)
    if step != str(SORT) or step != participant.step:
        session.commit()
        return False
    checked = check_sort(study, sort)
    save_sort(session, participant, checked)
    _commit_change(session, study, participant.invite_id)
    return True


#: The columns of ``card_sort.csv``.
EXPORT_COLUMNS = (
    "participant",
    "variant",
    "excluded",
    "card",
    "card_text",
    "position",
    "status",
    "category_raw",
    "category_standard",
    "group_size",
)

#: What each column of ``card_sort.csv`` means, for the codebook.
CODEBOOK: dict[str, dict[str, tuple[str, str]]] = {
    "card_sort.csv": {
        "participant": ("Random participant code (no personal data)", "text"),
        "variant": (
            "Design variant the participant was assigned",
            "variant key or blank",
        ),
        "excluded": ("Excluded from the results by a researcher", "0, 1"),
        "card": ("Card id from the study file", "text"),
        "card_text": ("The card's text as shown", "text"),
        "position": (
            "Where the card was in the participant's deal",
            "1-number of cards",
        ),
        "status": (
            "What the participant did with the card",
            "sorted, unknown (put aside as not known), unsorted",
        ),
        "category_raw": (
            "The group's name as the participant typed or chose it",
            "text or blank",
        ),
        "category_standard": (
            "The group's name after the researcher's standardisation (the raw "
            "name when none was set; a closed sort's category as the study spells it)",
            "text or blank",
        ),
        "group_size": (
            "How many cards the participant put in that group",
            "integer or blank",
        ),
    }
}


def export_rows(session: Session, study: Study) -> dict[str, Table]:
    """The tidy tables: ``card_sort.csv``, one row per participant x card of
    every submitted sort (the group as typed and as standardised, or
    ``unknown`` / ``unsorted``), and the participants and responses every
    study exports."""
    from uxlab.export import usability_tables

    from .analysis import _name_of, standard_names, submitted_sorts
    from .sorting import fold

    tables = dict(usability_tables(session, study))
    tables.pop("attempts.csv", None)  # a card sort has no tasks
    names = standard_names(session, study)
    categories = {fold(c): str(c) for c in study.settings.get("categories", [])}
    text = {str(c["id"]): str(c["text"]) for c in study.settings.get("cards", [])}
    rows: list[dict[str, Any]] = []
    for person, sort in submitted_sorts(session, study, include_excluded=True):
        order = card_order(study, person)
        where: dict[str, tuple[str, str, str, int]] = {}
        for g in sort.groups:
            for card in g.cards:
                where[card] = (
                    "sorted",
                    g.name,
                    _name_of(names, categories, g.name),
                    len(g.cards),
                )
        for card in sort.unknown:
            where[card] = ("unknown", "", "", 0)
        for card in order:
            status, raw, standard, size = where.get(card, ("unsorted", "", "", 0))
            rows.append(
                {
                    "participant": person.code,
                    "variant": person.variant or "",
                    "excluded": int(person.excluded),
                    "card": card,
                    "card_text": text.get(card, ""),
                    "position": order.index(card) + 1,
                    "status": status,
                    "category_raw": raw,
                    "category_standard": standard,
                    "group_size": size or "",
                }
            )
    return {"card_sort.csv": (EXPORT_COLUMNS, rows), **tables}


class CardSortKind:
    """Consent, one card sort, closing questionnaires."""

    name = "card_sort"
    label = "Card sort"
    results_template = "results/card_sort.html"
    #: The section the study report adds (the results page's, without forms).
    report_template = "results/_card_sort.html"
    spec: type[CardSortSpec] = CardSortSpec

    def steps(self, study: Study, participant: Participant) -> list[Step]:
        from uxlab.participation.base import _closing

        return [
            CONSENT,
            SORT,
            *(Step.questionnaire(q.id) for q in _closing(study)),
            DONE,
        ]

    def fill_page(self, session: Session, page: StepPage, step: Step) -> None:
        """The cards in the participant's order and their saved sort; the
        questionnaire steps as in every study."""
        from uxlab.participation.pages import fill_task_page

        if step != SORT:
            fill_task_page(session, page, step)
            return
        study = page.study
        settings = study.settings
        by_id = {str(c["id"]): c for c in settings.get("cards", [])}
        sort = load_sort(session, study, page.participant)
        page.extra = {
            "cards": [by_id[c] for c in card_order(study, page.participant)],
            "sort_type": settings.get("sort", "open"),
            "categories": settings.get("categories", []),
            "instructions": settings.get("instructions", ""),
            "allow_unknown": bool(settings.get("allow_unknown", True)),
            "require_all": bool(settings.get("require_all", False)),
            "state": sort.as_json(),
        }

    def step_label(self, study: Study, step: Step) -> str | None:
        """ "Sorting the cards" on the sort step."""
        return "Sorting the cards" if step == SORT else None

    def submit(
        self,
        session: Session,
        study: Study,
        participant: Participant,
        step: Step,
        form: Mapping[str, str],
    ) -> bool:
        """Store the final sort posted on the sort step."""
        if step != SORT:
            return False
        checked = check_sort(study, parse_sort_json(form.get("sort")), final=True)
        if not checked.placed:
            raise InvalidAnswerError("sort at least one card before finishing")
        save_sort(session, participant, checked, final=True)
        return True

    page_templates: Mapping[str, str] = {
        "sort": "participant/card_sort.html",
        "consent": "participant/consent.html",
        "questionnaire": "participant/questionnaire.html",
        "done": "participant/done.html",
    }
    analysis: Callable[..., Any] = staticmethod(analyse_card_sort)

    def results_options(self, args: Mapping[str, str]) -> dict[str, Any]:
        """The options of the results page and charts beyond the shared ones."""
        return {"cut": parse_cut(args.get("cut"))}

    def chart_bytes(self, summary: CardSortSummary, name: str, fmt: str) -> bytes:
        """The ``similarity`` or ``dendrogram`` chart as SVG or PNG."""
        from .results import chart_bytes

        return chart_bytes(summary, name, fmt)

    @property
    def results(self) -> Callable[..., Any]:
        from .results import build_card_sort_results

        return build_card_sort_results

    export_rows: Callable[..., Any] = staticmethod(export_rows)

    def codebook_entries(self, study: Study) -> list[CodebookEntry]:
        """What each column of ``card_sort.csv`` means."""
        return table_codebook(CODEBOOK)

    @property
    def demo(self) -> Callable[..., Any]:
        from .demo import simulate_card_sort

        return simulate_card_sort


CARD_SORT = register(CardSortKind())
