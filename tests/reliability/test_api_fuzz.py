"""The JSON endpoints, fuzzed from their OpenAPI document with Schemathesis.

Schemathesis generates requests from /api/v1/openapi.json, valid and not, and
checks every answer: never a 500, and every error answer in the documented
``{"error", "message"}`` shape with a documented status.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from uxlab import create_app
from uxlab.db import get_engine

pytestmark = pytest.mark.reliability


@pytest.fixture(name="fuzzed_app")
def fuzzed_app_fixture(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": False,  # answered as served: no exception reaches the test
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app
    get_engine(app).dispose()


def test_no_500_and_every_error_has_its_shape(fuzzed_app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code != 500, (case.path, response.text)
            case.validate_response(
                response,
                checks=[status_code_conformance, response_schema_conformance],
            )

        check()
