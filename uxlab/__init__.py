"""uxlab: self-hosted usability testing and UX research."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from uxlab.app import create_app

try:
    __version__ = version("uxlab")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

__all__ = ["__version__", "create_app"]
