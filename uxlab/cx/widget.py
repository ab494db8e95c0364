"""The web widget channel: its settings, the config it fetches, the answers it posts.

A customer's site adds one ``<script>`` tag (``static/feedback-widget.js``,
``data-touchpoint`` set to the widget channel's token). The widget fetches
:func:`widget_config` as JSON, decides in the browser whether to show the
survey (trigger, sampling, throttling, the site's opt-out), and posts the
answers whole under an id it made, with retries; :func:`take_answer` checks
them with the link channel's rules (:func:`uxlab.cx.feedback.parse_answers`)
and stores each id once (:func:`uxlab.cx.feedback.record_once`).

Only pages of the touchpoint's ``allowed_origins`` (and uxlab's own) may talk
to it; :func:`check_origin` is the recorder's check
(:func:`uxlab.recorder.check_origin`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session

from uxlab.cx.feedback import (
    SCALES,
    LinkState,
    Opened,
    parse_answers,
    record_once,
)
from uxlab.cx.models import CxTouchpoint
from uxlab.errors import UxlabError
from uxlab.recorder import check_origin
from uxlab.tokens import hash_token

__all__ = [
    "ORIGIN",
    "AnswerError",
    "Trigger",
    "WidgetError",
    "WidgetSettings",
    "check_origin",
    "parse_origins",
    "read_settings",
    "save_widget",
    "settings_problems",
    "take_answer",
    "widget_config",
]

#: An origin as a site's pages send it: scheme, host and port, no path.
ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$", re.IGNORECASE)
#: The answer id the widget makes (a UUID, or another 16 to 64 safe characters).
_ANSWER_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_ORIGINS = 20
MAX_PATTERN = 200


class Trigger(enum.StrEnum):
    #: Only when the site's own script calls ``uxlabFeedback.open()``.
    manual = "manual"
    #: After the visitor has been on a page for ``delay_s`` seconds.
    delay = "delay"
    #: On a page whose path and query (or path, query and hash, for a site
    #: routed by the hash) match ``url_pattern`` (``*`` for any characters),
    #: reached by a page load or by the site's own history or hash changes.
    url = "url"
    #: When the pointer leaves the top of the window (the visitor heads away).
    exit = "exit"


@dataclass(frozen=True, slots=True)
class WidgetSettings:
    trigger: Trigger = Trigger.delay
    delay_s: int = 10
    url_pattern: str = ""
    #: Share of browsers that ever see the survey, decided once per browser.
    sample_percent: int = 100
    #: Days the survey is not shown again to a browser that answered it.
    throttle_days: int = 30
    #: Days it is not shown again to a browser that closed it unanswered.
    dismiss_days: int = 90

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "trigger": self.trigger.value}


class WidgetError(UxlabError):
    """Widget settings that cannot be saved as given."""

    code = "invalid_widget_settings"
    status = 400


class AnswerError(UxlabError):
    """A widget answer refused whole, with a reason per field."""

    code = "invalid_answers"
    status = 422

    def __init__(self, message: str, reasons: Mapping[str, str]) -> None:
        super().__init__(message)
        self.reasons = dict(reasons)


_LIMITS: dict[str, tuple[int, int]] = {
    "delay_s": (0, 3600),
    "sample_percent": (0, 100),
    "throttle_days": (0, 365),
    "dismiss_days": (0, 365),
}


def settings_problems(raw: Mapping[str, Any]) -> list[str]:
    """What is wrong with widget settings given as a mapping (a file, a form)."""
    problems: list[str] = []
    unknown = sorted(set(raw) - set(WidgetSettings.__dataclass_fields__))
    if unknown:
        problems.append(f"unknown keys {', '.join(map(str, unknown))}")
    trigger = raw.get("trigger", Trigger.delay.value)
    if trigger not in Trigger.__members__:
        problems.append(
            f"trigger ({trigger!r}) must be one of {', '.join(Trigger.__members__)}"
        )
    for name, (lo, hi) in _LIMITS.items():
        value = raw.get(name, lo)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{name}: a whole number from {lo} to {hi}")
        elif not lo <= value <= hi:
            problems.append(f"{name} ({value}) must be from {lo} to {hi}")
    pattern = raw.get("url_pattern", "")
    if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN:
        problems.append(f"url_pattern: text of at most {MAX_PATTERN} characters")
    elif trigger == Trigger.url.value and not pattern.startswith("/"):
        problems.append(
            "url_pattern: a path such as /checkout/done* (with a URL trigger)"
        )
    return problems


def read_settings(touchpoint: CxTouchpoint) -> WidgetSettings:
    """The touchpoint's widget settings; defaults for what it does not say."""
    raw = touchpoint.widget or {}
    if settings_problems(raw):
        return WidgetSettings()
    values = {k: v for k, v in raw.items() if k != "trigger"}
    return WidgetSettings(
        trigger=Trigger(raw.get("trigger", Trigger.delay.value)), **values
    )


def parse_origins(raw: str | Iterable[str]) -> tuple[list[str], list[str]]:
    """Origins from text (one per line or comma-separated) or a list; and problems.

    Each is kept lowercased without a trailing slash, once.
    """
    items = re.split(r"[\s,]+", raw) if isinstance(raw, str) else list(raw)
    origins: list[str] = []
    problems: list[str] = []
    for item in items:
        if not isinstance(item, str):
            problems.append(f"{item!r} is not an origin")
            continue
        origin = item.strip().rstrip("/").lower()
        if not origin:
            continue
        if not ORIGIN.match(origin):
            problems.append(
                f"{item[:80]!r} is not an origin like https://shop.example.com "
                "(scheme and host, no path)"
            )
        elif origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        problems.append(f"at most {MAX_ORIGINS} allowed origins")
    return origins, problems


def save_widget(
    db: Session,
    touchpoint: CxTouchpoint,
    origins: str | Iterable[str],
    settings: Mapping[str, Any],
) -> None:
    """Set the touchpoint's allowed origins and widget settings, or raise."""
    found, problems = parse_origins(origins)
    problems += settings_problems(settings)
    if problems:
        raise WidgetError("; ".join(problems))
    touchpoint.allowed_origins = found
    touchpoint.widget = {
        **settings,
        "trigger": str(settings.get("trigger", Trigger.delay.value)),
    }
    db.add(touchpoint)
    db.commit()


def widget_config(opened: Opened, questions: Mapping[str, Any]) -> dict[str, Any]:
    """What the widget needs to show the survey: questions, scales and settings."""
    survey, touchpoint = opened.survey, opened.touchpoint
    assert survey is not None and touchpoint is not None
    blocks: list[dict[str, Any]] = []
    for block in survey.blocks:
        if block in SCALES:
            text, low, high = questions[block]
            lo, hi = SCALES[block]
            blocks.append(
                {"name": block, "question": text, "min": lo, "max": hi}
                | {"low": low, "high": high}
            )
        elif block == "open":
            blocks.append({"name": "open_text", "question": survey.open_question})
    return {
        "title": "Your feedback",
        "blocks": blocks,
        "hidden": list(survey.hidden_fields),
        **read_settings(touchpoint).as_json(),
    }


def take_answer(db: Session, opened: Opened, body: Any) -> bool:
    """Check a posted answer whole and store it once; True if stored now.

    ``body`` is ``{"id": "<answer id>", "answers": {...}, "hidden": {...}}``.
    Raises :class:`AnswerError` (nothing stored) when any part is refused.
    """
    assert opened.state is LinkState.open and opened.survey is not None
    if not isinstance(body, dict):
        raise AnswerError("Send a JSON object.", {"body": "not a JSON object"})
    reasons: dict[str, str] = {}
    answer_id = body.get("id")
    if not isinstance(answer_id, str) or not _ANSWER_ID.match(answer_id):
        reasons["id"] = "an answer id of 16 to 64 letters, digits, - or _"
    values: dict[str, str] = {}
    for part in ("answers", "hidden"):
        given = body.get(part, {})
        if not isinstance(given, dict):
            reasons[part] = "must be a JSON object"
            continue
        for name, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | str):
                reasons[str(name)[:40]] = "must be a number or text"
            else:
                values[str(name)] = str(value)
    answers = parse_answers(opened.survey, values)
    reasons.update(answers.errors)
    if not reasons and not answers.ratings and answers.open_text is None:
        reasons["answers"] = "no question of the survey is answered"
    if reasons:
        raise AnswerError("The answer was refused; nothing was stored.", reasons)
    assert isinstance(answer_id, str)
    return record_once(db, opened, hash_token(answer_id), answers)
