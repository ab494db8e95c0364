"""Locust users for benchmarks/load_bench.py: participants and one researcher.

Run by load_bench.py, which seeds the study and sets:

- ``UXLAB_LOAD_INVITE``: the study's open link token (``/s/<token>``);
- ``UXLAB_LOAD_SLUG``: the study's slug;
- ``UXLAB_LOAD_EMAIL`` / ``UXLAB_LOAD_PASSWORD``: the researcher's login;
- ``UXLAB_LOAD_LEDGER``: a file to write, at the end, what every simulated
  participant sent and what the server acknowledged.

A participant goes through the study as a browser does, one step per Locust
task (so a stopping run waits for one step, not a whole participant): the link,
consent, each task (start, the site page, the recorder's state request and its
event batches, "I'm done"), the SEQ after each task and the SUS at the end,
each answer saved on its own as participant.js does, then the page submitted.
Then the same Locust user starts again as a new participant.

Recorder batches follow static/recorder.js: client-made event ids, ``seq`` per
recording (tab), batches of at most 50 events, ``?retry=n`` with jittered
exponential backoff on a network error, 5xx, 408 or 429, the same ids sent
again until they are acknowledged, and a 4xx batch dropped.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment

INVITE = os.environ.get("UXLAB_LOAD_INVITE", "")
SLUG = os.environ.get("UXLAB_LOAD_SLUG", "")
EMAIL = os.environ.get("UXLAB_LOAD_EMAIL", "")
PASSWORD = os.environ.get("UXLAB_LOAD_PASSWORD", "")
LEDGER = os.environ.get("UXLAB_LOAD_LEDGER", "")

BATCH = 50  # recorder.js's largest batch
MAX_TRIES = 8  # per flush; what is still unacked waits for the next one

_CSRF = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_STEP = re.compile(r'name="step" value="([^"]*)"')
_TASK = re.compile(r'name="task" value="(\d+)"')
_RESUME = re.compile(r"/r/([A-Za-z0-9_-]+)")
_RADIO = re.compile(r'type="radio" name="([^"]+)" value="(-?\d+)"')
_TEXTAREA = re.compile(r'<textarea[^>]*name="([^"]+)"')
_AUTOSAVE = re.compile(r'data-autosave="([^"]+)"')


class Ledger:
    """What all participants of this process sent and got acknowledged."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.acked: list[str] = []
        self.rejected: list[dict[str, Any]] = []
        self.dropped: list[str] = []
        #: resume token -> answer keys ("step|questionnaire.item") saved with a 200
        self.answers: dict[str, list[str]] = {}
        self.answers_unsure: dict[str, list[str]] = {}
        self.participants_started = 0
        self.participants_finished = 0
        self.retries = 0
        #: Batches still unacknowledged when the run stopped, as a recorder
        #: keeps them in localStorage to send on its next page load.
        self.pending: list[dict[str, Any]] = []
        self.stats: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []

    def write(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.__dict__, out)


ledger = Ledger()
_environment: list[Environment] = []
#: Every participant user, to collect what their queues still hold at the end.
_participants: dict[int, Participant] = {}


@events.init.add_listener
def _keep_environment(environment: Environment, **_kwargs: Any) -> None:
    _environment.append(environment)


@events.quit.add_listener
def _write_ledger(**_kwargs: Any) -> None:
    """After the users have stopped: the ledger, and the whole run's statistics."""
    if not LEDGER:
        return
    stats = _environment[0].stats
    rows = [*stats.entries.values(), stats.total]
    ledger.stats = [
        {
            "method": entry.method or "",
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p99": entry.get_response_time_percentile(0.99),
            "rps": entry.total_rps,
        }
        for entry in rows
    ]
    ledger.errors = [
        {"method": e.method, "name": e.name, "error": str(e.error), "n": e.occurrences}
        for e in stats.errors.values()
    ]
    queued: dict[str, list[dict[str, Any]]] = {}
    for user in _participants.values():
        for item in user.queue:
            queued.setdefault(item["t"], []).append(item["e"])
    ledger.pending = [{"token": t, "events": e} for t, e in queued.items()]
    ledger.write(LEDGER)


def _csrf(html: str) -> str:
    meta = _META_CSRF.search(html)
    if meta:
        return meta.group(1)
    found = _CSRF.search(html)
    if not found:
        raise ValueError("no CSRF token on the page")
    return found.group(1) or found.group(2)


class Participant(HttpUser):
    """One participant after another, each a new browser (no cookies)."""

    weight = 1
    wait_time = between(0.5, 2.5)

    def on_start(self) -> None:
        _participants[id(self)] = self
        self.state = "enter"
        self.html = ""
        self.resume = ""
        self.attempt = ""
        self.recording = ""
        self.seq = 0
        # What a participant's recorder has not had acknowledged stays queued
        # for the next page load, as localStorage keeps it.
        self.queue: list[dict[str, Any]] = getattr(self, "queue", [])
        self.failures = 0
        self.site_visits = 0
        self.answer_items: list[tuple[str, Any]] = []
        self.started_at = 0.0

    # ---------------------------------------------------------------- steps

    @task
    def step(self) -> None:
        getattr(self, f"_{self.state}")()

    def _page(self) -> None:
        """Read the study's clean URL, the current step, and decide what is next."""
        with self.client.get(
            f"/take/{SLUG}", name="/take/[slug]", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            self.html = response.text
        self._route()

    def _route(self) -> None:
        html = self.html
        if not self.resume:
            found = _RESUME.search(html)
            self.resume = found.group(1) if found else f"unknown-{uuid.uuid4()}"
        if 'action="/take/' in html and "/consent" in html and 'value="agree"' in html:
            self.state = "consent"
        elif "data-start" in html and 'data-started="0"' in html:
            self.state = "start"
        elif "data-done" in html:
            self.state = "site"
        elif "data-autosave" in html:
            self.answer_items = self._items(html)
            self.state = "answer" if self.answer_items else "submit"
        else:  # the thank-you page
            ledger.participants_finished += 1
            self.state = "again"

    def _enter(self) -> None:
        ledger.participants_started += 1
        with self.client.get(
            f"/s/{INVITE}",
            name="/s/[invite]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 303:
                response.failure(f"status {response.status_code}")
                return
        self._page()

    def _again(self) -> None:
        """A new participant in a new browser."""
        self.client.cookies.clear()
        self.on_start()
        self._enter()

    def _post_form(self, path: str, name: str, data: dict[str, str]) -> bool:
        data = {"csrf_token": _csrf(self.html), **data}
        with self.client.post(
            path, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 303:
                response.failure(f"status {response.status_code}")
                return False
            self.location = response.headers.get("Location", "")
        return True

    def _consent(self) -> None:
        step = _STEP.search(self.html)
        if self._post_form(
            f"/take/{SLUG}/consent",
            "/take/[slug]/consent",
            {"step": step.group(1) if step else "consent", "decision": "agree"},
        ):
            self._page()

    def _start(self) -> None:
        step, task_id = _STEP.search(self.html), _TASK.search(self.html)
        assert step and task_id
        self.step_name, self.task_id = step.group(1), task_id.group(1)
        if not self._post_form(
            f"/take/{SLUG}/start",
            "/take/[slug]/start",
            {"step": self.step_name, "task": self.task_id},
        ):
            return
        found = re.search(r"[?&]uxlab_attempt=([^&#]+)", self.location)
        if not found:  # a task without a site: on to "I'm done"
            self._page()
            return
        self.attempt = found.group(1)
        self.recording = str(uuid.uuid4())
        self.seq = 0
        self.site_visits = 0
        self.started_at = time.monotonic()
        site = self.location.split("?", 1)[0]
        self.site_url = site
        # The site page (uxlab injects the recorder), then the recorder's
        # state request and its first events.
        self.client.get(site, name="/static/demo-shop/* (recorder injected)")
        self.client.get(
            f"/api/v1/attempts/{self.attempt}", name="/api/v1/attempts/[token]"
        )
        self._record("page_view", {"title": "Northwind Outfitters", "referrer": ""})
        self.state = "site"

    def _record(self, kind: str, data: dict[str, Any]) -> None:
        self.seq += 1
        self.queue.append(
            {
                "t": self.attempt,
                "e": {
                    "id": str(uuid.uuid4()),
                    "seq": self.seq,
                    "rec": self.recording,
                    "type": kind,
                    "ts": time.time() * 1000,
                    "url": f"{self.host}{self.site_url}",
                    "data": data,
                },
            }
        )

    def _click(self) -> None:
        x, y = random.randint(0, 1279), random.randint(0, 2000)
        self._record(
            "click",
            {
                "x": x,
                "y": y,
                "cx": x,
                "cy": min(y, 799),
                "vw": 1280,
                "vh": 800,
                "dw": 1280,
                "dh": 2400,
                "sx": 0,
                "sy": max(0, y - 799),
                "selector": "main > p:nth-of-type(2) > a",
                "tag": "a",
                "role": "",
                "text": "Shop jackets",
                "interactive": True,
                "pointer": "mouse",
            },
        )

    def _flush(self) -> None:
        """Send the queue as recorder.js does, until acked or MAX_TRIES fail."""
        tries = 0
        while self.queue and tries < MAX_TRIES:
            token = self.queue[0]["t"]  # one attempt's events per batch
            batch = [i["e"] for i in self.queue if i["t"] == token][:BATCH]
            ids = [e["id"] for e in batch]
            retry = f"?retry={self.failures}" if self.failures else ""
            ledger.sent.extend(ids)
            try:
                response = self.client.post(
                    f"/api/v1/attempts/{token}/events{retry}",
                    data=json.dumps({"events": batch}),
                    headers={"Content-Type": "text/plain"},
                    name="/api/v1/attempts/[token]/events",
                )
                status = response.status_code
            except Exception:  # noqa: BLE001 - any network failure: retry
                status = 0
            if status == 200:
                body = response.json()
                self.failures = 0
                done = set(body.get("acked", []))
                ledger.acked.extend(body.get("acked", []))
                for r in body.get("rejected", []):
                    ledger.rejected.append(r)
                    done.add(r.get("id"))
                self.queue = [i for i in self.queue if i["e"]["id"] not in done]
            elif 400 <= status < 500 and status not in (408, 429, 413):
                ledger.dropped.extend(ids)
                gone = set(ids)
                self.queue = [i for i in self.queue if i["e"]["id"] not in gone]
            else:
                self.failures += 1
                tries += 1
                ledger.retries += 1
                base = min(30.0, 0.5 * 2 ** (self.failures - 1))
                time.sleep(base * (0.5 + random.random()))

    def _site(self) -> None:
        """On the site: a few clicks and a scroll, flushed as one batch; then done."""
        if self.site_visits < random.randint(2, 4):
            self.site_visits += 1
            for _ in range(random.randint(3, 30)):
                self._click()
            if random.random() < 0.5:
                self._record("scroll", {"depth": 50, "sy": 600})
            self._flush()
            return
        self._record("blur", {})
        self._flush()
        duration = int((time.monotonic() - self.started_at) * 1000)
        if self._post_form(
            f"/take/{SLUG}/done",
            "/take/[slug]/done",
            {
                "step": self.step_name,
                "task": self.task_id,
                "outcome": "done",
                "client_duration_ms": str(duration),
            },
        ):
            self._page()

    # -------------------------------------------------------- questionnaires

    def _items(self, html: str) -> list[tuple[str, Any]]:
        scales: dict[str, list[int]] = {}
        for name, value in _RADIO.findall(html):
            scales.setdefault(name, []).append(int(value))
        items: list[tuple[str, Any]] = [
            (name, random.choice(values)) for name, values in scales.items()
        ]
        items += [(name, "Fine, thanks.") for name in _TEXTAREA.findall(html)]
        return items

    def _answer(self) -> None:
        """Save one answer as participant.js does when it is given."""
        name, value = self.answer_items.pop(0)
        questionnaire, item = name.split(".", 1)
        step = _STEP.search(self.html)
        step_name = step.group(1) if step else ""
        autosave = _AUTOSAVE.search(self.html)
        path = autosave.group(1) if autosave else f"/take/{SLUG}/answer"
        key = f"{step_name}|{name}"
        unsure = ledger.answers_unsure.setdefault(self.resume, [])
        unsure.append(key)
        with self.client.post(
            path,
            json={
                "step": step_name,
                "questionnaire": questionnaire,
                "item": item,
                "value": value,
            },
            headers={"X-CSRFToken": _csrf(self.html)},
            name="/take/[slug]/answer",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            else:
                unsure.remove(key)
                ledger.answers.setdefault(self.resume, []).append(key)
        self.submitted = dict(getattr(self, "submitted", {}), **{name: value})
        if not self.answer_items:
            self.state = "submit"

    def _submit(self) -> None:
        """Press Next: the page's answers sent again as a form."""
        step = _STEP.search(self.html)
        data = {"step": step.group(1) if step else ""}
        data.update({k: str(v) for k, v in getattr(self, "submitted", {}).items()})
        self.submitted = {}
        if self._post_form(f"/take/{SLUG}/answers", "/take/[slug]/answers", data):
            self._page()


class Researcher(HttpUser):
    """One researcher, logged in, reading results and exporting meanwhile."""

    fixed_count = 1
    wait_time = between(2, 4)

    def on_start(self) -> None:
        page = self.client.get("/login", name="/login")
        with self.client.post(
            "/login",
            data={"csrf_token": _csrf(page.text), "email": EMAIL, "password": PASSWORD},
            name="/login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in (302, 303):
                response.failure(f"login refused: {response.status_code}")

    @task(2)
    def export_zip(self) -> None:
        with self.client.get(
            f"/studies/{SLUG}/export.zip",
            name="/studies/[slug]/export.zip",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or response.content[:2] != b"PK":
                response.failure(f"status {response.status_code}, not a zip")

    @task(1)
    def export_json(self) -> None:
        self.client.get(
            f"/studies/{SLUG}/export.json", name="/studies/[slug]/export.json"
        )

    @task(1)
    def results(self) -> None:
        self.client.get(f"/studies/{SLUG}/results", name="/studies/[slug]/results")
