"""uxlab: self-hosted usability testing and UX research.

``from uxlab import stats`` loads only the statistics library (numpy and scipy);
the web app is imported when ``create_app`` is first used.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uxlab.app import create_app

try:
    __version__ = version("uxlab")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from uxlab.app import create_app

        return create_app
    raise AttributeError(f"module 'uxlab' has no attribute {name!r}")
