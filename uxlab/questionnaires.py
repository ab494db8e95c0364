"""The standardised questionnaires uxlab knows, and custom ones from study files.

Wording follows the published instruments: SUS (Brooke 1996), SEQ (Sauro &
Dumas 2009), NPS (Reichheld 2003), UMUX-Lite (Lewis, Utesch & Maher 2013),
CSAT (5-point satisfaction) and CES 2.0 (7-point agreement, CEB 2013).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from uxlab.errors import InvalidAnswerError

__all__ = [
    "STANDARD",
    "Item",
    "Questionnaire",
    "build_questionnaire",
    "invalid_answer_message",
    "missing_answers_message",
    "validate_answer",
]


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A questionnaire as participants see it and as answers are checked."""

    id: str
    kind: str
    title: str
    items: tuple[Item, ...]
    instructions: str = ""
    scale_min: int = 1
    scale_max: int = 5
    low_label: str = ""
    high_label: str = ""
    #: Free-text questionnaire: answers are text, not numbers.
    open_text: bool = False
    required: bool = True

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise InvalidAnswerError(
            f"item ({item_id!r}) is not in questionnaire {self.id!r}; "
            f"expected one of {[i.id for i in self.items]}"
        )


_SUS_ITEMS = (
    "I think that I would like to use this system frequently.",
    "I found the system unnecessarily complex.",
    "I thought the system was easy to use.",
    "I think that I would need the support of a technical person to be able to "
    "use this system.",
    "I found the various functions in this system were well integrated.",
    "I thought there was too much inconsistency in this system.",
    "I would imagine that most people would learn to use this system very quickly.",
    "I found the system very cumbersome to use.",
    "I felt very confident using the system.",
    "I needed to learn a lot of things before I could get going with this system.",
)

STANDARD: dict[str, Questionnaire] = {
    "sus": Questionnaire(
        id="sus",
        kind="sus",
        title="System Usability Scale",
        instructions="For each statement, choose how much you agree or disagree.",
        items=tuple(Item(f"q{i}", text) for i, text in enumerate(_SUS_ITEMS, start=1)),
        scale_min=1,
        scale_max=5,
        low_label="Strongly disagree",
        high_label="Strongly agree",
    ),
    "seq": Questionnaire(
        id="seq",
        kind="seq",
        title="How was that task?",
        items=(Item("q1", "Overall, how difficult or easy was the task to complete?"),),
        scale_min=1,
        scale_max=7,
        low_label="Very difficult",
        high_label="Very easy",
    ),
    "nps": Questionnaire(
        id="nps",
        kind="nps",
        title="Recommendation",
        items=(
            Item(
                "q1",
                "How likely are you to recommend {product} to a friend or colleague?",
            ),
        ),
        scale_min=0,
        scale_max=10,
        low_label="Not at all likely",
        high_label="Extremely likely",
    ),
    "umux_lite": Questionnaire(
        id="umux_lite",
        kind="umux_lite",
        title="About {product}",
        instructions="Choose how much you agree or disagree with each statement.",
        items=(
            Item("q1", "{product}'s capabilities meet my requirements."),
            Item("q2", "{product} is easy to use."),
        ),
        scale_min=1,
        scale_max=7,
        low_label="Strongly disagree",
        high_label="Strongly agree",
    ),
    "csat": Questionnaire(
        id="csat",
        kind="csat",
        title="Satisfaction",
        items=(Item("q1", "Overall, how satisfied are you with {product}?"),),
        scale_min=1,
        scale_max=5,
        low_label="Very dissatisfied",
        high_label="Very satisfied",
    ),
    "ces": Questionnaire(
        id="ces",
        kind="ces",
        title="Effort",
        items=(Item("q1", "{product} made it easy for me to handle my issue."),),
        scale_min=1,
        scale_max=7,
        low_label="Strongly disagree",
        high_label="Strongly agree",
    ),
}


def build_questionnaire(
    spec: str | dict[str, Any], *, product: str = "this product"
) -> Questionnaire:
    """A questionnaire from a study file entry: a standard name or a custom mapping.

    Custom entries are already validated by :mod:`uxlab.studies`.
    """
    if isinstance(spec, str):
        base = STANDARD[spec]
        return _with_product(base, product)
    kind = spec["type"]
    if kind in STANDARD:
        base = _with_product(STANDARD[kind], product)
        if "id" in spec or "title" in spec:
            base = Questionnaire(
                id=spec.get("id", base.id),
                kind=base.kind,
                title=spec.get("title", base.title),
                items=base.items,
                instructions=base.instructions,
                scale_min=base.scale_min,
                scale_max=base.scale_max,
                low_label=base.low_label,
                high_label=base.high_label,
            )
        return base
    items_spec = spec.get("items") or [{"id": "q1", "text": spec.get("text", "")}]
    items = tuple(
        Item(str(i.get("id", f"q{n}")), str(i["text"]))
        for n, i in enumerate(items_spec, start=1)
    )
    if kind == "open_text":
        return Questionnaire(
            id=spec["id"],
            kind="open_text",
            title=spec.get("title", ""),
            items=items,
            instructions=spec.get("instructions", ""),
            open_text=True,
            required=bool(spec.get("required", False)),
        )
    low, high = spec.get("scale", [1, 5])
    labels = spec.get("labels", ["", ""])
    return Questionnaire(
        id=spec["id"],
        kind="likert",
        title=spec.get("title", ""),
        items=items,
        instructions=spec.get("instructions", ""),
        scale_min=int(low),
        scale_max=int(high),
        low_label=str(labels[0]),
        high_label=str(labels[1]),
    )


def _with_product(base: Questionnaire, product: str) -> Questionnaire:
    items = tuple(Item(i.id, i.text.replace("{product}", product)) for i in base.items)
    title = base.title.replace("{product}", product)
    if product.startswith("this "):
        items = tuple(Item(i.id, i.text[0].upper() + i.text[1:]) for i in items)
    return Questionnaire(
        id=base.id,
        kind=base.kind,
        title=title[0].upper() + title[1:],
        items=items,
        instructions=base.instructions,
        scale_min=base.scale_min,
        scale_max=base.scale_max,
        low_label=base.low_label,
        high_label=base.high_label,
        open_text=base.open_text,
        required=base.required,
    )


def validate_answer(
    questionnaire: Questionnaire, item_id: str, raw: Any, *, max_text: int = 10_000
) -> tuple[float | None, str | None]:
    """Check one answer; return ``(value_num, value_text)`` or raise InvalidAnswerError.

    Numbers must be whole and on the questionnaire's scale: ``"3"`` from a form is
    accepted, ``3.5``, ``"three"`` and ``True`` are not.
    """
    questionnaire.item(item_id)
    if questionnaire.open_text:
        if not isinstance(raw, str):
            raise InvalidAnswerError(f"{questionnaire.id}.{item_id}: expected text")
        text = raw  # verbatim: exports neutralise formulas, storage never does
        if len(text) > max_text:
            raise InvalidAnswerError(
                f"{questionnaire.id}.{item_id}: answer is {len(text)} characters; "
                f"at most {max_text} are kept"
            )
        return None, text
    if isinstance(raw, bool):
        raise InvalidAnswerError(
            f"{questionnaire.id}.{item_id}: expected a whole number"
        )
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw.lstrip("-").isdigit():
            raise InvalidAnswerError(
                f"{questionnaire.id}.{item_id}: {raw!r} is not a whole number"
            )
        value = int(raw)
    elif isinstance(raw, int):
        value = raw
    else:
        raise InvalidAnswerError(
            f"{questionnaire.id}.{item_id}: expected a whole number"
        )
    if value not in questionnaire.scale:
        raise InvalidAnswerError(
            f"{questionnaire.id}.{item_id}: {value} is outside the scale "
            f"{questionnaire.scale_min}..{questionnaire.scale_max}"
        )
    return float(value), None


def _runs(numbers: list[int]) -> str:
    """Question numbers as a participant reads them.

    >>> _runs([6, 7, 8, 9, 10]), _runs([2, 5, 7]), _runs([1, 2, 5, 6, 7])
    ('6 to 10', '2, 5 and 7', '1, 2 and 5 to 7')
    """
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts: list[str] = []
    for run in runs:
        if len(run) > 2:
            parts.append(f"{run[0]} to {run[-1]}")
        else:
            parts.extend(str(n) for n in run)
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def missing_answers_message(
    questionnaire: Questionnaire, missing: list[str], *, name_it: bool = False
) -> str:
    """Ask for the unanswered items by the numbers the page shows.

    ``name_it`` adds the questionnaire's title, for pages with more than one.

    >>> sus = build_questionnaire("sus")
    >>> missing_answers_message(sus, ["q6", "q7", "q8", "q9", "q10"])
    'Please answer questions 6 to 10.'
    >>> missing_answers_message(build_questionnaire("seq"), ["q1"])
    'Please answer the question.'
    """
    where = f" of “{questionnaire.title}”" if name_it else ""
    if len(questionnaire.items) == 1:
        return (
            f"Please answer “{questionnaire.title}”."
            if name_it
            else ("Please answer the question.")
        )
    numbers = [n for n, item in enumerate(questionnaire.items, 1) if item.id in missing]
    noun = "question" if len(numbers) == 1 else "questions"
    return f"Please answer {noun} {_runs(numbers)}{where}."


def invalid_answer_message(
    questionnaire: Questionnaire, item_id: str, *, max_text: int
) -> str:
    """What to change in an answer that was refused, in the participant's words.

    >>> invalid_answer_message(build_questionnaire("sus"), "q3", max_text=10)
    'Question 3: please choose one of 1 to 5.'
    """
    numbers = [n for n, item in enumerate(questionnaire.items, 1) if item.id == item_id]
    label = (
        f"Question {numbers[0]}"
        if numbers and len(questionnaire.items) > 1
        else "Your answer"
    )
    if questionnaire.open_text:
        return f"{label}: please keep it to {max_text:,} characters."
    return (
        f"{label}: please choose one of "
        f"{questionnaire.scale_min} to {questionnaire.scale_max}."
    )
