"""Fixtures shared by the tests of the study kinds."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.kinds.helpers import OWNER, log_in
from uxlab.models import Study


@pytest.fixture
def logged_in(client: FlaskClient, study: Study) -> FlaskClient:
    """The client, logged in as the owner of the module's ``study`` (``OWNER``)."""
    return log_in(client, OWNER)
