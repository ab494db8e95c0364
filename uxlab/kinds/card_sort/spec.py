"""The study file of a card sort (``kind: card_sort``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from uxlab import paths
from uxlab.studies import StudySpec, _Strict

#: Fewest and most cards a card sort shows.
MIN_CARDS = 2
MAX_CARDS = 200
#: Most categories a closed or hybrid sort offers.
MAX_CATEGORIES = 50
#: Longest group name a participant may give.
MAX_GROUP_NAME = 80

SortType = Literal["open", "closed", "hybrid"]


class CardSpec(_Strict):
    """One card: its id (used in exports), the text shown, and optionally an
    image under static/ (with alt text) and a longer description."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(min_length=1, max_length=200)
    image: str | None = None
    alt: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=1000)

    @field_validator("image")
    @classmethod
    def _image_exists(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if ".." in Path(value).parts or Path(value).is_absolute():
            raise ValueError("image must be a path inside static/")
        if not (paths.STATIC_DIR / value).is_file():
            raise ValueError(f"no image {value!r} under static/")
        return value

    @model_validator(mode="after")
    def _image_needs_alt(self) -> CardSpec:
        if self.image and not self.alt.strip():
            raise ValueError("a card's image needs alt text (what it shows)")
        return self


def _problem(loc: tuple[str | int, ...], message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(
            "value_error", "Value error, {reason}", {"reason": message}
        ),
        loc=loc,
        input=value,
    )


def _file_problems(data: Any) -> list[InitErrorDetails]:
    """Problems that name one entry of a list: a repeated card id or category,
    categories missing from (or given to) a sort type."""
    if not isinstance(data, Mapping):
        return []
    problems: list[InitErrorDetails] = []
    cards = data.get("cards")
    if isinstance(cards, list):
        first: dict[str, int] = {}
        for i, card in enumerate(cards):
            if not isinstance(card, Mapping) or not isinstance(card.get("id"), str):
                continue
            key = card["id"].strip()
            if key in first:
                problems.append(
                    _problem(
                        ("cards", i, "id"),
                        f"card id {key!r} is used twice (first for card "
                        f"{first[key] + 1}); card ids must be unique",
                        key,
                    )
                )
            else:
                first[key] = i
    sort = data.get("sort", "open")
    categories = data.get("categories")
    if sort in ("closed", "hybrid") and not categories:
        problems.append(
            _problem(
                ("sort",),
                f"a {sort} sort needs categories: (the groups participants sort into)",
                sort,
            )
        )
    if sort == "open" and categories:
        problems.append(
            _problem(
                ("categories",),
                "an open sort has no categories (participants make their own "
                "groups); use sort: hybrid to offer some",
                categories,
            )
        )
    if isinstance(categories, list):
        seen: set[str] = set()
        for i, name in enumerate(categories):
            if isinstance(name, str):
                folded = name.strip().casefold()
                if folded in seen:
                    problems.append(
                        _problem(
                            ("categories", i),
                            f"category {name.strip()!r} is listed twice",
                            name,
                        )
                    )
                seen.add(folded)
    return problems


class CardSortSpec(StudySpec):
    """Cards, how they are sorted (open, closed or hybrid), the categories of
    a closed or hybrid sort, and the consent and closing questionnaires every
    study may have."""

    kind: Literal["card_sort"] = "card_sort"
    cards: list[CardSpec]
    sort: SortType = "open"
    categories: list[str] = Field(default_factory=list)
    #: The instruction shown above the cards.
    instructions: str = Field(
        default="Sort the cards into groups that make sense to you.",
        min_length=1,
        max_length=1000,
    )
    #: Show the cards in an order of each participant's own.
    randomise: bool = True
    #: A participant may only finish once every card is in a group.
    require_all: bool = False
    #: A participant may put a card aside as "I don't know this card".
    allow_unknown: bool = True

    @field_validator("cards")
    @classmethod
    def _how_many(cls, value: list[CardSpec]) -> list[CardSpec]:
        if len(value) < MIN_CARDS:
            raise ValueError(
                f"a card sort needs at least {MIN_CARDS} cards; got {len(value)}"
            )
        if len(value) > MAX_CARDS:
            raise ValueError(
                f"a card sort shows at most {MAX_CARDS} cards; got {len(value)}"
            )
        return value

    @field_validator("categories")
    @classmethod
    def _category_names(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_CATEGORIES:
            raise ValueError(f"at most {MAX_CATEGORIES} categories; got {len(value)}")
        for name in value:
            if not name.strip():
                raise ValueError("a category needs a name")
            if len(name) > MAX_GROUP_NAME:
                raise ValueError(
                    f"category {name[:20]!r}… is longer than {MAX_GROUP_NAME} "
                    "characters"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CardSortSpec:
        if self.tasks:
            raise ValueError("a card sort has cards, not tasks")
        ids = [q.id or q.type for q in self.questionnaires]
        if len(set(ids)) != len(ids):
            raise ValueError(
                "questionnaire ids must be unique (give repeated types an id)"
            )
        return self

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> CardSortSpec:
        """Validate, adding the problems that point at one card or category
        (so that each is reported with its own line)."""
        extra = _file_problems(obj)
        try:
            spec = super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            found = [
                InitErrorDetails(
                    type=PydanticCustomError(err["type"], str(err["msg"])),
                    loc=err["loc"],
                    input=err.get("input"),
                )
                for err in exc.errors()
            ]
            raise ValidationError.from_exception_data(
                cls.__name__, found + extra
            ) from None
        if extra:
            raise ValidationError.from_exception_data(cls.__name__, extra)
        return spec

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "cards": [c.model_dump() for c in self.cards],
            "sort": self.sort,
            "categories": [c.strip() for c in self.categories],
            "instructions": self.instructions,
            "randomise": self.randomise,
            "require_all": self.require_all,
            "allow_unknown": self.allow_unknown,
        }
