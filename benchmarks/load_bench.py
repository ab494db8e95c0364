"""Load run: simulated participants and a researcher on a real ``uxlab serve``.

Seeds a fresh SQLite file in a temporary folder with the shop study of
study_templates/ecommerce-tasks.yaml (three tasks on the demo shop, the SEQ
after each, the SUS at the end; ``lab_mode`` on, as a lab whose participants
share one address would set it), starts ``uxlab serve`` on a free loopback
port, and runs Locust headless against it (benchmarks/load_locustfile.py):
participants go through consent, tasks with recorder batches, SEQ and SUS one
step at a time, while one researcher logs in and exports. Locust, rather than
threads of our own as in ingest_bench.py, because it times whole participant
journeys over many endpoints with per-endpoint percentiles, and runs hundreds
of users in one process on greenlets.

Prints requests/s, p50/p99 per endpoint, failures, and a count check from the
database afterwards: every answer and event acknowledged is stored, none twice,
nothing stored that was not sent. Exits 1 when something acknowledged was lost
or stored twice.

    .venv/bin/python benchmarks/load_bench.py [--users 200] [--duration 120]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest_bench import free_port, load_average, start_server  # noqa: E402

EMAIL = "load@example.org"
PASSWORD = "load benchmark password"


def seed(url: str) -> tuple[str, str]:
    """Create the schema, a researcher and the live shop study: (slug, invite)."""
    from uxlab import create_app
    from uxlab.accounts import create_researcher
    from uxlab.db import get_engine, get_session
    from uxlab.invites import invite_token, open_invite
    from uxlab.migrate import upgrade
    from uxlab.studies import import_study, parse_study

    text = (ROOT / "study_templates" / "ecommerce-tasks.yaml").read_text("utf-8")
    text += "\nlab_mode: true\n"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        session = get_session()
        owner = create_researcher(session, email=EMAIL, password=PASSWORD)
        study = import_study(
            session,
            parse_study(text, "ecommerce-tasks.yaml"),
            owner=owner,
            source_text=text,
            publish=True,
        )
        invite = invite_token(open_invite(session, study, "bench"), "bench")
        slug = study.slug
        session.close()
        get_engine(app).dispose()
    return slug, invite


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200, help="participants")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds")
    parser.add_argument(
        "--spawn-rate", type=float, default=20.0, help="participants started per s"
    )
    parser.add_argument("--threads", type=int, default=16, help="server threads")
    args = parser.parse_args()
    load_before = load_average()

    with tempfile.TemporaryDirectory(prefix="uxlab-load-") as tmp:
        folder = Path(tmp)
        db_path = folder / "load.sqlite"
        url = f"sqlite:///{db_path}"
        slug, invite = seed(url)
        port = free_port()
        server = start_server(url, port, args.threads, folder / "server.log")
        ledger_path = folder / "ledger.json"
        env = dict(
            os.environ,
            UXLAB_LOAD_INVITE=invite,
            UXLAB_LOAD_SLUG=slug,
            UXLAB_LOAD_EMAIL=EMAIL,
            UXLAB_LOAD_PASSWORD=PASSWORD,
            UXLAB_LOAD_LEDGER=str(ledger_path),
        )
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).with_name("load_locustfile.py")),
            "--headless",
            "--host",
            f"http://127.0.0.1:{port}",
            # One more user than participants: the researcher (fixed_count 1).
            "--users",
            str(args.users + 1),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            f"{int(args.duration)}s",
            "--stop-timeout",
            "60",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        print(
            f"{args.users} participants + 1 researcher for {args.duration:.0f} s "
            f"on uxlab serve (SQLite, {args.threads} threads), 127.0.0.1:{port}"
        )
        began = time.monotonic()
        try:
            run = subprocess.run(
                command,
                env=env,
                cwd=ROOT,
                stdout=(folder / "locust.log").open("wb"),
                stderr=subprocess.STDOUT,
                check=False,
            )
            wall = time.monotonic() - began
            if not ledger_path.exists():
                print((folder / "locust.log").read_text(errors="replace")[-4000:])
                print(f"Locust ended with {run.returncode} and wrote no ledger")
                return 1
            ledger = json.loads(ledger_path.read_text("utf-8"))
            resend(ledger, port)
        finally:
            server.terminate()
            server.wait(timeout=30)
        ok = report(ledger, db_path, slug)
        server_log = (folder / "server.log").read_text(errors="replace")
        print(f"server log: {server_log.count('Traceback')} tracebacks", end="")
        print(f", {server_log.count('Task queue depth')} queue-depth warnings")
        for line, n in server_errors(server_log).most_common():
            print(f"  x{n} {line}")
        print(f"wall time {wall:.0f} s")
        print(f"load average before: {load_before}; after: {load_average()}")
        return 0 if ok else 1


def resend(ledger: dict[str, Any], port: int) -> None:
    """Send what was unacknowledged when Locust stopped, as a recorder does on
    its next page load, until acknowledged; add the acks to the ledger."""
    pending = ledger["pending"]
    events = sum(len(p["events"]) for p in pending)
    acked = 0
    for item in pending:
        for start in range(0, len(item["events"]), 50):
            batch = item["events"][start : start + 50]
            ledger["sent"].extend(e["id"] for e in batch)
            for _ in range(20):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request(
                        "POST",
                        f"/api/v1/attempts/{item['token']}/events",
                        body=json.dumps({"events": batch}),
                        headers={"Content-Type": "text/plain"},
                    )
                    response = conn.getresponse()
                    body = json.loads(response.read() or b"{}")
                except (OSError, http.client.HTTPException, ValueError):
                    time.sleep(0.5)
                    continue
                finally:
                    conn.close()
                if response.status == 200:
                    ledger["acked"].extend(body["acked"])
                    ledger["rejected"].extend(body["rejected"])
                    acked += len(body["acked"])
                    break
                time.sleep(0.5)
    ledger["resent"] = [events, acked]


def server_errors(log: str) -> Counter[str]:
    """The last line of each traceback in the server's log (the exception)."""
    found: Counter[str] = Counter()
    lines = log.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = k + 1
            while end < len(lines) and lines[end].startswith((" ", "\t")):
                end += 1
            if end < len(lines):
                found[lines[end][:200]] += 1
    return found


def report(ledger: dict[str, Any], db_path: Path, slug: str) -> bool:
    """Print the figures and the count check; whether nothing was lost or doubled."""
    *endpoints, total = ledger["stats"]
    print(
        f"\nrequests: {total['requests']}, {total['rps']:.1f} requests/s, "
        f"failures: {total['failures']}"
    )
    print(f"\n{'endpoint':<48} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p99 ms':>7}")
    for row in sorted(endpoints, key=lambda r: str(r["name"])):
        name = str(row["name"])
        if not name.startswith(("GET ", "POST ")):
            name = f"{row['method']} {name}"
        print(
            f"{name:<48} {row['requests']:>7} {row['failures']:>5} "
            f"{row['p50']:>7.0f} {row['p99']:>7.0f}"
        )
    print(
        f"{'all':<48} {total['requests']:>7} {total['failures']:>5} "
        f"{total['p50']:>7.0f} {total['p99']:>7.0f}"
    )
    for error in ledger["errors"]:
        where = f"{error['method']} {error['name']}"
        print(f"  failure: {where}: {error['error']} x{error['n']}")

    conn = sqlite3.connect(db_path)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    study_id = conn.execute("SELECT id FROM study WHERE slug = ?", (slug,)).fetchone()[
        0
    ]
    stored = Counter(
        row[0]
        for row in conn.execute(
            "SELECT e.event_id FROM event e JOIN participant p "
            "ON p.id = e.participant_id WHERE p.study_id = ?",
            (study_id,),
        )
    )
    seq_twice = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM event GROUP BY attempt_id, recording, seq "
        "HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    from uxlab.tokens import hash_token

    answers = ledger["answers"]
    unsure = ledger["answers_unsure"]
    assert isinstance(answers, dict) and isinstance(unsure, dict)
    answers_acked = answers_stored = answers_missing = answers_extra = 0
    answers_twice = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM response "
        "GROUP BY participant_id, questionnaire, scope, item HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    for resume, keys in answers.items():
        row = conn.execute(
            "SELECT id FROM participant WHERE token_hash = ?", (hash_token(resume),)
        ).fetchone()
        stored_here = (
            conn.execute(
                "SELECT COUNT(*) FROM response WHERE participant_id = ?", (row[0],)
            ).fetchone()[0]
            if row
            else 0
        )
        acked_here = len(set(keys))
        maybe = len(set(unsure.get(resume, [])) - set(keys))
        answers_acked += acked_here
        answers_stored += stored_here
        answers_missing += max(0, acked_here - stored_here)
        answers_extra += max(0, stored_here - acked_here - maybe)
    answers_all = conn.execute(
        "SELECT COUNT(*) FROM response r JOIN participant p ON p.id = r.participant_id "
        "WHERE p.study_id = ?",
        (study_id,),
    ).fetchone()[0]
    participants = conn.execute(
        "SELECT COUNT(*), SUM(finished_at IS NOT NULL) FROM participant "
        "WHERE study_id = ?",
        (study_id,),
    ).fetchone()
    conn.close()

    sent_list = ledger["sent"]
    acked_list = ledger["acked"]
    assert isinstance(sent_list, list) and isinstance(acked_list, list)
    sent, acked = set(sent_list), set(acked_list)
    missing = acked - set(stored)
    twice = [i for i, n in stored.items() if n > 1]
    unknown = set(stored) - sent
    unacked = sent - acked
    unacked_stored = unacked & set(stored)
    rejected = ledger["rejected"]
    dropped = ledger["dropped"]
    assert isinstance(rejected, list) and isinstance(dropped, list)

    print("\ncount check (database afterwards)")
    print(f"  integrity_check: {integrity}")
    print(
        f"  participants: {ledger['participants_started']} started by Locust, "
        f"{participants[0]} in the database, {participants[1] or 0} finished "
        f"({ledger['participants_finished']} reached the thank-you page)"
    )
    resent, resent_acked = ledger["resent"]
    print(
        f"  events: {resent} unacked when Locust stopped, sent again afterwards "
        f"as the recorder does on its next page load: {resent_acked} acked"
    )
    print(
        f"  events: {len(sent)} sent ({len(sent_list)} sendings, "
        f"{ledger['retries']} retries), {len(acked)} acked, "
        f"{len(stored)} stored; acked but missing: {len(missing)}; stored twice: "
        f"{len(twice)}; sent but not stored: {len(sent - set(stored))}; "
        f"(recording, seq) twice: {seq_twice}; stored never sent: "
        f"{len(unknown)}; still unacked: {len(unacked)} "
        f"({len(unacked_stored)} of them stored); rejected: {len(rejected)}; "
        f"dropped: {len(dropped)}"
    )
    print(
        f"  answers: {answers_acked} acked, {answers_stored} stored for them "
        f"({answers_all} in the study); acked but missing: {answers_missing}; "
        f"stored twice: {answers_twice}; stored beyond what was sent: {answers_extra}"
    )
    ok = (
        integrity == "ok"
        and not missing
        and not twice
        and not unknown
        and not sent - set(stored)
        and not seq_twice
        and not answers_missing
        and not answers_twice
        and not answers_extra
    )
    print(f"  verdict: {'nothing lost, nothing twice' if ok else 'LOST OR DOUBLED'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
