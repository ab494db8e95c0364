"""The OpenAPI document of uxlab's JSON endpoints, served at /api/v1/openapi.json.

It describes what a client may send and what it gets back: the recorder's
event batches and attempt state, and a participant's autosaved answers. Every
error answer has the same shape, ``{"error": <code>, "message": <sentence>}``.
The document is built here, apart from the views, so that further JSON
endpoints add their paths to :data:`PATHS` without touching the rest.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

__all__ = ["PATHS", "bp", "document"]

bp = Blueprint("openapi", __name__)

_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A machine-readable code."},
        "message": {"type": "string", "description": "A sentence for a person."},
    },
}
_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
}
_ATTEMPT = {
    "type": "object",
    "required": ["state"],
    "properties": {
        "state": {"type": "string", "enum": ["open", "ended"]},
        "outcome": {"type": ["string", "null"]},
        "judged_by": {"type": ["string", "null"]},
        "ended_at": {"type": ["string", "null"]},
        "time_left_s": {"type": ["number", "null"]},
        "criterion": {"type": ["object", "null"]},
    },
}
_EVENT = {
    "type": "object",
    "required": ["id", "seq", "type"],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9-]{8,64}$"},
        "seq": {"type": "integer", "minimum": 0},
        "type": {"type": "string"},
        "ts": {"type": "number"},
        "url": {"type": "string"},
        "data": {"type": "object"},
    },
}
_BATCH = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "items": _EVENT, "maxItems": 500}},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(s): _json(_ERROR, "An error, with a code and a sentence.") for s in statuses
    }


#: Every documented path; add an endpoint's entry here.
PATHS: dict[str, Any] = {
    "/api/v1/attempts/{token}/events": {
        "post": {
            "summary": "Store a batch of recorder events, each exactly once",
            "parameters": [_TOKEN],
            "requestBody": {
                "required": True,
                "content": {
                    "text/plain": {"schema": _BATCH},
                    "application/json": {"schema": _BATCH},
                },
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["acked", "rejected", "attempt"],
                        "properties": {
                            "acked": {"type": "array", "items": {"type": "string"}},
                            "rejected": {"type": "array"},
                            "stored": {"type": "integer"},
                            "duplicates": {"type": "integer"},
                            "attempt": _ATTEMPT,
                        },
                    },
                    "Which events were stored (acked) or refused, and why.",
                ),
                **_errors(400, 401, 403, 404, 410, 413, 415, 422, 429, 503),
            },
        }
    },
    "/api/v1/attempts/{token}": {
        "get": {
            "summary": "The attempt's state and its automatic success criterion",
            "parameters": [_TOKEN],
            "responses": {
                "200": _json(_ATTEMPT, "The attempt's state."),
                **_errors(400, 401, 403, 404, 410, 429, 503),
            },
        }
    },
    "/take/{slug}/answer": {
        "post": {
            "summary": "Save one questionnaire answer as soon as it is given",
            "parameters": [_SLUG],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["step", "questionnaire", "item", "value"],
                            "properties": {
                                "step": {"type": "string"},
                                "questionnaire": {"type": "string"},
                                "item": {"type": "string"},
                                "value": {},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"ok": {"type": "boolean"}}},
                    "Saved.",
                ),
                **_errors(400, 401, 403, 404, 409, 410, 413, 422, 503),
            },
        }
    },
    "/take/{slug}/status.json": {
        "get": {
            "summary": "The participant's current step",
            "parameters": [_SLUG],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "started": {"type": "boolean"},
                        },
                    },
                    "The step now.",
                ),
                **_errors(400, 401, 403, 404, 410, 503),
            },
        }
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    from uxlab import __version__
    from uxlab.audits.openapi import AUDIT_COMPONENTS, AUDIT_PATHS

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "uxlab JSON API",
            "version": __version__,
            "description": (
                "Recorder ingest, attempt state, participant answers, and audit "
                "projects and runs (with a personal or project token). Every "
                'error answer is {"error": <code>, "message": <sentence>}.'
            ),
        },
        "paths": {**PATHS, **AUDIT_PATHS},
        "components": AUDIT_COMPONENTS,
    }


@bp.route("/api/v1/openapi.json")
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI document."""
    return jsonify(document())
