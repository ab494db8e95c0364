"""Benchmark: the journey map of 6 stages x 20 touchpoints over 1,000,000 answers.

A temporary SQLite file gets a journey of 120 touchpoints, each with an NPS,
CSAT and CES survey, and 1,000,000 answers spread over the last twelve months.
Then, in one run:

* baseline: the one SQL aggregate the map's scores come from
  (:func:`uxlab.cx.trends.by_touchpoint`), alone;
* the map page as a logged-in member gets it (scores, the period before for
  the arrows, open follow-ups, the UX side), rendered to HTML;
* a touchpoint's page (twelve months of trend, changes, segments by channel).

Each is timed 7 times; the median is printed with its ratio to the baseline.
Goal: the map in under 1.5 s. Run with ``python benchmarks/cx_map_bench.py``
(or ``make bench``); ``--answers`` changes the size.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from uxlab import create_app  # noqa: E402
from uxlab.accounts import create_researcher  # noqa: E402
from uxlab.cx import journeys as store  # noqa: E402
from uxlab.cx import trends  # noqa: E402
from uxlab.cx.feedback import month_of, week_of  # noqa: E402
from uxlab.db import get_engine  # noqa: E402
from uxlab.migrate import upgrade  # noqa: E402
from uxlab.workspaces import create_workspace  # noqa: E402

GOAL_S = 1.5
STAGES, PER_STAGE = 6, 20
REPEATS = 7
EMAIL, PASSWORD = "bench@example.com", "bench password 1"


def seed(url: str, path: Path, answers: int) -> tuple[str, int, int]:
    """Journey and answers; returns the workspace slug, journey and a touchpoint."""
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        engine = get_engine(app)
        upgrade(engine=engine)
        with Session(engine, expire_on_commit=False) as db:
            create_researcher(db, email=EMAIL, password=PASSWORD)
            team = create_workspace(db, "Bench team", owner_email=EMAIL)
            journey = store.create_journey(
                db,
                team.id or 0,
                "Big journey",
                [f"Stage {s + 1}" for s in range(STAGES)],
            )
            channels: list[tuple[int, int, int]] = []
            for view in store.journey_view(db, journey).stages:
                for k in range(PER_STAGE):
                    point = store.add_touchpoint(
                        db, journey, view.stage.id or 0, f"{view.stage.name} #{k + 1}"
                    )
                    survey = store.save_survey(
                        db, point, ["nps", "csat", "ces"], "", "", "bench"
                    )
                    for channel in store.channels_of(db, survey):
                        channels.append(
                            (point.id or 0, survey.id or 0, channel.id or 0)
                        )
            slug, journey_id, first = team.slug, journey.id or 0, channels[0][0]
        engine.dispose()
    rng = np.random.default_rng(5)
    now = datetime.now(UTC)
    pick = rng.integers(0, len(channels), answers)
    ages = rng.uniform(0, 365, answers)
    nps = np.clip(np.rint(rng.normal(7.5, 2.2, answers)), 0, 10).astype(int)
    csat = np.clip(np.rint(rng.normal(4.0, 0.9, answers)), 1, 5).astype(int)
    ces = np.clip(np.rint(rng.normal(5.0, 1.3, answers)), 1, 7).astype(int)

    def rows() -> object:
        for i in range(answers):
            touchpoint, survey, channel = channels[int(pick[i])]
            at = now - timedelta(days=float(ages[i]))
            stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")
            yield (
                touchpoint, survey, channel, f"b{i}", stamp, stamp,
                week_of(at).isoformat(), month_of(at).isoformat(),
                int(nps[i]), int(csat[i]), int(ces[i]), "{}",
            )  # fmt: skip

    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO cxresponse (touchpoint_id, survey_id, channel_id, client_key,"
            " created_at, updated_at, week, month, nps, csat, ces, hidden)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
        conn.execute("ANALYZE")
    return slug, journey_id, first


def timed(call: object) -> float:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "map.sqlite"
        url = f"sqlite:///{path}"
        started = time.perf_counter()
        slug, journey_id, touchpoint_id = seed(url, path, args.answers)
        print(
            f"seeded {STAGES * PER_STAGE} touchpoints and {args.answers:,} answers "
            f"in {time.perf_counter() - started:.1f} s"
        )
        app = create_app(
            {"SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False}
        )
        client = app.test_client()
        client.post("/login", data={"email": EMAIL, "password": PASSWORD})
        month = trends.period_start(trends.Every.month, datetime.now(UTC))
        map_url = f"/workspaces/{slug}/cx/journeys/{journey_id}/map?every=month"
        page_url = f"/workspaces/{slug}/cx/touchpoints/{touchpoint_id}?every=month"
        assert client.get(map_url).status_code == 200
        assert client.get(page_url).status_code == 200

        with app.app_context(), Session(get_engine(app)) as db:
            ids = list(range(1, STAGES * PER_STAGE + 1))
            base = timed(
                lambda: trends.by_touchpoint(db, ids, trends.Every.month, month)
            )
        page_map = timed(lambda: client.get(map_url))
        page_tp = timed(lambda: client.get(page_url))
        print(f"baseline: the map's one aggregate query: {1000 * base:.0f} ms")
        print(
            f"journey map ({STAGES}x{PER_STAGE} cards): {1000 * page_map:.0f} ms "
            f"median of {REPEATS} ({page_map / base:.1f}x the query); goal under "
            f"{GOAL_S:.1f} s: {'met' if page_map < GOAL_S else 'NOT met'}"
        )
        print(
            f"touchpoint page (12 months, changes, segments): {1000 * page_tp:.0f} ms "
            f"({page_tp / base:.1f}x the query)"
        )
        return 0 if page_map < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
