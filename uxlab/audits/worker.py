"""``uxlab worker``, and the worker ``uxlab serve`` starts beside itself on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

__all__ = ["CHROMIUM_MISSING", "chromium_problem", "start_embedded_worker"]

#: The line a worker without Chromium stops with.
CHROMIUM_MISSING = (
    "no Chromium to run audits with: install it (Debian: apt-get install "
    "chromium; elsewhere: python -m playwright install chromium) or set "
    "UXLAB_CHROMIUM to its path"
)


def chromium_problem() -> str | None:
    """Why audits cannot run here, or None when a Chromium can be launched."""
    from uxlab.browser import chromium_executable

    path = chromium_executable()
    if path is None:
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                path = playwright.chromium.executable_path
        except Exception:  # noqa: BLE001 - any failure means: no browser
            return CHROMIUM_MISSING
    if not path or not os.access(path, os.X_OK):
        return CHROMIUM_MISSING + (f" ({path} cannot be run)" if path else "")
    return None


@click.command("worker")
@click.option(
    "--threads",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Runs this worker audits at once (each in its own Chromium).",
)
@click.option("--with-parent", "parent_pid", type=int, default=None, hidden=True)
@with_appcontext
def worker_command(threads: int, parent_pid: int | None) -> None:
    """Take audit runs from the queue and run them in Chromium until stopped."""
    from uxlab.audits.queue import audit_queue

    problem = chromium_problem()
    if problem is not None:
        click.echo(f"Error: {problem}", err=True)
        raise SystemExit(2)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if parent_pid is not None:
        _stop_with_parent(parent_pid)
    click.echo(f"uxlab worker: taking audit runs with {threads} thread(s)")
    audit_queue(app).run_worker(threads=threads)


def _stop_with_parent(parent: int) -> None:
    """Stop (as on Ctrl+C) when the server ``parent`` that started us is gone.

    Gone means no longer our parent, or a zombie not yet collected. If the
    queue has not stopped 15 s after being asked, the process exits anyway.
    """

    def alive() -> bool:
        if os.getppid() != parent:
            return False
        try:
            with open(f"/proc/{parent}/stat", encoding="ascii") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return True  # no /proc here: the parent id alone tells

    def watch() -> None:
        while alive():
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(15)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def start_embedded_worker(database_url: str) -> subprocess.Popen[bytes] | None:
    """Start a ``uxlab worker`` beside ``uxlab serve``; None without Chromium."""
    problem = chromium_problem()
    if problem is not None:
        click.echo(f"Audits will wait in the queue: {problem}", err=True)
        return None
    env = dict(os.environ, UXLAB_DATABASE_URL=database_url)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uxlab",
            "worker",
            "--threads",
            "1",
            "--with-parent",
            str(os.getpid()),
        ],
        env=env,
    )
