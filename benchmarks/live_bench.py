"""Benchmark: live pages of moderated sessions against the rest of the server.

`uxlab serve` (waitress, 16 threads, on a temporary SQLite file) runs as a
subprocess. Live pages are simulated as a browser's ``EventSource`` behaves:
each on a socket of its own, reading events, and asking again after the
stream's ``retry`` when the server ends it. In one run:

* baseline: ``GET /login`` every 50 ms on a fresh connection, nothing else open;
* loaded: the same while 200 live pages (observers of a session) are open and
  the participant's page is reloaded 15 times within 3 s (each reload closes
  the old page's socket without a word, loads the page and opens its stream);
* release: all live pages are closed at once; the time until a new page gets a
  stream of its own on every one of the server's stream slots;
* cross-process change: this process (not the server) writes 20 moderator
  notes into the session, at random moments, straight into the database; the
  time from each write until an observer page's stream, served by the server
  process, shows that note. The server learns of these only by polling the
  session's version, as a process serving another host's pages would.

Goals: loaded p99 under 300 ms; release under 2 s; every cross-process change
on the observer page within 1 s. Run with
``python benchmarks/live_bench.py`` (or ``make bench``); it exits 1, naming
the goal on stderr, when a goal is missed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from uxlab import create_app  # noqa: E402
from uxlab import moderation as m  # noqa: E402
from uxlab import participation as p  # noqa: E402
from uxlab.accounts import create_researcher  # noqa: E402
from uxlab.db import get_engine  # noqa: E402
from uxlab.management import create_study_from_template  # noqa: E402
from uxlab.migrate import upgrade  # noqa: E402
from uxlab.models import StudyStatus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UXLAB = Path(sys.executable).with_name("uxlab")
SECRET = "live-bench-secret"
THREADS = 16
GOAL_P99_MS = 300.0
GOAL_RELEASE_S = 2.0
GOAL_CROSS_MS = 1000.0
NOTES = 20
NOTE_TIMEOUT_S = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, cookie: str = "") -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Set-Cookie")
    finally:
        conn.close()


class LivePage(threading.Thread):
    """One live page: its stream, reopened after ``retry`` like EventSource."""

    def __init__(self, port: int, path: str, cookie: str = "") -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.cookie = port, path, cookie
        self.closed = threading.Event()
        self.first_state = threading.Event()
        self.sock: socket.socket | None = None

    def run(self) -> None:
        while not self.closed.is_set():
            retry = 1.0
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
                self.sock = sock
                cookie = f"Cookie: {self.cookie}\r\n" if self.cookie else ""
                sock.sendall(
                    f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie}"
                    "Accept: text/event-stream\r\nConnection: close\r\n\r\n".encode()
                )
                # Read line by line: a state may be larger than one read, and
                # a line split between reads is completed by the next one.
                rest = b""
                while not self.closed.is_set():
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    *lines, rest = (rest + chunk).split(b"\n")
                    for line in lines:
                        if line == b"event: state":
                            self.first_state.set()
                        elif line.startswith(b"retry: "):
                            value = line.removeprefix(b"retry: ").strip()
                            if value.isdigit():
                                retry = int(value) / 1000
                sock.close()
            except OSError:
                pass
            self.closed.wait(retry)

    def close(self) -> None:
        """Gone without a word, as a closed tab or a reload."""
        self.closed.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


def held(port: int, path: str) -> socket.socket | None:
    """A page opened now, if it gets a stream of its own (else None)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    if b"x-uxlab-live: stream" in head.lower():
        return sock
    sock.close()
    return None


class ObserverStream:
    """An observer page's own stream, read until a given text shows in it."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.sock: socket.socket | None = None
        self.text = b""

    def open(self, deadline: float) -> bool:
        """A stream of its own (not a poll's answer), asked for until ``deadline``."""
        self.close()
        while time.monotonic() < deadline:
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            except OSError:
                time.sleep(0.05)
                continue
            try:
                sock.sendall(
                    f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Accept: text/event-stream\r\nConnection: close\r\n\r\n".encode()
                )
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    head += chunk
            except OSError:
                sock.close()
                time.sleep(0.05)
                continue
            headers, _, body = head.partition(b"\r\n\r\n")
            if b"x-uxlab-live: stream" in headers.lower():
                self.sock, self.text = sock, body
                return True
            sock.close()
            time.sleep(0.05)
        return False

    def wait_for(self, text: bytes, deadline: float) -> bool:
        """Whether ``text`` arrived on the stream before ``deadline``."""
        while text not in self.text:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            chunk = b""
            if self.sock is not None:
                self.sock.settimeout(left)
                try:
                    chunk = self.sock.recv(65536)
                except TimeoutError:
                    return False
                except OSError:
                    chunk = b""
            if not chunk:
                # The stream ended (its time is up): the page opens another,
                # which starts with the current state.
                if not self.open(deadline):
                    return False
                continue
            self.text = (self.text + chunk)[-(1 << 20) :]
        self.text = b""
        return True

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def cross_process(
    port: int, url: str, observe: str, session_id: int, researcher_id: int
) -> tuple[list[float], int]:
    """Milliseconds from each note this process writes to the observer's stream
    showing it, and how many notes were written."""
    rng = random.Random(7)
    stream = ObserverStream(port, observe)
    engine = get_engine(create_app({"DATABASE_URL": url}))
    arrived: list[float] = []
    written = 0
    try:
        if not stream.open(time.monotonic() + 10):
            return arrived, written
        author = m.moderator(researcher_id, "Bench")
        for i in range(NOTES):
            # At a random moment, not in step with the server's polls.
            time.sleep(rng.uniform(0.1, 0.4))
            text = f"note {i:02d} written by another process"
            started = time.perf_counter()
            with Session(engine, expire_on_commit=False) as db:
                m.write_note(
                    db,
                    session_id,
                    author,
                    op="create",
                    note_id=f"bench-note-{i:02d}",
                    tag="q",
                    text=text,
                )
            written += 1
            if stream.wait_for(text.encode(), time.monotonic() + NOTE_TIMEOUT_S):
                arrived.append((time.perf_counter() - started) * 1000)
    finally:
        stream.close()
        engine.dispose()
    return arrived, written


def sample(port: int, seconds: float, every: float = 0.05) -> list[float]:
    """Milliseconds ``GET /login`` took, once every ``every`` seconds."""
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        status, _ = get(port, "/login")
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        time.sleep(every)
    return times


class Seeded(NamedTuple):
    """A live moderated session: its observer stream, study, participant link."""

    observe: str
    slug: str
    link: str
    session_id: int
    researcher_id: int


def seed(url: str) -> Seeded:
    """A live moderated session, its study and its researcher."""
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": url})
    engine = get_engine(app)
    upgrade(engine=engine)
    with Session(engine, expire_on_commit=False) as db:
        researcher = create_researcher(db, email="b@example.org", password="x" * 12)
        assert researcher.id is not None
        study = create_study_from_template(
            db,
            ROOT / "study_templates",
            "moderated-think-aloud.yaml",
            owner_id=researcher.id,
        )
        study.status = StudyStatus.live
        db.add(study)
        db.commit()
        ms = m.schedule_session(db, study, label="P1", scheduled_at=None, secret=SECRET)
        token = m.observer_token(m.observers(db, ms)[0], SECRET)
        link = m.participant_link_token(db, ms, SECRET)
        assert ms.id is not None
        seeded = Seeded(
            f"/observe/{token}/stream", study.slug, link, ms.id, researcher.id
        )
    engine.dispose()
    return seeded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--reloads", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/live.sqlite"
        seeded = seed(url)
        observe, slug, link = seeded.observe, seeded.slug, seeded.link
        port = free_port()
        env = dict(os.environ, UXLAB_DATABASE_URL=url, UXLAB_SECRET_KEY=SECRET)
        server = subprocess.Popen(
            [str(UXLAB), "serve", "--port", str(port), "--threads", str(THREADS)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if get(port, "/login")[0] == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            # The participant's browser: its cookie, consent given.
            _, set_cookie = get(port, f"/s/{link}")
            assert set_cookie is not None
            cookie = set_cookie.split(";", 1)[0]
            with Session(
                get_engine(create_app({"DATABASE_URL": url})), expire_on_commit=False
            ) as db:
                entry = p.enter_with_invite(db, link, secret=SECRET)
                p.give_consent(db, entry.slug, entry.token, step="consent")

            baseline = sample(port, 3.0)

            pages = [LivePage(port, observe) for _ in range(args.pages)]
            for page in pages:
                page.start()
            opened = time.monotonic()
            for page in pages:
                page.first_state.wait(max(0.0, opened + 60 - time.monotonic()))
            all_open_s = time.monotonic() - opened
            first_states = sum(page.first_state.is_set() for page in pages)

            def reload_participant() -> None:
                page = LivePage(port, f"/take/{slug}/live", cookie)
                page.start()
                gap = 3.0 / args.reloads
                for _ in range(args.reloads):
                    time.sleep(gap)
                    page.close()
                    get(port, f"/take/{slug}", cookie)
                    page = LivePage(port, f"/take/{slug}/live", cookie)
                    page.start()
                pages.append(page)

            reloads = threading.Thread(target=reload_participant)
            reloads.start()
            loaded = sample(port, args.seconds)
            reloads.join()

            # Release: every page closes; how soon are all stream slots free?
            slots = THREADS // 2
            closed_at = time.monotonic()
            for page in pages:
                page.close()
            kept: list[socket.socket] = []
            while len(kept) < slots and time.monotonic() - closed_at < 30:
                sock = held(port, observe)
                if sock is not None:
                    kept.append(sock)
                else:
                    time.sleep(0.02)
            release_s = time.monotonic() - closed_at
            for sock in kept:
                sock.close()

            # A change made by another process: this one, writing notes.
            cross, written = cross_process(
                port, url, observe, seeded.session_id, seeded.researcher_id
            )
        finally:
            server.terminate()
            server.wait(timeout=30)

    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q))

    base99, load99 = pct(baseline, 99), pct(loaded, 99)
    print(f"server: waitress, {THREADS} threads, {slots} stream slots, SQLite")
    print(
        f"GET /login alone: p50 {pct(baseline, 50):.0f} ms, p99 {base99:.0f} ms "
        f"({len(baseline)} requests)"
    )
    print(
        f"GET /login with {args.pages} live pages open and {args.reloads} reloads "
        f"in 3 s: p50 {pct(loaded, 50):.0f} ms, p99 {load99:.0f} ms, "
        f"max {max(loaded):.0f} ms ({len(loaded)} requests); "
        f"ratio p99 {load99 / base99:.1f}x baseline; goal p99 < {GOAL_P99_MS:.0f} ms: "
        f"{'met' if load99 < GOAL_P99_MS else 'NOT met'}"
    )
    opened_text = (
        f"all {args.pages}"
        if first_states == args.pages
        else f"{first_states} of {args.pages}"
    )
    print(f"{opened_text} live pages had their first state after {all_open_s:.1f} s")
    print(
        f"streams of closed pages released: all {slots} slots free after "
        f"{release_s:.2f} s; goal < {GOAL_RELEASE_S:.0f} s: "
        f"{'met' if release_s < GOAL_RELEASE_S else 'NOT met'}"
    )
    cross_met = written == NOTES and len(cross) == NOTES and max(cross) < GOAL_CROSS_MS
    figures = (
        f"median {pct(cross, 50):.0f} ms, p95 {pct(cross, 95):.0f} ms, "
        f"max {max(cross):.0f} ms"
        if cross
        else "none arrived"
    )
    print(
        f"cross-process change → observer stream: {figures} ({len(cross)} of "
        f"{NOTES} notes arrived within {NOTE_TIMEOUT_S:.0f} s; goal < "
        f"{GOAL_CROSS_MS:,.0f} ms): {'met' if cross_met else 'NOT met'}"
    )
    missed = []
    if load99 >= GOAL_P99_MS:
        missed.append(
            f"GET /login p99 under load < {GOAL_P99_MS:.0f} ms (was {load99:.0f} ms)"
        )
    if release_s >= GOAL_RELEASE_S:
        missed.append(
            f"streams of closed pages released < {GOAL_RELEASE_S:.0f} s "
            f"(was {release_s:.2f} s)"
        )
    if not cross_met:
        missed.append(
            f"cross-process change on the observer stream < {GOAL_CROSS_MS:,.0f} ms "
            f"({figures}; {len(cross)} of {NOTES} notes arrived)"
        )
    for goal in missed:
        print(f"goal missed: {goal}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
