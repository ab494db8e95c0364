from __future__ import annotations

from pathlib import Path

import pytest

from uxlab import create_app
from uxlab.paths import PROJECT_ROOT


def test_test_config_overrides_defaults(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    )
    assert app.testing
    assert app.config["DATABASE_URL"].endswith("x.db")
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


def test_static_folder_is_top_level_static(app) -> None:
    assert Path(app.static_folder or "") == PROJECT_ROOT / "static"
    assert Path(app.config["STUDY_TEMPLATES_DIR"]) == PROJECT_ROOT / "study_templates"


def test_environment_prefix_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("UXLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("UXLAB_MAX_TEXT_ANSWER", "500")
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.db")
    assert app.config["MAX_TEXT_ANSWER"] == 500


def test_secret_key_is_generated_once_per_instance(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("UXLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.delenv("UXLAB_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first and first == second


def test_static_files_are_served(client) -> None:
    with client.get("/static/uxlab.css") as response:
        assert response.status_code == 200
        assert b"--accent" in response.data


def test_security_headers(client) -> None:
    response = client.get("/login")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_page_is_an_html_404(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Not found" in response.data


def test_unknown_api_route_is_json_404(client) -> None:
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert response.get_json()["message"]
