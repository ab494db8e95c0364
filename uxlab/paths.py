"""Where uxlab's top-level folders are, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PROJECT_ROOT", "STATIC_DIR", "STUDY_TEMPLATES_DIR"]

_PACKAGE = Path(__file__).resolve().parent
PROJECT_ROOT = _PACKAGE.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


#: Top-level ``static/`` in a checkout; ``uxlab/_static`` inside a wheel.
STATIC_DIR = _first_existing(PROJECT_ROOT / "static", _PACKAGE / "_static")
#: Top-level ``study_templates/`` in a checkout; ``uxlab/_study_templates`` in a wheel.
STUDY_TEMPLATES_DIR = _first_existing(
    PROJECT_ROOT / "study_templates", _PACKAGE / "_study_templates"
)
