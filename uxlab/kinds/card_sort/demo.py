"""Simulated participants of a card sort, for the demo."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlmodel import Session

from uxlab.models import CardSort, Participant, Study, utcnow
from uxlab.questionnaires import build_questionnaire
from uxlab.tokens import hash_token, new_code, new_token

from .sorting import card_ids

#: Where most shoppers would put each card of the grocery template.
_GROCERY_AISLES = {
    "apples": "Fruit & vegetables",
    "bananas": "Fruit & vegetables",
    "spinach": "Fruit & vegetables",
    "kohlrabi": "Fruit & vegetables",
    "milk": "Dairy & eggs",
    "yoghurt": "Dairy & eggs",
    "eggs": "Dairy & eggs",
    "butter": "Dairy & eggs",
    "oat-milk": "Drinks",
    "sourdough": "Bakery",
    "croissants": "Bakery",
    "bagels": "Bakery",
    "orange-juice": "Drinks",
    "sparkling-water": "Drinks",
    "coffee": "Drinks",
    "tea": "Drinks",
    "detergent": "Household",
    "bin-bags": "Household",
    "sponges": "Household",
    "dog-food": "Pets",
}
#: Groups some participants make themselves, as they might type them.
_OWN_GROUPS = {
    "Pets": ("Pets", "pet food", "Animals"),
    "Breakfast": ("Breakfast", "breakfast"),
}


def _intended(study: Study) -> dict[str, str]:
    """Each card's most likely group: the template's aisles, else the study's
    categories (or four groups) in turn through the cards."""
    cards = card_ids(study)
    categories = [str(c) for c in study.settings.get("categories", [])] or [
        "Group A",
        "Group B",
        "Group C",
        "Group D",
    ]
    if all(c in _GROCERY_AISLES for c in cards):
        return {c: _GROCERY_AISLES[c] for c in cards}
    size = max(1, -(-len(cards) // len(categories)))
    return {
        c: categories[min(i // size, len(categories) - 1)] for i, c in enumerate(cards)
    }


def simulate_card_sort(
    session: Session,
    study: Study,
    count: int,
    rng: np.random.Generator,
    *,
    comments: tuple[str, ...] = ("",),
) -> None:
    """Add ``count`` participants who finished the sort over the last days,
    and two who are part-way through: most cards go where most shoppers would
    put them, some elsewhere, and an unfamiliar card is sometimes put aside."""
    from uxlab.demo import _answer

    settings = study.settings
    sort_type = settings.get("sort", "open")
    categories = [str(c) for c in settings.get("categories", [])]
    intended = _intended(study)
    names = sorted(set(intended.values()) | set(categories))
    product = settings.get("product", "this product")
    closing = [
        build_questionnaire(q, product=product)
        for q in settings.get("questionnaires", [])
    ]
    now = utcnow()
    for number in range(count + 2):
        finished = number < count
        started = now - timedelta(
            days=float(rng.uniform(0.2, 9)), minutes=float(rng.uniform(0, 600))
        )
        person = Participant(
            study_id=study.id,  # type: ignore[arg-type]
            token_hash=hash_token(new_token()),
            code=new_code(),
            consent_version=study.consent_version,
            consented_at=started,
            started_at=started,
            created_at=started,
            user_agent="simulated",
            step="sort",
            progress=10,
        )
        session.add(person)
        session.flush()
        groups: dict[str, list[str]] = {c: [] for c in categories}
        unknown: list[str] = []
        cards = card_ids(study)
        if not finished:
            cards = cards[: len(cards) // 2]
        spelt: dict[str, str] = {}
        breakfast = sort_type != "closed" and rng.random() < 0.3
        for card in cards:
            target = intended[card]
            if card == "kohlrabi" and settings.get("allow_unknown", True):
                if rng.random() < 0.3:
                    unknown.append(card)
                    continue
            if breakfast and card in ("croissants", "bagels", "coffee", "tea"):
                target = "Breakfast"
            elif rng.random() < 0.18:
                target = str(rng.choice(names))
            if target not in categories:
                if sort_type == "closed":
                    target = str(rng.choice(categories))
                else:
                    spellings = _OWN_GROUPS.get(target, (target, target.lower()))
                    if target not in spelt:
                        pick = int(rng.integers(0, len(spellings)))
                        spelt[target] = str(spellings[pick])
                    target = spelt[target]
            groups.setdefault(target, []).append(card)
        session.add(
            CardSort(
                participant_id=person.id,  # type: ignore[arg-type]
                groups=[{"name": n, "cards": c} for n, c in groups.items()],
                unknown=unknown,
                saves=len(cards),
                updated_at=started + timedelta(minutes=6),
                submitted_at=started + timedelta(minutes=7) if finished else None,
            )
        )
        if not finished:
            continue
        clock = started + timedelta(minutes=7)
        skill = float(rng.normal(0, 1))
        for q in closing:
            clock += timedelta(seconds=30)
            _answer(session, person, q, rng, skill, clock, comments)
        person.finished_at = clock
        person.progress = 100
        person.step = "done"
        session.add(person)
    session.commit()
