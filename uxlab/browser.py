"""Find and launch the Chromium that audits, screenshots and PDF reports use.

The binary is looked up in this order: the ``UXLAB_CHROMIUM`` environment
variable, a ``chromium`` (or ``chromium-browser``/``google-chrome``) on PATH, then
Playwright's own managed browser.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

__all__ = ["CHROMIUM_ARGS", "chromium_executable", "launch_options"]

#: Flags that keep a headless Chromium quiet on a closed network and in containers.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_executable() -> str | None:
    """Path of the Chromium binary to launch, or None for Playwright's own."""
    configured = os.environ.get("UXLAB_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launch_options(*, headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch``."""
    options: dict[str, Any] = {"headless": headless, "args": list(CHROMIUM_ARGS)}
    executable = chromium_executable()
    if executable:
        options["executable_path"] = executable
    return options
