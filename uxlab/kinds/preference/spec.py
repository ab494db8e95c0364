"""The study file of a preference test (``kind: preference``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from uxlab import paths
from uxlab.studies import StudySpec, _Strict

#: Fewest and most options a preference test shows.
MIN_OPTIONS = 2
MAX_OPTIONS = 6


class OptionSpec(_Strict):
    """One design a participant can choose: an image under static/ or a
    variant's name, with the text a screen reader reads for it."""

    key: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    label: str = Field(min_length=1, max_length=200)
    image: str | None = None
    alt: str = Field(default="", max_length=500)

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
    def _image_needs_alt(self) -> OptionSpec:
        if self.image and not self.alt.strip():
            raise ValueError("an option's image needs alt text (what it shows)")
        return self


class PreferenceSpec(StudySpec):
    """2-6 options, one choice question, an optional "why" question, and the
    consent and closing questionnaires every study may have."""

    kind: Literal["preference"] = "preference"
    options: list[OptionSpec]
    question: str = Field(
        default="Which design do you prefer?", min_length=1, max_length=500
    )
    #: The "why" question; none is asked when empty.
    why: str = Field(default="", max_length=500)
    #: Show the options in an order of each participant's own.
    randomise: bool = True

    @field_validator("options")
    @classmethod
    def _how_many(cls, value: list[OptionSpec]) -> list[OptionSpec]:
        if len(value) < MIN_OPTIONS:
            raise ValueError(
                f"a preference test needs at least {MIN_OPTIONS} options; "
                f"got {len(value)}"
            )
        if len(value) > MAX_OPTIONS:
            raise ValueError(
                f"a preference test shows at most {MAX_OPTIONS} options; "
                f"got {len(value)}"
            )
        keys = [o.key for o in value]
        if len(set(keys)) != len(keys):
            raise ValueError("option keys must be unique")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PreferenceSpec:
        if self.tasks:
            raise ValueError("a preference test has options, not tasks")
        ids = [q.id or q.type for q in self.questionnaires]
        if len(set(ids)) != len(ids):
            raise ValueError(
                "questionnaire ids must be unique (give repeated types an id)"
            )
        return self

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "options": [o.model_dump() for o in self.options],
            "question": self.question,
            "why": self.why,
            "randomise": self.randomise,
        }
