"""Links never take their address from an untrusted Host header."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.web.test_researcher import (  # noqa: F401  (fixtures)
    Study,
    owner_fixture,
    study_fixture,
    user_fixture,
)
from uxlab.web.links import public_url


def _link_base(app: Flask, host: str) -> str:
    """The address a link made while answering a request for ``host`` starts with."""
    with app.test_request_context("/", headers={"Host": host}):
        return public_url("/s/x").removesuffix("/s/x")


def test_a_forged_host_never_reaches_a_link(app: Flask) -> None:
    assert _link_base(app, "evil.example") == "http://127.0.0.1"
    assert _link_base(app, "evil.example:8080") == "http://127.0.0.1:8080"


def test_loopback_hosts_are_kept(app: Flask) -> None:
    assert _link_base(app, "localhost:5000") == "http://localhost:5000"
    assert _link_base(app, "127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert _link_base(app, "[::1]:5000") == "http://[::1]:5000"


def test_a_trusted_host_is_used(app: Flask, client: FlaskClient) -> None:
    app.config["TRUSTED_HOSTS"] = ["uxlab.example.org", "localhost"]
    assert _link_base(app, "uxlab.example.org") == "http://uxlab.example.org"
    # Flask refuses any other host outright once the list is set.
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


def test_public_url_wins(app: Flask) -> None:
    app.config["PUBLIC_URL"] = "https://uxlab.example.org/"
    assert _link_base(app, "evil.example") == "https://uxlab.example.org"


def test_serving_beyond_loopback_without_public_url_warns(
    database_url: str, tmp_path: Path
) -> None:
    uxlab = Path(sys.executable).with_name("uxlab")
    env = {
        "PATH": "/usr/bin:/bin",
        "UXLAB_DATABASE_URL": database_url,
        "UXLAB_SECRET_KEY": "test",
        "HOME": str(tmp_path),
    }
    # The port is taken: the command stops right after its warnings.
    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [str(uxlab), "serve", "--host", "0.0.0.0", "--port", port],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert "Warning: serving on 0.0.0.0 without UXLAB_PUBLIC_URL" in result.stderr
