"""The study file of a five-second test (``kind: five_second``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from uxlab import paths
from uxlab.studies import Key, StudySpec, _Strict

#: Default, shortest and longest time the image is shown, in seconds.
DEFAULT_DISPLAY_S = 5.0
MIN_DISPLAY_S = 1.0
MAX_DISPLAY_S = 60.0
#: Most recall questions a five-second test asks.
MAX_QUESTIONS = 20
#: Most options of a multiple-choice question.
MAX_OPTIONS = 12
#: The rating scales a question may use.
RATING_SCALES = (5, 7)


def _image_path(value: str) -> str:
    if ".." in Path(value).parts or Path(value).is_absolute():
        raise ValueError("image must be a path inside static/")
    if not (paths.STATIC_DIR / value).is_file():
        raise ValueError(f"no image {value!r} under static/")
    return value


class ImageSpec(_Strict):
    """The image a variant's participants see, with the text a screen reader
    reads for it."""

    variant: Key | None = None
    image: str = Field(min_length=1)
    alt: str = Field(min_length=1, max_length=1000)

    @field_validator("image")
    @classmethod
    def _image_exists(cls, value: str) -> str:
        return _image_path(value)


class QuestionSpec(_Strict):
    """One recall question: an open answer, one choice among ``options``,
    or a rating on a labelled 5- or 7-point scale."""

    id: Key
    type: Literal["open", "choice", "rating"]
    text: str = Field(min_length=1, max_length=500)
    required: bool = True
    options: list[str] = Field(default_factory=list)
    scale: int = 5
    #: The words at the two ends of a rating scale (lowest, highest).
    labels: list[str] = Field(default_factory=list)

    @field_validator("options")
    @classmethod
    def _options(cls, value: list[str]) -> list[str]:
        if any(not o.strip() or len(o) > 200 for o in value):
            raise ValueError("each option is a text of 1 to 200 characters")
        if len(set(value)) != len(value):
            raise ValueError("a question's options must be unique")
        return value

    @model_validator(mode="after")
    def _by_type(self) -> QuestionSpec:
        if self.type == "choice":
            if len(self.options) < 2:
                raise ValueError(
                    f"a multiple-choice question needs at least 2 options; "
                    f"got {len(self.options)}"
                )
            if len(self.options) > MAX_OPTIONS:
                raise ValueError(
                    f"a multiple-choice question has at most {MAX_OPTIONS} options"
                )
        elif self.options:
            raise ValueError(f"only a choice question has options, not {self.type}")
        if self.type == "rating":
            if self.scale not in RATING_SCALES:
                raise ValueError(f"a rating scale has 5 or 7 points, not {self.scale}")
            if len(self.labels) != 2 or not all(x.strip() for x in self.labels):
                raise ValueError(
                    "a rating question needs labels for its two ends, "
                    "e.g. [Not at all clear, Very clear]"
                )
        elif self.labels:
            raise ValueError(f"only a rating question has labels, not {self.type}")
        return self


class FiveSecondSpec(StudySpec):
    """An image shown for a few seconds (one per variant), recall questions,
    and the consent and closing questionnaires every study may have."""

    kind: Literal["five_second"] = "five_second"
    #: The image every participant sees (when the study has no variants).
    image: str | None = None
    alt: str = Field(default="", max_length=1000)
    #: One image per variant, instead of ``image``.
    images: list[ImageSpec] = Field(default_factory=list)
    display_time_s: float = Field(
        default=DEFAULT_DISPLAY_S, ge=MIN_DISPLAY_S, le=MAX_DISPLAY_S
    )
    intro: str = Field(
        default="Look at the image as you would if you had just arrived on it.",
        max_length=1000,
    )
    #: Checked even when absent, so a file without questions says so.
    questions: list[QuestionSpec] = Field(default_factory=list, validate_default=True)

    @field_validator("image")
    @classmethod
    def _image_exists(cls, value: str | None) -> str | None:
        return value if value is None else _image_path(value)

    @field_validator("questions")
    @classmethod
    def _questions(cls, value: list[QuestionSpec]) -> list[QuestionSpec]:
        if not value:
            raise ValueError("a five-second test needs at least one recall question")
        if len(value) > MAX_QUESTIONS:
            raise ValueError(f"a five-second test asks at most {MAX_QUESTIONS}")
        ids = [q.id for q in value]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FiveSecondSpec:
        if self.tasks:
            raise ValueError("a five-second test has an image and questions, not tasks")
        if self.image and self.images:
            raise ValueError("give either image (one for all) or images (per variant)")
        if self.images:
            keys = [v.key for v in self.variants]
            given = [i.variant for i in self.images]
            if not keys:
                raise ValueError("images per variant need the study's variants")
            if sorted(str(g) for g in given) != sorted(keys):
                raise ValueError(f"give one image for each variant {keys}; got {given}")
        elif not self.image:
            raise ValueError("a five-second test needs an image (with its alt text)")
        elif not self.alt.strip():
            raise ValueError("the image needs alt text (what it shows)")
        ids = [q.id or q.type for q in self.questionnaires]
        if len(set(ids)) != len(ids):
            raise ValueError(
                "questionnaire ids must be unique (give repeated types an id)"
            )
        return self

    def settings(self) -> dict[str, Any]:
        images = [i.model_dump() for i in self.images] or [
            {"variant": None, "image": self.image, "alt": self.alt}
        ]
        return {
            **super().settings(),
            "images": images,
            "display_time_s": self.display_time_s,
            "intro": self.intro,
            "questions": [q.model_dump() for q in self.questions],
        }
