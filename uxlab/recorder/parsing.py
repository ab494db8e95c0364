"""Reading a batch and validating each event on its own."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from uxlab.recorder.base import (
    _BOUND,
    _FIELDS,
    _ID,
    _NUMERIC,
    _POSITIONED,
    _TS_RANGE,
    EVENT_TYPES,
    MAX_DATA_BYTES,
    MAX_EVENTS,
    MAX_SELECTOR,
    MAX_STRING,
    MAX_URL,
    BatchError,
    Rejected,
    _Valid,
)


def parse_batch(body: bytes) -> list[Any]:
    """The events of a request body: ``{"events": [...]}`` or a bare list.

    Bytes that are not UTF-8 survive decoding as lone surrogates, so only the
    event that holds them is rejected (by :func:`validate_event`).
    """
    try:
        data = json.loads(body.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError) as exc:
        raise BatchError(f"The body is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("events")
    if not isinstance(data, list):
        raise BatchError(
            'Send {"events": [...]}: a JSON object with a list of events.',
            code="invalid_batch",
        )
    if len(data) > MAX_EVENTS:
        raise BatchError(
            f"A batch holds at most {MAX_EVENTS} events, not {len(data)}.",
            code="too_many_events",
            status=413,
        )
    return data


def _ts(raw: Any) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError("ts must be milliseconds since 1970")
    if not math.isfinite(raw) or not _TS_RANGE[0] <= raw <= _TS_RANGE[1]:
        raise ValueError(f"ts ({raw}) is not a time between 2000 and 2100")
    return datetime.fromtimestamp(raw / 1000, UTC)


#: Encodes event data for storage; one instance, as ``json.dumps`` with options
#: builds a new encoder on every call. ``NaN`` and ``Infinity``, which Python's
#: parser reads but JSON has not, are refused: PostgreSQL's json type would
#: refuse them too, failing the batch on every resend.
_PAYLOAD_JSON = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _not_numbers(kind: str, data: Mapping[str, Any]) -> str | None:
    """Why ``data``'s position or size fields are unusable, or None if they are fine.

    >>> _not_numbers("click", {"y": 3})
    'x must be a number; a click is drawn where it happened.'
    >>> _not_numbers("scroll", {"vw": "wide"})
    'vw must be a finite number.'
    """
    if kind in _POSITIONED:
        for key in ("x", "y"):
            if not _is_number(data.get(key)):
                return f"{key} must be a number; a {kind} is drawn where it happened."
    for key in _NUMERIC:
        if key in data and not _is_number(data[key]):
            return f"{key} must be a finite number."
    return None


def validate_event(raw: Any, index: int = 0) -> _Valid | Rejected:
    """Check one event on its own; a :class:`Rejected` says why it is refused.

    >>> validate_event({"id": "x", "seq": 1, "type": "click"}).reason
    'bad_id'
    >>> validate_event({"id": "a1b2c3d4e5", "seq": 1, "type": "click"}).reason
    'bad_data'
    >>> click = {"id": "a1b2c3d4e5", "seq": 1, "type": "click"}
    >>> validate_event({**click, "data": {"x": 3, "y": 4}}).type
    'click'
    """
    if not isinstance(raw, dict):
        return Rejected(index, None, "not_an_object", "An event is a JSON object.")
    event_id = raw.get("id")
    shown_id = event_id if isinstance(event_id, str) and len(event_id) <= 64 else None

    def reject(reason: str, message: str) -> Rejected:
        return Rejected(index, shown_id, reason, message)

    if not isinstance(event_id, str) or not _ID.match(event_id):
        return reject("bad_id", "id must be 8-64 letters, digits or hyphens.")
    unknown = sorted(set(raw) - _FIELDS - set(_BOUND))
    if unknown:
        return reject("unknown_field", f"Unknown fields: {', '.join(unknown)}.")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        return reject(
            "bad_type", f"type ({kind!r}) must be one of {sorted(EVENT_TYPES)}"
        )
    seq = raw.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**31:
        return reject("bad_seq", f"seq ({seq!r}) must be a whole number >= 0.")
    try:
        ts = _ts(raw.get("ts"))
    except ValueError as exc:
        return reject("bad_ts", str(exc))
    url = raw.get("url", "")
    if not isinstance(url, str):
        return reject("bad_url", "url must be a string.")
    if len(url) > MAX_URL:
        return reject("too_large", f"url is longer than {MAX_URL} characters.")
    if "\x00" in url:  # no URL has one, and PostgreSQL text cannot hold it
        return reject("bad_url", "url cannot contain a NUL character.")
    data = raw.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return reject("bad_data", "data must be a JSON object.")
    selector = data.get("selector")
    if isinstance(selector, str) and len(selector) > MAX_SELECTOR:
        return reject(
            "too_large", f"selector is longer than {MAX_SELECTOR} characters."
        )
    if any(isinstance(v, str) and len(v) > MAX_STRING for v in data.values()):
        return reject("too_large", f"a data field is over {MAX_STRING} characters.")
    try:
        # Lone surrogates (bytes that were not UTF-8) cannot be encoded.
        url.encode("utf-8")
        payload = _PAYLOAD_JSON.encode(data)
        size = len(payload.encode("utf-8"))
    except UnicodeEncodeError:
        return reject("invalid_utf8", "The event holds text that is not UTF-8.")
    except (TypeError, ValueError, RecursionError):  # NaN; the rest from JSON
        return reject("bad_data", "data cannot be stored as JSON.")
    if size > MAX_DATA_BYTES:
        return reject("too_large", f"data is {size} bytes; at most {MAX_DATA_BYTES}.")
    wrong = _not_numbers(kind, data)
    if wrong:
        return reject("bad_data", wrong)
    recording = raw.get("rec", "")
    if not isinstance(recording, str) or (recording and not _ID.match(recording)):
        return reject("bad_rec", "rec must be 8-64 letters, digits or hyphens.")
    bound = {k: raw[k] for k in _BOUND if k in raw}
    return _Valid(index, event_id, kind, seq, ts, url, data, payload, bound, recording)
