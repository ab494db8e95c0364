"""The OpenAPI description of the audit endpoints under ``/api/v1/``.

:data:`AUDIT_PATHS` and :data:`AUDIT_COMPONENTS` hold the audit endpoints;
:func:`uxlab.web.openapi.document` takes them into the one document served at
``/api/v1/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from uxlab.audit.findings import FAIL_ON_LEVELS
from uxlab.audits.projects import LIMITS

__all__ = ["AUDIT_COMPONENTS", "AUDIT_PATHS"]

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "Bad input",
        401: "No token, or an unknown one",
        403: "The token's role or kind does not allow this",
        404: "No such project or run (or not visible to the token)",
    }
    return {str(code): _json(_ERROR, words[code]) for code in codes}


_PROJECT_ID = {
    "name": "project_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
_RUN_ID = {
    "name": "run_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}

AUDIT_PATHS: dict[str, Any] = {
    "/api/v1/projects": {
        "get": {
            "summary": "List the audit projects the token's researcher can read",
            "security": [{"personal": []}],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "projects": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Project"},
                            }
                        },
                    },
                    "The projects",
                ),
                **_errors(401),
            },
        }
    },
    "/api/v1/projects/{project_id}": {
        "parameters": [_PROJECT_ID],
        "get": {
            "summary": "A project and all its settings",
            "security": [{"personal": []}],
            "responses": {
                "200": _json(
                    {"$ref": "#/components/schemas/ProjectWithSettings"},
                    "The project",
                ),
                **_errors(401, 403, 404),
            },
        },
        "patch": {
            "summary": (
                "Change some of a project's settings (editors and owners); "
                "the settings not sent stay as they are"
            ),
            "security": [{"personal": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "$ref": "#/components/schemas/ProjectSettings",
                            "unevaluatedProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {"$ref": "#/components/schemas/ProjectWithSettings"},
                    "The project as saved",
                ),
                **_errors(400, 401, 403, 404),
            },
        },
    },
    "/api/v1/projects/{project_id}/runs": {
        "parameters": [_PROJECT_ID],
        "get": {
            "summary": "List a project's runs, newest first",
            "security": [{"personal": []}],
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 200,
                        "default": 50,
                    },
                }
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "runs": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Run"},
                            }
                        },
                    },
                    "The runs",
                ),
                **_errors(401, 403, 404),
            },
        },
        "post": {
            "summary": "Start a run (editors and owners)",
            "security": [{"personal": []}],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "base_url": {"type": "string", "format": "uri"}
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": _json({"$ref": "#/components/schemas/Run"}, "The queued run"),
                **_errors(400, 401, 403, 404),
            },
        },
    },
    "/api/v1/projects/{project_id}/runs/{run_id}": {
        "parameters": [_PROJECT_ID, _RUN_ID],
        "get": {
            "summary": (
                "A run's status, progress, summary and diff against the run before"
            ),
            "security": [{"personal": []}],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/Run"}, "The run"),
                **_errors(401, 403, 404),
            },
        },
    },
    "/api/v1/projects/{project_id}/uploads": {
        "parameters": [_PROJECT_ID],
        "post": {
            "summary": (
                "Upload a run made by `uxlab audit --upload`; idempotent by run_id"
            ),
            "security": [{"upload": []}, {"personal": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Upload"}
                    }
                },
            },
            "responses": {
                "201": _json(
                    {"$ref": "#/components/schemas/Run"}, "Stored as a new run"
                ),
                "200": _json(
                    {"$ref": "#/components/schemas/Run"},
                    "Already stored under this run_id",
                ),
                **_errors(400, 401, 403, 404),
            },
        },
    },
}

AUDIT_COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "personal": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A researcher's personal token (`uxlab researcher token EMAIL`)."
            ),
        },
        "upload": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A project's upload token: uploads runs to that project only."
            ),
        },
    },
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
        },
        "Project": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "workspace": {"type": "string"},
                "name": {"type": "string"},
                "base_url": {"type": "string"},
                "schedule": {"type": ["string", "null"]},
                "timezone": {"type": "string"},
                "script_version": {"type": "integer"},
            },
        },
        "ProjectSettings": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "base_url": {"type": "string", "format": "uri"},
                "schedule": {
                    "type": ["string", "null"],
                    "description": "Five cron fields, read in timezone; null: none",
                },
                "timezone": {"type": "string"},
                "fail_on": {"type": "string", "enum": list(FAIL_ON_LEVELS)},
                "retention_days": {"type": "integer", "minimum": 1},
                "webhook_url": {"type": ["string", "null"], "format": "uri"},
                "concurrency": {
                    "type": "integer",
                    "minimum": LIMITS["concurrency"][0],
                    "maximum": LIMITS["concurrency"][1],
                    "description": "Runs of the project at once, across all workers",
                },
                "timeout_seconds": {
                    "type": "integer",
                    "minimum": LIMITS["timeout_seconds"][0],
                    "maximum": LIMITS["timeout_seconds"][1],
                    "description": "A run still going after this ends as error",
                },
                "perf_regression_pct": {
                    "type": "integer",
                    "minimum": LIMITS["perf_regression_pct"][0],
                    "maximum": LIMITS["perf_regression_pct"][1],
                    "description": (
                        "A performance figure that grew by more than this "
                        "percentage counts as worse in the diff"
                    ),
                },
            },
        },
        "ProjectWithSettings": {
            "allOf": [
                {"$ref": "#/components/schemas/Project"},
                {"$ref": "#/components/schemas/ProjectSettings"},
            ]
        },
        "Run": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "status": {
                    "type": "string",
                    "enum": [
                        "queued",
                        "running",
                        "passed",
                        "failed",
                        "error",
                        "cancelled",
                    ],
                },
                "done": {"type": "integer"},
                "total": {"type": "integer"},
                "current_url": {"type": ["string", "null"]},
                "started_by": {"type": "string", "enum": ["person", "schedule", "ci"]},
                "base_url": {"type": "string"},
                "script_version": {"type": "integer"},
                "attempts": {"type": "integer"},
                "error": {"type": ["string", "null"]},
                "summary": {"type": "object"},
                "regression": {"type": ["boolean", "null"]},
                "diff": {"type": ["object", "null"]},
                "url": {"type": "string"},
            },
        },
        "Upload": {
            "type": "object",
            "required": ["run_id", "report"],
            "properties": {
                "run_id": {"type": "string", "maxLength": 100},
                "report": {
                    "type": "object",
                    "description": "report.json as `uxlab audit` writes it",
                },
                "report_html": {"type": "string"},
                "screenshots": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "filename": {"type": "string"},
                            "mime": {"type": "string"},
                            "data": {"type": "string", "contentEncoding": "base64"},
                        },
                    },
                },
            },
        },
    },
}
