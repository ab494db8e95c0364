"""The Makefile installs what each target needs, and no more (read with make -n)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def _dry_run(target: str, tmp_path: Path) -> list[str]:
    """The pip install lines ``make TARGET`` would run on a fresh checkout."""
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), f"VENV={tmp_path / 'venv'}", target],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if "pip install" in line]


def test_demo_installs_the_package_without_test_or_bench_tools(tmp_path) -> None:
    lines = _dry_run("demo", tmp_path)
    assert lines, "make demo installs nothing"
    assert all("[" not in line for line in lines), lines


def test_test_and_bench_install_their_extras(tmp_path) -> None:
    assert any("[test]" in line for line in _dry_run("test", tmp_path))
    assert any("bench]" in line for line in _dry_run("bench", tmp_path))
