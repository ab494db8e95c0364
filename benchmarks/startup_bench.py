"""Benchmark: how long the uxlab command takes to start.

Each figure is the median wall-clock time of ``--repeat`` fresh interpreters
running ``python -m uxlab`` from this checkout:

* ``uxlab --help`` (goal under 1.5 s);
* ``uxlab audit --help``;
* ``uxlab audit`` on a one-page site served on 127.0.0.1, up to its first
  progress line ("audited URL ... in N s"), with and without the page's own
  audit time (goal under 2 s to the first page, Chromium's start included).

Run ``python benchmarks/startup_bench.py`` (or ``make bench``); it exits 1
when a goal is missed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_HELP_S = 1.5
GOAL_FIRST_PAGE_S = 2.0

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Start</title></head>
<body><main><h1>Start</h1><p>One page to audit.</p></main></body></html>"""

SCRIPT = """name: Start-up
base_url: {base}
viewports: [desktop]
checks: [accessibility]
thresholds: none
tasks:
  - name: Open the page
    steps:
      - goto: /index.html
"""


def uxlab(*args: str) -> list[str]:
    return [sys.executable, "-m", "uxlab", *args]


def help_seconds(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(uxlab(*args), cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - start


def first_page_seconds(script: Path, out: Path) -> tuple[float, float]:
    """Seconds to the first "audited" line, and that page's own audit time."""
    start = time.perf_counter()
    process = subprocess.Popen(
        uxlab("audit", str(script), "--report", str(out)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.startswith("audited "):
                seconds = time.perf_counter() - start
                found = re.search(r"in ([0-9.]+) s", line)
                return seconds, float(found.group(1)) if found else 0.0
    finally:
        process.stdout.read()
        process.wait(timeout=120)
    raise RuntimeError("uxlab audit printed no progress line")


def serve(directory: Path) -> ThreadingHTTPServer:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(directory))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    help_seconds(["--help"])  # warm-up: disk caches, .pyc files
    top = statistics.median(help_seconds(["--help"]) for _ in range(args.repeat))
    audit = statistics.median(
        help_seconds(["audit", "--help"]) for _ in range(args.repeat)
    )
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        (site / "index.html").write_text(PAGE, encoding="utf-8")
        server = serve(site)
        script = Path(tmp) / "start.yaml"
        base = f"http://127.0.0.1:{server.server_address[1]}"
        script.write_text(SCRIPT.format(base=base), encoding="utf-8")
        try:
            runs = [
                first_page_seconds(script, Path(tmp) / f"r{i}")
                for i in range(args.repeat)
            ]
        finally:
            server.shutdown()
    first = statistics.median(total for total, _ in runs)
    before_audit = statistics.median(total - own for total, own in runs)

    print(f"uxlab --help: {top:.2f} s (goal < {GOAL_HELP_S} s)")
    print(f"uxlab audit --help: {audit:.2f} s")
    print(
        f"uxlab audit, one page: first page audited after {first:.2f} s; "
        f"its audit started after {before_audit:.2f} s "
        f"(goal < {GOAL_FIRST_PAGE_S:.0f} s), median of {args.repeat}"
    )
    ok = top < GOAL_HELP_S and before_audit < GOAL_FIRST_PAGE_S
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
