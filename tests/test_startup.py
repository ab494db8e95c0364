"""`uxlab --help` starts without the heavy libraries: they are imported lazily.

Each command line runs in a fresh interpreter with ``-X importtime``; what it
imported is read from that report, not from a clock (the wall-clock figures
are in ``benchmarks/startup_bench.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Imported only by the commands that draw, compute or drive a browser.
HEAVY = ("matplotlib", "scipy", "numpy", "playwright", "pandas", "huey")


def imported(*args: str) -> set[str]:
    """The modules ``python -m uxlab ARGS`` imports, from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "uxlab", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Usage: uxlab" in done.stdout
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--help"], ["audit", "--help"]])
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    found = packages(imported(*args))
    assert "uxlab" in found and "click" in found
    assert sorted(found & set(HEAVY)) == []


def test_a_command_without_a_database_does_not_load_sqlalchemy() -> None:
    # the audit command drives Chromium; it needs no database driver to start
    assert "sqlalchemy" not in packages(imported("audit", "--help"))
