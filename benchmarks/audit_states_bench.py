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
* uxlab (all checks): ``run_audit`` over the same journey with every check on
  (``ALL_CHECKS``: accessibility, performance, console, links, tap_targets,
  overflow, screenshots, keyboard; tap_targets and overflow only act at touch
  and narrow viewports, so not at this desktop one). ``run_audit`` records
  one time per state (``PageAudit.seconds``, all its checks together) and none
  per check, so the keyboard walk
  (:func:`uxlab.audit.keyboard.keyboard_findings`) and the axe-core calls
  (:func:`uxlab.audit.checks.run_axe_with_review`) are timed inside that run
  by wrapping them; the walk's time is reported per page state;
* report: ``write_reports`` for a synthetic run of 150 pages (1,200 findings,
  site-wide ones repeated on every page, each issue's first finding with an
  outlined screenshot, whatever its severity), its time and report.html's
  size.

The browser loops include launching Chromium; each is run ``--repeat`` times
alternately and the median reported. Goals: the axe part <= 1.5 times the
bare loop, both as uxlab with the accessibility check only and as the
all-checks run less its keyboard walks (which include their screenshots), the
keyboard walk under 1 s per state (median over the states of the
all-checks run, each state's median over the repeats), report.html under
1.5 MB and written in under 3 s. The whole script stops itself after
``--deadline`` seconds (exit 2). Run ``python benchmarks/audit_states_bench.py``
(or ``make bench``); it exits 1, naming the goal on stderr, when a goal is
missed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
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
from uxlab.audit.script import ALL_CHECKS  # noqa: E402
from uxlab.browser import launch_options  # noqa: E402

PAGES = 10
REPORT_PAGES = 150
GOAL_RATIO = 1.5
GOAL_WALK_S = 1.0
GOAL_HTML_BYTES = 1_500_000
GOAL_WRITE_S = 3.0
DEADLINE_S = 900.0


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


def journey(base: str, checks: list[str]) -> AuditScript:
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
            "checks": checks,
            "thresholds": "none",
            "tasks": [{"name": "Open every dialog", "steps": steps}],
        }
    )


def uxlab_axe(base: str) -> tuple[float, int]:
    start = time.perf_counter()
    report = run_audit(journey(base, ["accessibility"]))
    return time.perf_counter() - start, len(report.pages)


@contextlib.contextmanager
def timing(module: Any, name: str, into: list[float]) -> Iterator[None]:
    """Append the seconds of every call of ``module.name`` to ``into``.

    The runner looks these functions up on their module at each call, so
    replacing the attribute times the calls the run makes itself.
    """
    original = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - start)

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


def uxlab_all(base: str) -> dict[str, Any]:
    """``run_audit`` with every check on: its time, and where the time went."""
    from uxlab.audit import checks, keyboard

    walks: list[float] = []
    axe: list[float] = []
    start = time.perf_counter()
    with (
        timing(keyboard, "keyboard_findings", walks),
        timing(checks, "run_axe_with_review", axe),
    ):
        report = run_audit(journey(base, list(ALL_CHECKS)))
    return {
        "seconds": time.perf_counter() - start,
        "states": len(report.pages),
        "state_seconds": [page.seconds for page in report.pages],
        "walks": walks,
        "axe": axe,
        "findings": len(report.findings),
        "issues": len(report.issues),
    }


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


def per_state_medians(runs: list[list[float]]) -> list[float]:
    """Each state's median over the runs (every run lists the states in order)."""
    return [statistics.median(times) for times in zip(*runs, strict=True)]


def watchdog(seconds: float) -> threading.Timer:
    """Stop the whole process, Chromium and all, if it runs past ``seconds``."""

    def stop() -> None:
        print(
            f"benchmark stopped: still running after {seconds:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        os._exit(2)

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    return timer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--deadline",
        type=float,
        default=DEADLINE_S,
        help=f"stop (exit 2) after this many seconds (default {DEADLINE_S:.0f})",
    )
    args = parser.parse_args()
    timer = watchdog(args.deadline)

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        for n in range(PAGES):
            (site / f"page{n}.html").write_text(page_html(n), encoding="utf-8")
        server = serve(site)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            bare_loop(base)  # warm-up: disk caches, Chromium first start
            bare, ours, full, states = [], [], [], 0
            for _ in range(args.repeat):
                bare.append(bare_loop(base))
                seconds, states = uxlab_axe(base)
                ours.append(seconds)
                full.append(uxlab_all(base))
        finally:
            server.shutdown()

    missed: list[str] = []
    bare_s, ours_s = statistics.median(bare), statistics.median(ours)
    ratio = ours_s / bare_s
    print(f"states audited by uxlab: {states} (bare loop: {2 * PAGES})")
    print(
        f"axe part, {2 * PAGES} states, median of {args.repeat}: "
        f"bare Playwright+axe {bare_s:.2f} s, uxlab (accessibility check only) "
        f"{ours_s:.2f} s, ratio {ratio:.2f} (goal <= {GOAL_RATIO})"
    )
    if ratio > GOAL_RATIO:
        missed.append(
            f"axe part (accessibility check only) / bare <= {GOAL_RATIO} "
            f"(was {ratio:.2f}: "
            f"{ours_s:.2f} s against {bare_s:.2f} s)"
        )

    full_states = {run["states"] for run in full}
    full_s = statistics.median(run["seconds"] for run in full)
    axe_s = statistics.median(sum(run["axe"]) for run in full)
    walk_total = statistics.median(sum(run["walks"]) for run in full)
    # The all-checks run less its keyboard walks (which the bare loop has no
    # counterpart of, and which are reported per state below).
    rest_s = statistics.median(run["seconds"] - sum(run["walks"]) for run in full)
    rest_ratio = rest_s / bare_s
    print(
        f"uxlab, all checks ({', '.join(ALL_CHECKS)}), median of {args.repeat}: "
        f"{full_s:.2f} s for {'/'.join(map(str, sorted(full_states)))} states, "
        f"{full_s / bare_s:.2f}x the bare loop; in it axe-core calls {axe_s:.2f} s, "
        f"keyboard walks {walk_total:.2f} s, everything else (Chromium, steps, "
        f"settling, fingerprints, probe, load timings, links, screenshots, "
        f"dialog focus watch) {full_s - axe_s - walk_total:.2f} s; "
        f"{full[0]['findings']} findings in {full[0]['issues']} "
        f"issue{'' if full[0]['issues'] == 1 else 's'}"
    )
    print(
        f"axe part of the all-checks run (the run less its keyboard walks): "
        f"{rest_s:.2f} s, ratio {rest_ratio:.2f} to the bare loop "
        f"(goal <= {GOAL_RATIO})"
    )
    if rest_ratio > GOAL_RATIO:
        missed.append(
            f"all-checks run less its keyboard walks / bare <= {GOAL_RATIO} "
            f"(was {rest_ratio:.2f}: {rest_s:.2f} s against {bare_s:.2f} s)"
        )
    walk_counts = {len(run["walks"]) for run in full}
    if full_states != {2 * PAGES} or walk_counts != {2 * PAGES}:
        print(
            f"error: the all-checks run audited {sorted(full_states)} states and "
            f"walked {sorted(walk_counts)}, not {2 * PAGES}",
            file=sys.stderr,
        )
        return 1
    per_state = per_state_medians([run["walks"] for run in full])
    per_audit = per_state_medians([run["state_seconds"] for run in full])
    walk_median, walk_max = statistics.median(per_state), max(per_state)
    print(
        f"keyboard walk per state, timed inside the all-checks run_audit: "
        f"median {walk_median:.3f} s, max {walk_max:.3f} s over {len(per_state)} "
        f"states (goal < {GOAL_WALK_S:.0f} s); whole audit of a state with all "
        f"checks: median {statistics.median(per_audit):.3f} s, "
        f"max {max(per_audit):.3f} s"
    )
    print(
        "keyboard walk per state, seconds: "
        + " ".join(
            f"page{n // 2}{'+dialog' if n % 2 else ''} {t:.2f}"
            for n, t in enumerate(per_state)
        )
    )
    if walk_median >= GOAL_WALK_S:
        missed.append(
            f"keyboard walk < {GOAL_WALK_S:.0f} s per state "
            f"(median was {walk_median:.3f} s)"
        )

    write_s, html, shots, issues = report_writing(args.repeat)
    print(
        f"report for {REPORT_PAGES} pages ({REPORT_PAGES * 8} findings, {issues} "
        f"issues): written in {write_s:.2f} s (goal < {GOAL_WRITE_S:.0f} s), "
        f"report.html {html / 1e6:.2f} MB (goal < {GOAL_HTML_BYTES / 1e6:.1f} MB), "
        f"screenshots/ {shots / 1e6:.1f} MB beside it"
    )
    if write_s >= GOAL_WRITE_S:
        missed.append(
            f"report for {REPORT_PAGES} pages written in < {GOAL_WRITE_S:.0f} s "
            f"(was {write_s:.2f} s)"
        )
    if html >= GOAL_HTML_BYTES:
        missed.append(
            f"report.html for {REPORT_PAGES} pages < {GOAL_HTML_BYTES / 1e6:.1f} MB "
            f"(was {html / 1e6:.2f} MB)"
        )
    timer.cancel()
    print("goals met" if not missed else "GOALS NOT MET")
    for goal in missed:
        print(f"goal missed: {goal}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
