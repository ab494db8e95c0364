"""Benchmark: audit runs on the job queue, with 1, 2 and 4 `uxlab worker` processes.

A site of ``--pages`` pages (200 by default) is generated and served on
127.0.0.1. In one run of this script:

* bare: ``run_audit`` of one script visiting every page, in this process (what
  a single ``uxlab audit`` does), at the desktop viewport;
* queue: the same pages split into runs of ``--pages-per-run`` pages, queued
  on one audit project (concurrency = number of workers) of a SQLite
  database, and taken by 1, 2 and 4 ``uxlab worker`` processes (one thread
  each); timed from queueing to the last run stored, workers already started;
* scheduling: ``--schedule-projects`` projects scheduled every minute, one
  page each, with idle workers; for ``--slots`` minutes, the delay from each
  slot's time to its run starting.

Printed: pages per minute, scaling against bare, queue overhead (1 worker ÷
bare; goal <= 1.15) and the p95 of slot → start (goal < 5 s). Run with
``python benchmarks/audit_queue_bench.py`` (or ``make bench``); it exits 1,
naming the goal on stderr, when a goal it measured is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, select  # noqa: E402

from uxlab import create_app  # noqa: E402
from uxlab.accounts import create_researcher  # noqa: E402
from uxlab.audit import parse_script, run_audit  # noqa: E402
from uxlab.audit.report import write_reports  # noqa: E402
from uxlab.audits.projects import ProjectSettings, create_project  # noqa: E402
from uxlab.audits.queue import audit_queue  # noqa: E402
from uxlab.audits.runs import FINAL, queue_run  # noqa: E402
from uxlab.db import begin_write, create_schema, get_engine  # noqa: E402
from uxlab.models import AuditProjectRun, Workspace, utcnow  # noqa: E402

GOAL_OVERHEAD = 1.15
GOAL_P95_SECONDS = 5.0
CHECKS = "[accessibility, performance, console, links]"


def page_html(n: int, pages: int) -> str:
    links = "".join(
        f'<li><a href="/p{(n + k) % pages}.html">Page {(n + k) % pages}</a></li>'
        for k in range(1, 6)
    )
    items = "".join(
        f"<li><h3>Item {n}-{i}</h3><p>Light, warm and waterproof.</p>"
        f'<button type="button">Add item {n}-{i}</button></li>'
        for i in range(10)
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>Page {n}</title><link rel="icon" href="data:,"></head><body>'
        f'<nav aria-label="Main"><ul>{links}</ul></nav><main><h1>Page {n}</h1>'
        f"<ul>{items}</ul></main></body></html>"
    )


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


def script_yaml(name: str, pages: range) -> str:
    tasks = "".join(
        f"  - name: Page {i}\n    steps:\n      - goto: /p{i}.html\n" for i in pages
    )
    return f"name: {name}\nviewports: [desktop]\nchecks: {CHECKS}\ntasks:\n{tasks}"


def start_workers(
    n: int, env: dict[str, str], logs: Path, threads: int = 1
) -> list[Any]:
    procs = []
    for i in range(n):
        log = open(logs / f"worker-{n}-{i}.log", "wb")  # noqa: SIM115
        procs.append(
            (
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uxlab",
                        "worker",
                        "--threads",
                        str(threads),
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log,
                logs / f"worker-{n}-{i}.log",
            )
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all(b"taking audit runs" in p[2].read_bytes() for p in procs):
            break
        time.sleep(0.2)
    return procs


def stop_workers(procs: list[Any]) -> None:
    for proc, _, _ in procs:
        proc.terminate()
    for proc, log, _ in procs:
        proc.wait(timeout=60)
        log.close()


def wait_all(db: Session, ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.rollback()
        runs = [db.get(AuditProjectRun, i) for i in ids]
        if all(r is not None and r.status in FINAL for r in runs):
            bad = [r for r in runs if r is not None and r.status.value == "error"]
            if bad:
                raise SystemExit(f"run {bad[0].id} ended in error: {bad[0].error}")
            return
        time.sleep(0.2)
    raise SystemExit(f"runs not finished after {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--pages-per-run", type=int, default=25)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--schedule-projects", type=int, default=5)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument(
        "--only-schedule", action="store_true", help="Skip the throughput part."
    )
    args = parser.parse_args()

    if args.only_schedule:
        args.pages = 4
    missed: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="uxlab-queue-bench-"))
    site = tmp / "site"
    site.mkdir()
    for n in range(args.pages):
        (site / f"p{n}.html").write_text(page_html(n, args.pages))
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    database = f"sqlite:///{tmp / 'uxlab.sqlite'}"
    queue_path = str(tmp / "queue.sqlite")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": database,
            "AUDIT_QUEUE_PATH": queue_path,
        }
    )
    create_schema(get_engine(app))
    env = dict(
        os.environ,
        UXLAB_DATABASE_URL=database,
        UXLAB_SECRET_KEY="bench",
        UXLAB_AUDIT_QUEUE_PATH=queue_path,
    )
    print(
        f"{args.pages} pages ({CHECKS}, desktop), runs of {args.pages_per_run} "
        f"pages; this machine: {os.cpu_count()} cores"
    )

    clock = time.perf_counter()
    bare_script = parse_script(script_yaml("Bare", range(args.pages)))
    write_reports(run_audit(bare_script.with_overrides(base_url=base)), tmp / "bare")
    bare = time.perf_counter() - clock
    print(
        f"bare run_audit, 1 process: {bare:7.1f} s  "
        f"{args.pages / bare * 60:6.1f} pages/min"
    )

    with Session(get_engine(app), expire_on_commit=False) as db:
        create_researcher(db, email="bench@example.com", password="bench-password")
        workspace = db.exec(select(Workspace)).one()
        assert workspace.id is not None
        queue = audit_queue(app)
        chunks = [
            range(i, min(i + args.pages_per_run, args.pages))
            for i in range(0, args.pages, args.pages_per_run)
        ]
        one_worker = None
        for n in [] if args.only_schedule else args.workers:
            project = create_project(
                db,
                workspace.id,
                ProjectSettings(
                    name=f"{n} workers", base_url=base, concurrency=n, fail_on="none"
                ),
                script_yaml(f"{n} workers", range(1)),
            ).project
            procs = start_workers(n, env, tmp)
            try:
                clock = time.perf_counter()
                ids = []
                for k, chunk in enumerate(chunks):
                    begin_write(db)
                    project.script_yaml = script_yaml(f"chunk {k}", chunk)
                    run = queue_run(db, project, started_by="person")
                    assert run.id is not None
                    queue.enqueue(run.id)
                    ids.append(run.id)
                wait_all(db, ids, timeout=bare * 4 + 300)
                took = time.perf_counter() - clock
            finally:
                stop_workers(procs)
            if n == 1 and one_worker is None:
                one_worker = took
            print(
                f"queue, {n} worker(s):       {took:7.1f} s  "
                f"{args.pages / took * 60:6.1f} pages/min  "
                f"scaling vs bare {bare / took:4.2f}x"
            )
        if one_worker is not None:
            overhead = one_worker / bare
            print(
                f"queue overhead (1 worker / bare): {overhead:.2f}x "
                f"(goal <= {GOAL_OVERHEAD}x: "
                f"{'met' if overhead <= GOAL_OVERHEAD else 'NOT met'})"
            )
            if overhead > GOAL_OVERHEAD:
                missed.append(
                    f"queue overhead (1 worker / bare) <= {GOAL_OVERHEAD}x "
                    f"(was {overhead:.2f}x)"
                )

        if args.slots > 0:
            projects = []
            for k in range(args.schedule_projects):
                made = create_project(
                    db,
                    workspace.id,
                    ProjectSettings(
                        name=f"scheduled {k}",
                        base_url=base,
                        schedule="* * * * *",
                        fail_on="none",
                    ),
                    script_yaml(f"scheduled {k}", range(k, k + 1)),
                ).project
                projects.append(made.id)
            # Idle workers: a free thread for every run a slot starts.
            threads = -(-args.schedule_projects // 2)
            procs = start_workers(2, env, tmp, threads=threads)
            try:
                # Timed from the first slot the started workers wait idle for:
                # a slot in their first seconds would time their start-up.
                ready = utcnow() + timedelta(seconds=15)
                first = ready.replace(second=0, microsecond=0) + timedelta(minutes=1)
                last = first + timedelta(minutes=args.slots - 1)
                deadline = (last - utcnow()).total_seconds() + 120
                delays: list[float] = []
                end = time.monotonic() + deadline
                while time.monotonic() < end:
                    db.rollback()
                    runs = db.exec(
                        select(AuditProjectRun).where(
                            AuditProjectRun.started_by == "schedule"
                        )
                    ).all()
                    timed = [
                        r
                        for r in runs
                        if r.slot is not None
                        and first <= r.slot <= last
                        and r.started_at is not None
                    ]
                    if len(timed) >= len(projects) * args.slots:
                        delays = [
                            (r.started_at - r.slot).total_seconds()  # type: ignore[operator]
                            for r in timed
                        ]
                        break
                    time.sleep(0.5)
            finally:
                stop_workers(procs)
            if not delays:
                raise SystemExit("scheduled runs did not all start")
            delays.sort()
            p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
            print(
                f"scheduling: {len(delays)} slots ({args.schedule_projects} projects "
                f"× {args.slots} minutes, 2 workers × {threads} threads): "
                f"slot → start median "
                f"{statistics.median(delays):.2f} s, p95 {p95:.2f} s (nearest rank), "
                f"max {delays[-1]:.2f} s "
                f"(goal p95 < {GOAL_P95_SECONDS} s: "
                f"{'met' if p95 < GOAL_P95_SECONDS else 'NOT met'})"
            )
            if p95 >= GOAL_P95_SECONDS:
                missed.append(
                    f"scheduling slot → start p95 < {GOAL_P95_SECONDS} s "
                    f"(was {p95:.2f} s)"
                )
    server.shutdown()
    for goal in missed:
        print(f"goal missed: {goal}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
