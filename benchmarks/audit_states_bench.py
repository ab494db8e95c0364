"""Benchmark: auditing every page state, the keyboard walk, and report writing.

A 10-page site is generated into a temporary folder and served on 127.0.0.1.
Each page has navigation, a grid of cards, a form and a "Details" button that
opens a dialog, so a journey that opens every dialog reaches 20 page states.
In one run of this script:

* bare: one Chromium, one desktop page; for each page ``goto``, axe-core, click
  "Details", axe-core again (the same bundled axe.min.js and options);
* uxlab (axe part): ``run_audit`` with the accessibility check only over the
  same journey, which also settles each state, fingerprints it to deduplicate,
  and probes the page;
* keyboard walk: :func:`uxlab.audit.keyboard.keyboard_findings` timed on each
  of the 20 states (Tab presses until focus cycles, plus the measurements);
* report: ``write_reports`` for a synthetic run of 150 pages (1,200 findings,
  site-wide ones repeated on every page, each issue's first finding with an
  outlined screenshot, whatever its severity), its time and report.html's
  size.

Both browser loops include launching Chromium; each is run ``--repeat`` times
alternately and the median reported. Goals: uxlab / bare <= 1.5 for the axe
part, the keyboard walk under 1 s per state (median), report.html under 1.5 MB and
written in under 3 s. Run ``python benchmarks/audit_states_bench.py`` (or
``make bench``).
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

from uxlab.audit import AuditScript, run_audit  # noqa: E402
from uxlab.audit.findings import (  # noqa: E402
    AuditReport,
    Finding,
    PageAudit,
    Screenshot,
    Severity,
    evaluate_thresholds,
)
from uxlab.audit.issues import normalise_selector  # noqa: E402
from uxlab.audit.report import write_reports  # noqa: E402
from uxlab.browser import launch_options  # noqa: E402

PAGES = 10
REPORT_PAGES = 150
GOAL_RATIO = 1.5
GOAL_WALK_S = 1.0
GOAL_HTML_BYTES = 1_500_000
GOAL_WRITE_S = 3.0


def page_html(n: int) -> str:
    nav = "".join(
        f'<a href="/page{(n + k) % PAGES}.html">Section {(n + k) % PAGES}</a> '
        for k in range(1, 7)
    )
    cards = "".join(
        f'<div class="card"><h3>Item {n}-{i}</h3><p>Short text for item {i}.</p>'
        f'<a href="/page{(n + i) % PAGES}.html">More on item {i}</a></div>'
        for i in range(16)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page {n}</title>
<style>
body {{ margin: 0; font: 16px/1.5 sans-serif; }}
main {{ padding: 16px; }} .grid {{ display: grid; gap: 8px;
  grid-template-columns: repeat(4, 1fr); }} [hidden] {{ display: none; }}
</style></head>
<body><a href="#main">Skip to content</a>
<header><nav aria-label="Main">{nav}</nav></header>
<main id="main"><h1>Page {n}</h1>
<button type="button" id="open">Details</button>
<div role="dialog" aria-label="Details" id="dialog" hidden>
  <label>Name <input name="name"></label> <label>Email <input name="email"></label>
  <button type="button">Save</button></div>
<div class="grid">{cards}</div>
<form><label>Search <input name="q" type="search"></label>
<button type="submit">Search</button></form></main>
<script>document.getElementById("open").addEventListener("click", () => {{
  document.getElementById("dialog").hidden = false; }});</script>
</body></html>"""


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


def bare_loop(base: str) -> float:
    """Playwright + axe over the same 20 states, nothing else."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    from uxlab.audit.checks import AXE_OPTIONS, axe_script

    start = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        axe = Axe(axe_script=axe_script())
        for n in range(PAGES):
            page.goto(f"{base}/page{n}.html", wait_until="load")
            axe.run(page, options=AXE_OPTIONS)
            page.get_by_role("button", name="Details").click()
            axe.run(page, options=AXE_OPTIONS)
        browser.close()
    return time.perf_counter() - start


def journey(base: str) -> AuditScript:
    steps: list[dict[str, Any]] = []
    for n in range(PAGES):
        steps += [
            {"goto": f"/page{n}.html"},
            {"click": {"role": "button", "name": "Details"}},
        ]
    return AuditScript.model_validate(
        {
            "name": "States benchmark",
            "base_url": base,
            "viewports": ["desktop"],
            "checks": ["accessibility"],
            "thresholds": "none",
            "tasks": [{"name": "Open every dialog", "steps": steps}],
        }
    )


def uxlab_axe(base: str) -> tuple[float, int]:
    start = time.perf_counter()
    report = run_audit(journey(base))
    return time.perf_counter() - start, len(report.pages)


def keyboard_walks(base: str) -> list[float]:
    """Seconds of the keyboard check on each of the 20 states."""
    from playwright.sync_api import sync_playwright

    from uxlab.audit import keyboard

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        for n in range(PAGES):
            url = f"{base}/page{n}.html"
            page.goto(url, wait_until="load")
            for opened in (False, True):
                if opened:
                    page.get_by_role("button", name="Details").click()
                start = time.perf_counter()
                keyboard.keyboard_findings(page, url=url, viewport="desktop")
                times.append(time.perf_counter() - start)
        browser.close()
    return times


def synthetic_report(shot: bytes) -> AuditReport:
    """150 pages at one viewport, 8 findings each, 6 of them site-wide.

    The first finding of each issue carries an outlined screenshot, as a run
    takes them: every severity, once per issue.
    """
    script = AuditScript.model_validate(
        {
            "name": "Report benchmark",
            "base_url": "http://127.0.0.1:9",
            "viewports": ["desktop"],
            "tasks": [{"name": "T", "steps": [{"goto": "/"}]}],
        }
    )
    pages, findings = [], []
    pictured: set[tuple[str, str]] = set()
    site_wide = [
        ("region", Severity.moderate, "body > header > div"),
        ("landmark-unique", Severity.moderate, "body > nav"),
        ("color-contrast", Severity.serious, "body > footer > p"),
        ("link-name", Severity.serious, "body > header > a"),
        ("image-alt", Severity.critical, "body > header > img"),
        ("skip-link-missing", Severity.moderate, "body > header > nav"),
    ]
    for n in range(REPORT_PAGES):
        url = f"http://127.0.0.1:9/page{n}"
        pages.append(
            PageAudit(url, "desktop", f"Page {n}", None, Screenshot(f"p{n}", shot), 0.5)
        )
        rules = site_wide + [
            ("label", Severity.critical, f"#field-{n}"),
            ("heading-order", Severity.moderate, f"main > h4:nth-of-type({n % 3 + 1})"),
        ]
        for rule, severity, selector in rules:
            issue = (rule, normalise_selector(selector))
            outlined = None if issue in pictured else Screenshot(f"h{n}-{rule}", shot)
            pictured.add(issue)
            findings.append(
                Finding(
                    rule,
                    "accessibility",
                    severity,
                    url,
                    "desktop",
                    selector,
                    f"{rule} fails on this element",
                    f"Fix {rule}",
                    f"https://dequeuniversity.com/rules/axe/4.12/{rule}",
                    ("wcag2a", "wcag111"),
                    snippet=f'<div class="{rule}">' + "x" * 120 + "</div>",
                    screenshot=outlined,
                )
            )
    thresholds = evaluate_thresholds(script, [], pages, findings)
    return AuditReport(
        script,
        "2026-12-05T00:00:00+00:00",
        60.0,
        "4.12.1",
        "chromium",
        1,
        (),
        tuple(pages),
        tuple(findings),
        thresholds,
    )


def report_writing(repeat: int) -> tuple[float, int, int, int]:
    shot = b"\xff\xd8\xff" + bytes(20_000)
    report = synthetic_report(shot)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            out = Path(tmp) / f"r{i}"
            start = time.perf_counter()
            write_reports(report, out)
            times.append(time.perf_counter() - start)
        html = (out / "report.html").stat().st_size
        shots = sum(p.stat().st_size for p in (out / "screenshots").iterdir())
    return statistics.median(times), html, shots, len(report.issues)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        for n in range(PAGES):
            (site / f"page{n}.html").write_text(page_html(n), encoding="utf-8")
        server = serve(site)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            bare_loop(base)  # warm-up: disk caches, Chromium first start
            bare, ours, states = [], [], 0
            for _ in range(args.repeat):
                bare.append(bare_loop(base))
                seconds, states = uxlab_axe(base)
                ours.append(seconds)
            walks = keyboard_walks(base)
        finally:
            server.shutdown()

    bare_s, ours_s = statistics.median(bare), statistics.median(ours)
    ratio = ours_s / bare_s
    print(f"states audited by uxlab: {states} (bare loop: {2 * PAGES})")
    print(
        f"axe part, {2 * PAGES} states, median of {args.repeat}: "
        f"bare Playwright+axe {bare_s:.2f} s, uxlab {ours_s:.2f} s, "
        f"ratio {ratio:.2f} (goal <= {GOAL_RATIO})"
    )
    walk_median, walk_max = statistics.median(walks), max(walks)
    print(
        f"keyboard walk per state: median {walk_median:.3f} s, max {walk_max:.3f} s "
        f"over {len(walks)} states (goal < {GOAL_WALK_S:.0f} s)"
    )
    write_s, html, shots, issues = report_writing(args.repeat)
    print(
        f"report for {REPORT_PAGES} pages ({REPORT_PAGES * 8} findings, {issues} "
        f"issues): written in {write_s:.2f} s (goal < {GOAL_WRITE_S:.0f} s), "
        f"report.html {html / 1e6:.2f} MB (goal < {GOAL_HTML_BYTES / 1e6:.1f} MB), "
        f"screenshots/ {shots / 1e6:.1f} MB beside it"
    )
    ok = (
        ratio <= GOAL_RATIO
        and walk_median < GOAL_WALK_S
        and html < GOAL_HTML_BYTES
        and write_s < GOAL_WRITE_S
    )
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
