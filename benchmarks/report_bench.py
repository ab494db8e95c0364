"""Benchmark the results page and the HTML report on a large synthetic study.

A study of 1,000 participants x 10 tasks with the SEQ after every task and SUS
and NPS at the end (about 31,000 answers and 10,000 attempts) is simulated
into a temporary SQLite file.  The results page (through the Flask test client,
logged in) and the HTML report are timed, and each is split into queries,
statistics, charts and template rendering.  Goal: each under 2 s.

Run: ``.venv/bin/python benchmarks/report_bench.py [--participants N]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlmodel import Session

from uxlab import create_app, report
from uxlab.accounts import create_researcher
from uxlab.db import create_schema, get_engine
from uxlab.demo import simulate_participants
from uxlab.studies import import_study, parse_study

GOAL_S = 2.0
EMAIL, PASSWORD = "bench@example.org", "bench-password"


def study_text(tasks: int) -> str:
    lines = [
        "title: Report benchmark",
        "description: Synthetic study for benchmarks/report_bench.py.",
        "tasks:",
    ]
    for i in range(1, tasks + 1):
        lines += [
            f"  - id: task-{i}",
            f"    title: Benchmark task {i}",
            f"    prompt: Do task {i}.",
            "    start_url: /static/demo-shop/index.html",
        ]
    lines += ["after_each_task: [seq]", "questionnaires: [sus, nps]"]
    return "\n".join(lines) + "\n"


def timed(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` runs (after one warm-up) and the last result."""
    result = func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite"
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "DATABASE_URL": f"sqlite:///{db}",
                "WTF_CSRF_ENABLED": False,
            }
        )
        create_schema(get_engine(app))
        start = time.perf_counter()
        with app.app_context(), Session(get_engine(app)) as session:
            owner = create_researcher(session, email=EMAIL, password=PASSWORD)
            study = import_study(
                session,
                parse_study(study_text(args.tasks)),
                owner=owner,
                source_text="",
            )
            simulate_participants(
                session, study, args.participants, np.random.default_rng(2024)
            )
            slug = study.slug
        print(
            f"Simulated {args.participants} participants x {args.tasks} tasks in "
            f"{time.perf_counter() - start:.1f} s "
            f"({sum(f.stat().st_size for f in Path(folder).iterdir()) / 1e6:.1f} MB)"
        )

        client = app.test_client()
        client.post("/login", data={"email": EMAIL, "password": PASSWORD})
        failures = 0
        for label, url in (
            ("results page", f"/studies/{slug}/results"),
            ("HTML report", f"/studies/{slug}/report.html"),
        ):
            total, response = timed(lambda url=url: client.get(url), args.repeat)
            assert getattr(response, "status_code", 0) == 200, response
            size = len(getattr(response, "data", b""))

            def build() -> report.ResultsPage:
                with app.app_context(), Session(get_engine(app)) as session:
                    from uxlab.studies import get_study_by_ref

                    found = get_study_by_ref(session, slug)
                    return report.build_results(session, found)

            _, page = timed(build, args.repeat)
            assert isinstance(page, report.ResultsPage)
            parts = page.timings
            verdict = "ok" if total < GOAL_S else f"SLOWER than {GOAL_S:g} s"
            failures += total >= GOAL_S
            # The split comes from building the page again on its own, so it
            # does not add up to the request's median exactly.
            print(
                f"{label:13} {total:6.3f} s  [{verdict}]  {size / 1e3:.0f} kB\n"
                f"    split (a separate build): queries {parts['queries']:.3f} s · "
                f"statistics {parts['statistics']:.3f} s · charts "
                f"{parts['charts']:.3f} s; template and request "
                f"≈ {max(total - sum(parts.values()), 0.0):.3f} s"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
