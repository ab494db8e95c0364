"""Checking and storing a participant's card sort.

A sort arrives as JSON: ``{"groups": [{"name": "Fruit", "cards": ["apple"]}],
"unknown": ["kohlrabi"]}``. :func:`check_sort` refuses (with the reason) a
card that is not in the study, a card placed twice, a category a closed sort
does not have, and a name too long; :func:`save_sort` stores a checked sort
in one row per participant, so sending the same sort again changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from uxlab.errors import InvalidAnswerError
from uxlab.models import utcnow

from .models import CardSort
from .spec import MAX_GROUP_NAME

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Participant, Study

#: Largest posted sort read, in characters of JSON.
MAX_SORT_JSON = 200_000


@dataclass(frozen=True, slots=True)
class Group:
    """One group of a sort: its name as the participant gave it, and its cards."""

    name: str
    cards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sort:
    """A participant's sort: groups in their order, and the cards put aside."""

    groups: tuple[Group, ...] = ()
    unknown: tuple[str, ...] = ()
    submitted: bool = False
    saves: int = 0
    placed: frozenset[str] = field(default_factory=frozenset)

    def as_json(self) -> dict[str, Any]:
        return {
            "groups": [{"name": g.name, "cards": list(g.cards)} for g in self.groups],
            "unknown": list(self.unknown),
        }


@functools.lru_cache(maxsize=4096)
def fold(name: str) -> str:
    """A group name as compared: trimmed, inner spaces collapsed, case-folded."""
    return " ".join(name.split()).casefold()


def card_ids(study: Study) -> list[str]:
    return [str(c["id"]) for c in study.settings.get("cards", [])]


def card_order(study: Study, participant: Participant) -> list[str]:
    """The card ids in the order this participant is dealt them.

    Drawn from the participant's stored code, so a reload deals the same
    order and the order varies between participants.
    """
    ids = card_ids(study)
    if not study.settings.get("randomise", True):
        return ids
    seed = hashlib.sha256(f"{study.slug}:cards:{participant.code}".encode()).digest()
    random.Random(int.from_bytes(seed[:8], "big")).shuffle(ids)
    return ids


def parse_sort_json(text: Any) -> Any:
    """The posted sort (JSON text) as data; InvalidAnswerError if it is not JSON."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidAnswerError("send the sort as JSON (groups and unknown cards)")
    if len(text) > MAX_SORT_JSON:
        raise InvalidAnswerError(f"the sort is longer than {MAX_SORT_JSON} characters")
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidAnswerError("the sort is not valid JSON") from None


def check_sort(study: Study, data: Any, *, final: bool = False) -> Sort:
    """The sort posted as ``data``, checked against the study.

    Raises
    ------
    InvalidAnswerError
        With the reason, when a card is not in the study or placed twice, a
        closed sort's group is not one of its categories, a group has no name
        or too long a name, a card is put aside though the study does not
        allow it, or (``final``, when the study requires it) a card is left
        unsorted. Nothing is stored by this function.
    """
    settings = study.settings
    known = set(card_ids(study))
    if not isinstance(data, Mapping):
        raise InvalidAnswerError("the sort must be an object with groups and unknown")
    extra = set(data) - {"groups", "unknown"}
    if extra:
        raise InvalidAnswerError(f"the sort has unknown fields {sorted(extra)}")
    raw_groups = data.get("groups", [])
    raw_unknown = data.get("unknown", [])
    if not isinstance(raw_groups, list) or not isinstance(raw_unknown, list):
        raise InvalidAnswerError("groups and unknown must be lists")
    if len(raw_groups) > len(known) + len(settings.get("categories", [])):
        raise InvalidAnswerError("the sort has more groups than there are cards")
    sort_type = settings.get("sort", "open")
    categories = {fold(c): c for c in settings.get("categories", [])}
    placed: set[str] = set()

    def place(card: Any, where: str) -> str:
        if not isinstance(card, str) or card not in known:
            raise InvalidAnswerError(f"card {card!r} is not one of this study's cards")
        if card in placed:
            raise InvalidAnswerError(
                f"card {card!r} is placed twice; each card goes in one group"
            )
        placed.add(card)
        return card

    groups: list[Group] = []
    names: set[str] = set()
    for i, raw in enumerate(raw_groups):
        if not isinstance(raw, Mapping) or set(raw) - {"name", "cards"}:
            raise InvalidAnswerError(f"group {i + 1} must have a name and cards")
        name = raw.get("name", "")
        cards = raw.get("cards", [])
        if not isinstance(name, str) or not isinstance(cards, list):
            raise InvalidAnswerError(f"group {i + 1} must have a name and cards")
        name = re.sub(r"\s+", " ", name).strip()
        if not name:
            raise InvalidAnswerError(f"group {i + 1} needs a name")
        if len(name) > MAX_GROUP_NAME:
            raise InvalidAnswerError(
                f"group name {name[:20]!r}… is longer than {MAX_GROUP_NAME} characters"
            )
        if sort_type == "closed" and fold(name) not in categories:
            raise InvalidAnswerError(
                f"category {name!r} is not one of this closed sort's categories"
            )
        if fold(name) in categories:
            name = categories[fold(name)]
        if fold(name) in names:
            raise InvalidAnswerError(f"there are two groups called {name!r}")
        names.add(fold(name))
        groups.append(Group(name, tuple(place(c, name) for c in cards)))
    if raw_unknown and not settings.get("allow_unknown", True):
        raise InvalidAnswerError("this study does not let cards be put aside")
    unknown = tuple(place(c, "unknown") for c in raw_unknown)
    if final and settings.get("require_all"):
        left = [c for c in card_ids(study) if c not in placed]
        if left:
            raise InvalidAnswerError(
                f"{len(left)} card{'s are' if len(left) != 1 else ' is'} not sorted "
                "yet; this study asks for every card to be sorted"
            )
    return Sort(tuple(groups), unknown, placed=frozenset(placed))


def from_row(row: CardSort, known: set[str]) -> Sort:
    """A stored sort, checked when it was saved, read without checking it
    again (cards since removed from the study are left out)."""
    groups = tuple(
        Group(str(g["name"]), tuple(c for c in g["cards"] if c in known))
        for g in row.groups
    )
    unknown = tuple(c for c in row.unknown if c in known)
    placed = frozenset(c for g in groups for c in g.cards) | frozenset(unknown)
    return Sort(
        groups,
        unknown,
        submitted=row.submitted_at is not None,
        saves=row.saves,
        placed=placed,
    )


def stored_sort(session: Session, participant: Participant) -> CardSort | None:
    return session.exec(
        select(CardSort).where(CardSort.participant_id == participant.id)
    ).first()


def load_sort(session: Session, study: Study, participant: Participant) -> Sort:
    """The participant's saved sort (empty when nothing is saved); a closed
    or hybrid sort starts with the study's categories as empty groups."""
    row = stored_sort(session, participant)
    if row is None:
        groups = tuple(Group(c, ()) for c in study.settings.get("categories", []))
        return Sort(groups)
    sort = check_sort(study, {"groups": row.groups, "unknown": row.unknown})
    return Sort(
        sort.groups,
        sort.unknown,
        submitted=row.submitted_at is not None,
        saves=row.saves,
        placed=sort.placed,
    )


def save_sort(
    session: Session, participant: Participant, sort: Sort, *, final: bool = False
) -> None:
    """Store a checked sort as the participant's one row; the caller commits."""
    assert participant.id is not None
    row = stored_sort(session, participant) or CardSort(participant_id=participant.id)
    data = sort.as_json()
    if row.groups != data["groups"] or row.unknown != data["unknown"] or final:
        row.groups = data["groups"]
        row.unknown = data["unknown"]
        row.saves += 1
        row.updated_at = utcnow()
    if final:
        row.submitted_at = row.submitted_at or utcnow()
    session.add(row)
