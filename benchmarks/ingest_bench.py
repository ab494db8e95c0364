"""Ingest benchmark: simulated participants posting recorder batches to uxlab serve.

Starts ``uxlab serve`` on 127.0.0.1, seeds a live study with one attempt per
participant, then has each simulated participant (a thread with its own
keep-alive connection) send batches of events, as the recorder does, for a
fixed time; a batch that fails is sent again until it is acknowledged.

- ``--database sqlite`` (the default): one waitress process on a temporary
  SQLite file. Afterwards the same rows are inserted with the bare ``sqlite3``
  module, batch by batch in BEGIN IMMEDIATE transactions, as the limit ingest
  is measured against.
- ``--database postgresql``: two app processes (gunicorn, ``--processes 2``)
  on a new database of the PostgreSQL server ``UXLAB_BENCH_DATABASE_URL`` names
  (``.ci/with-postgres --durable`` starts a throwaway one and sets it). With
  ``--kill-one``, one app process is killed with SIGKILL half-way through;
  gunicorn starts another, and participants send again what was not
  acknowledged.

Prints events/s, request latency p50/p99 and the count check (every acked
event stored once, nothing else stored).

    .venv/bin/python benchmarks/ingest_bench.py [--seconds 30] [--participants 50]
    .ci/with-postgres --durable .venv/bin/python benchmarks/ingest_bench.py \\
        --database postgresql [--kill-one]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STUDY = """
title: Ingest benchmark
tasks:
  - id: browse
    title: Browse the shop
    start_url: /static/demo-shop/index.html
    success: {url_matches: "/never-reached"}
allowed_origins: ["http://127.0.0.1:8765"]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, participants: int) -> list[str]:
    """Create the schema and a live study; return one attempt token each."""
    from sqlmodel import Session, select

    from uxlab import create_app
    from uxlab.db import get_engine
    from uxlab.migrate import upgrade
    from uxlab.models import Participant, Researcher, Task, TaskAttempt, utcnow
    from uxlab.studies import import_study, parse_study
    from uxlab.tokens import hash_token, new_code, new_token

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    tokens = []
    with app.app_context():
        upgrade()
        engine = get_engine(app)
        with Session(engine, expire_on_commit=False) as session:
            owner = Researcher(email="bench@example.org", password_hash="x")
            session.add(owner)
            session.flush()
            study = import_study(
                session,
                parse_study(STUDY),
                owner=owner,
                source_text=STUDY,
                publish=True,
            )
            task = session.exec(select(Task).where(Task.study_id == study.id)).one()
            for _ in range(participants):
                p = Participant(
                    study_id=study.id,  # type: ignore[arg-type]
                    token_hash=hash_token(new_token()),
                    code=new_code(),
                    task_order=[task.id],  # type: ignore[list-item]
                    consented_at=utcnow(),
                    step="task:0",
                )
                session.add(p)
                session.flush()
                token = new_token()
                session.add(
                    TaskAttempt(
                        participant_id=p.id,  # type: ignore[arg-type]
                        task_id=task.id,  # type: ignore[arg-type]
                        position=1,
                        token_hash=hash_token(token),
                        started_at=utcnow(),
                    )
                )
                tokens.append(token)
            session.commit()
        engine.dispose()
    return tokens


def start_server(
    url: str, port: int, threads: int, log: Path, processes: int = 1
) -> subprocess.Popen[bytes]:
    env = dict(os.environ, UXLAB_DATABASE_URL=url, UXLAB_SECRET_KEY="bench")
    # This checkout's uxlab, whichever one the virtualenv's script was made for.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    script = Path(sys.executable).with_name("uxlab")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "uxlab"]
    many = ["--processes", str(processes)] if processes > 1 else []
    proc = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--threads", str(threads), *many],
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: waitress logs queue depth warnings under load,
        # and a full pipe nobody reads would stall the server.
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(log.read_text()) from None
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start within 30 s")


_EVENT = (
    '{"id":"%s","seq":%d,"type":"click","ts":%.1f,'
    '"url":"http://127.0.0.1:8765/static/demo-shop/index.html",'
    '"data":{"x":%d,"y":340,"vw":1280,"vh":800,'
    '"selector":"main > p:nth-of-type(2) > a","tag":"a",'
    '"text":"Shop jackets","interactive":true}}'
)


@dataclass
class Participant:
    token: str
    port: int
    batch: int
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    acked: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    offered: int = 0
    errors: int = 0
    rejected: int = 0
    last_done: float = 0.0

    def run(self, start_at: float, stop_at: float, interval: float) -> None:
        """Send a batch every ``interval`` s from ``start_at`` (0: back to back).

        Latency is measured from when a batch was due, not when it went out,
        so a server that falls behind shows it (no coordinated omission).
        """
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        due = start_at
        path = f"/api/v1/attempts/{self.token}/events"
        headers = {"Content-Type": "text/plain", "Origin": "http://127.0.0.1:8765"}
        seq = 0
        body = b""
        sent_ids: list[str] = []
        while True:
            if interval:
                if due >= stop_at:  # only batches due within the window are sent
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            elif time.monotonic() >= stop_at:
                break
            began = due if interval else time.monotonic()
            if not body:  # a failed batch is sent again, as the recorder does
                events = []
                for _ in range(self.batch):
                    seq += 1
                    # Unique ids made cheaply: the load generator shares the
                    # machine's two cores with the server it measures.
                    events.append(
                        _EVENT
                        % (
                            f"{self.prefix}-{seq:08d}",
                            seq,
                            time.time() * 1000,
                            seq % 300,
                        )
                    )
                body = ('{"events":[' + ",".join(events) + "]}").encode()
                self.offered += self.batch
                sent_ids = [
                    f"{self.prefix}-{n:08d}"
                    for n in range(seq - self.batch + 1, seq + 1)
                ]
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            self.last_done = time.monotonic()
            self.latencies.append(self.last_done - began)
            if interval:
                due += interval
            if response.status != 200:
                self.errors += 1
                continue
            result = json.loads(answer)
            self.acked.extend(result["acked"])
            self.rejected += len(result["rejected"])
            if set(result["acked"]) != set(sent_ids):
                self.errors += 1
            body = b""
        conn.close()


def raw_insert(rows: list[tuple[object, ...]], batch: int, path: Path) -> float:
    """Seconds the bare sqlite3 module takes to insert ``rows`` batch by batch."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE event (id INTEGER PRIMARY KEY, event_id VARCHAR(64) UNIQUE, "
        "participant_id INTEGER, attempt_id INTEGER, type VARCHAR(40), seq INTEGER, "
        "client_ts DATETIME, received_at DATETIME, url VARCHAR(2000), payload JSON)"
    )
    conn.execute("CREATE INDEX ix_event_attempt_seq ON event (attempt_id, seq)")
    conn.execute("CREATE INDEX ix_event_participant_id ON event (participant_id)")
    sql = (
        "INSERT INTO event (event_id, participant_id, attempt_id, type, seq, "
        "client_ts, received_at, url, payload) VALUES (?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (event_id) DO NOTHING"
    )
    began = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, rows[i : i + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (the server's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(int(stat.parent.name))
        if fields and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a server has used so far, workers included.

    Workers that have ended count through the parent's children's times.
    None off Linux.
    """
    fields = _stat(pid)
    if fields is None:
        return None
    ticks = sum(int(f) for f in fields[11:15])
    for child in children(pid):
        worker = _stat(child)
        if worker is not None:
            ticks += int(worker[11]) + int(worker[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def new_postgres_database(server_url: str) -> tuple[str, Any]:
    """A new, empty database on the server; its URL and how to drop it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"uxlab_bench_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(server_url).set(database=name)
    return url.render_as_string(hide_password=False), drop


def stored_ids(url: str) -> tuple[int, set[str]]:
    """How many events are stored, and their distinct ids."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT event_id FROM event"))]
    engine.dispose()
    return len(ids), set(ids)


def load_average() -> str:
    """The machine's load averages over 1, 5 and 15 minutes, or "n/a"."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def kill_one(server: subprocess.Popen[bytes], at: float, killed: list[int]) -> None:
    """At ``at`` (monotonic), SIGKILL one of the server's worker processes."""
    time.sleep(max(0.0, at - time.monotonic()))
    workers = children(server.pid)
    if workers:
        os.kill(workers[0], signal.SIGKILL)
        killed.append(workers[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="threads per app process (16, as `uxlab serve`; batches run on "
        "one thread of their own in each process)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=5000.0,
        help="events/s offered by all participants together, each sending a "
        "batch at a steady pace; 0 sends back to back (the ceiling)",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="a temporary SQLite file, or a new database on the PostgreSQL "
        "server UXLAB_BENCH_DATABASE_URL names",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="app processes (default: 1 on SQLite, 2 on PostgreSQL)",
    )
    parser.add_argument(
        "--kill-one",
        action="store_true",
        help="SIGKILL one app process half-way through (gunicorn starts another)",
    )
    args = parser.parse_args()
    load_before = load_average()
    on_postgres = args.database == "postgresql"
    processes = args.processes or (2 if on_postgres else 1)
    if args.kill_one and processes < 2:
        parser.error("--kill-one needs two app processes or more")
    server_url = os.environ.get("UXLAB_BENCH_DATABASE_URL", "")
    if on_postgres and not server_url.startswith("postgresql"):
        parser.error(
            "set UXLAB_BENCH_DATABASE_URL to a PostgreSQL server "
            "(.ci/with-postgres --durable starts a throwaway one and sets it)"
        )

    with tempfile.TemporaryDirectory(prefix="uxlab-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite"
        drop = None
        if on_postgres:
            url, drop = new_postgres_database(server_url)
        else:
            url = f"sqlite:///{db}"
        try:
            tokens = seed(url, args.participants)
            port = free_port()
            server = start_server(
                url, port, args.threads, Path(tmp) / "server.log", processes
            )
            killed: list[int] = []
            try:
                people = [Participant(t, port, args.batch) for t in tokens]
                interval = len(people) * args.batch / args.rate if args.rate else 0.0
                # The workers of several processes start after the port opens.
                start_at = time.monotonic() + (2.0 if processes > 1 else 0.2)
                cpu_before: float | None = None
                stop_at = start_at + args.seconds
                threads = [
                    threading.Thread(
                        target=p.run,
                        # Participants spread evenly over one interval.
                        args=(start_at + i * interval / len(people), stop_at, interval),
                        daemon=True,
                    )
                    for i, p in enumerate(people)
                ]
                if args.kill_one:
                    threads.append(
                        threading.Thread(
                            target=kill_one,
                            args=(server, start_at + args.seconds / 2, killed),
                            daemon=True,
                        )
                    )
                for t in threads:
                    t.start()
                time.sleep(max(0.0, start_at - 0.05 - time.monotonic()))
                cpu_before = cpu_seconds(server.pid)
                for t in threads:
                    t.join(timeout=args.seconds + 60)
                # Paced, the rate is what the window offered and the server
                # took (a server that falls behind sends fewer batches in it);
                # back to back, it runs until the last answer.
                done = max(p.last_done for p in people) - start_at
                window = max(args.seconds, done) if args.rate else done
                cpu_after = cpu_seconds(server.pid)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()

            acked = [i for p in people for i in p.acked]
            latencies = np.array([x for p in people for x in p.latencies]) * 1000
            errors = sum(p.errors for p in people)
            rejected = sum(p.rejected for p in people)
            stored, ids = stored_ids(url)
            distinct = len(ids)
            missing = len(set(acked) - ids)
            raw_rate = None
            if not on_postgres:
                conn = sqlite3.connect(db)
                rows = conn.execute(
                    "SELECT event_id, participant_id, attempt_id, type, seq, "
                    "client_ts, received_at, url, payload FROM event ORDER BY id"
                ).fetchall()
                conn.close()
                raw_s = raw_insert(rows, args.batch, Path(tmp) / "raw.sqlite")
                raw_rate = len(rows) / raw_s if raw_s else float("inf")
        finally:
            if drop is not None:
                drop()

    rate = len(acked) / window
    p50, p99 = np.percentile(latencies, [50, 99]) if len(latencies) else (0, 0)
    ok = len(acked) == stored == distinct and missing == 0
    offered = f"{args.rate:,.0f} events/s offered" if args.rate else "back to back"
    server_kind = (
        f"{processes} processes (gunicorn) x {args.threads} threads"
        if processes > 1
        else f"waitress threads {args.threads}"
    )
    print(
        f"{args.database}, participants {args.participants}, batches of "
        f"{args.batch}, {offered}, {done:.1f} s sending, {server_kind}"
    )
    # The machine is shared: other work on it moves every figure below.
    print(f"load average {load_before} before, {load_average()} after (1, 5, 15 min)")
    if args.kill_one:
        print(
            f"killed       app process {killed[0] if killed else 'none'} with "
            f"SIGKILL at {args.seconds / 2:g} s; gunicorn started another"
        )
    print(
        f"requests     {len(latencies)}  (errors {errors}, sent again until "
        f"acknowledged; rejected {rejected})"
    )
    offered_events = sum(p.offered for p in people)
    taken = len(acked) == offered_events
    kept_up = bool(args.rate) and taken and (errors == 0 or args.kill_one)
    if args.rate:
        print(
            f"offered      {offered_events} events in {args.seconds:g} s: "
            f"{len(acked)} acknowledged, the last answer at {done:.2f} s"
        )
    print(f"ingest       {rate:,.0f} events/s")
    print(f"latency      p50 {p50:.1f} ms   p99 {p99:.1f} ms")
    if cpu_before is not None and cpu_after is not None and len(latencies):
        # Less noisy than events/s on a shared machine: what each batch cost
        # the server's processes, on all their threads together.
        used = cpu_after - cpu_before
        print(
            f"server CPU   {used / len(latencies) * 1000:.2f} ms per batch "
            f"({used / window:.0%} of one core)"
        )
    if raw_rate is not None:
        print(
            f"raw sqlite3  {raw_rate:,.0f} events/s  ({stored} rows)\n"
            f"ingest / raw {rate / raw_rate:.3f}"
        )
    print(
        f"count check  sent {len(acked)}  stored {stored}  distinct {distinct}  "
        f"missing {missing}: {'OK' if ok else 'MISMATCH'}"
    )
    # Sustained: the server took every event offered at 5,000/s or more, on
    # time (latency runs from when a batch was due).
    goal = args.rate >= 5000 and kept_up and p99 < 100
    print(
        f"goal (5,000 events/s offered, every one taken, p99 < 100 ms): "
        f"{'met' if goal else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
