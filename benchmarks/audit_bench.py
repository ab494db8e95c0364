"""Benchmark: a full ``uxlab audit`` against a bare Playwright + axe loop.

A 20-page site is generated into a temporary folder and served on 127.0.0.1.
Then, in one run of this script:

* bare: one Chromium, one page; for each URL ``page.goto`` and axe-core (the
  same bundled axe.min.js, default rules), nothing else;
* uxlab: ``run_audit`` with every check (axe with target-size, performance
  observer, console, link checks, tap targets, overflow, screenshots; the
  keyboard walk is timed apart by ``audit_states_bench.py``) on one
  task that visits the 20 pages, plus writing report.html/json and junit.xml;
* uxlab at desktop and mobile, to give seconds per page per viewport.

Both include launching the browser. Each is run ``--repeat`` times alternately
and the median is reported as seconds per page, with the ratio uxlab / bare.
Goals: ratio <= 1.5 and under 1.5 s per page per viewport. Run with
``python benchmarks/audit_bench.py`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from uxlab.audit import AXE_VERSION, AuditScript, run_audit  # noqa: E402
from uxlab.audit.report import write_reports  # noqa: E402
from uxlab.audit.script import ALL_CHECKS  # noqa: E402
from uxlab.browser import launch_options  # noqa: E402

PAGES = 20
GOAL_RATIO = 1.5
GOAL_SECONDS_PER_PAGE = 1.5

STYLE = """\
body { margin: 0; font: 16px/1.5 sans-serif; color: #1a1a1a; }
header { background: #0b3d2e; padding: 8px; }
nav a { display: inline-block; padding: 10px 12px; color: #fff; }
main { padding: 16px; max-width: 60rem; }
.grid { display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); }
.card { border: 1px solid #ccc; padding: 8px; }
img { max-width: 100%; height: auto; }
"""


def page_html(n: int) -> str:
    """A product-listing page with navigation, cards, images and a form."""
    nav = "".join(
        f'<a href="/page{(n + k) % PAGES}.html">Section {(n + k) % PAGES}</a>'
        for k in range(1, 6)
    )
    cards = "".join(
        f'<div class="card"><img src="/img{i % 4}.svg" alt="Product {n}-{i}" '
        f'width="160" height="120"><h3>Product {n}-{i}</h3>'
        f"<p>Waterproof, breathable and light. Price €{40 + i * 7}.</p>"
        f'<a href="/page{(n + i) % PAGES}.html">Details of product {n}-{i}</a></div>'
        for i in range(12)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Section {n} – Bench shop</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css"></head>
<body><header><nav aria-label="Main">{nav}</nav></header>
<main><h1>Section {n}</h1>
<form role="search" action="/page0.html"><label for="q">Search</label>
<input id="q" name="q" type="search"><button>Find</button></form>
<div class="grid">{cards}</div></main>
<footer><p>Bench shop · page {n}</p></footer></body></html>
"""


def image_svg(i: int) -> str:
    circles = "".join(
        f'<circle cx="{(i * 37 + k * 53) % 160}" cy="{(i * 11 + k * 29) % 120}" '
        f'r="{6 + k % 9}" fill="#{(k * 2654435761 + i) % 0xFFFFFF:06x}"/>'
        for k in range(40)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120">'
        f'<rect width="160" height="120" fill="#dde8f5"/>{circles}</svg>'
    )


def build_site(root: Path) -> None:
    (root / "style.css").write_text(STYLE)
    for i in range(4):
        (root / f"img{i}.svg").write_text(image_svg(i))
    for n in range(PAGES):
        (root / f"page{n}.html").write_text(page_html(n))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(root: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(root))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bare_loop(urls: list[str]) -> float:
    """Seconds for one Chromium to load each page and run axe on it."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    axe = Axe()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        for url in urls:
            page.goto(url, wait_until="load")
            axe.run(page)
        browser.close()
    return time.perf_counter() - start


def uxlab_audit(base_url: str, viewports: list[str], out: Path) -> float:
    """Seconds for run_audit with every check, plus writing the reports."""
    script = AuditScript.model_validate(
        {
            "name": "Benchmark",
            "base_url": base_url,
            "viewports": viewports,
            # the keyboard walk is timed per page state on its own, by
            # benchmarks/audit_states_bench.py
            "checks": [c for c in ALL_CHECKS if c != "keyboard"],
            "tasks": [
                {
                    "name": "Visit every page",
                    "steps": [{"goto": f"/page{n}.html"} for n in range(PAGES)],
                }
            ],
        }
    )
    start = time.perf_counter()
    report = run_audit(script)
    write_reports(report, out)
    seconds = time.perf_counter() - start
    if not report.tasks[0].success or len(report.pages) != PAGES * len(viewports):
        raise SystemExit(f"benchmark audit went wrong: {report.tasks[0].error}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="uxlab-audit-bench-") as tmp:
        root = Path(tmp) / "site"
        root.mkdir()
        build_site(root)
        server = serve(root)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        urls = [f"{base}/page{n}.html" for n in range(PAGES)]
        print(
            f"{PAGES}-page site at {base}; axe-core {AXE_VERSION}; "
            f"{args.repeat} runs each"
        )

        bare: list[float] = []
        full: list[float] = []
        for run in range(args.repeat):
            bare.append(bare_loop(urls))
            full.append(uxlab_audit(base, ["desktop"], Path(tmp) / f"out{run}"))
            print(f"  run {run + 1}: bare {bare[-1]:.2f} s, uxlab {full[-1]:.2f} s")
        both = uxlab_audit(base, ["desktop", "mobile"], Path(tmp) / "both")
        server.shutdown()

    bare_pp = statistics.median(bare) / PAGES
    full_pp = statistics.median(full) / PAGES
    both_pp = both / (PAGES * 2)
    ratio = full_pp / bare_pp
    print(f"bare Playwright + axe loop : {bare_pp:.3f} s per page")
    print(f"uxlab audit, all checks    : {full_pp:.3f} s per page (desktop)")
    print(f"uxlab audit, 2 viewports   : {both_pp:.3f} s per page per viewport")
    print(f"ratio uxlab / bare         : {ratio:.2f}x (goal <= {GOAL_RATIO}x)")
    ok = ratio <= GOAL_RATIO and max(full_pp, both_pp) < GOAL_SECONDS_PER_PAGE
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
