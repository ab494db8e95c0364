"""A run that regresses is POSTed to the project's webhook, retried with backoff."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from tests.audits.conftest import ONE_PAGE, Workers, fresh, make_project, wait_for
from uxlab.audits.queue import audit_queue
from uxlab.audits.runs import FINAL, queue_run
from uxlab.models import AuditProject, RunStatus, Workspace

pytestmark = pytest.mark.browser


class Receiver:
    """A webhook on 127.0.0.1 answering 500 to the first ``failures`` POSTs."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[float, int, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.calls) < receiver.failures else 200
                receiver.calls.append((time.monotonic(), status, json.loads(body)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_to_end(app: Flask, db: Session, project: AuditProject, base_url: str) -> Any:
    run = queue_run(db, project, started_by="person", base_url=base_url)
    assert run.id is not None
    audit_queue(app).enqueue(run.id)
    return wait_for(
        "the run to finish",
        lambda: (r := fresh(db, run.id or 0)).status in FINAL and r,
        120,
    )


#: Each case: the POSTs its webhook answers 500 to, and how the run's note ends.
#: The longest retries first, so they go on while the other case's run runs.
CASES = {
    "fails-four-times": (99, "webhook failed after 4 tries: HTTP 500 from the webhook"),
    "delivered-on-third-try": (2, "webhook delivered (try 3)"),
}


def test_a_regression_is_posted_to_the_webhook_with_retries(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    workers: Workers,
    site_url: Callable[[str], str],
) -> None:
    """Each case is a project of its own with its own webhook, on one worker."""
    receivers = {case: Receiver(failures) for case, (failures, _) in CASES.items()}
    try:
        projects = {
            case: make_project(
                db,
                workspace,
                ONE_PAGE,
                site_url("storefront"),
                name=f"Shop {case}",
                webhook_url=receivers[case].url,
            ).project
            for case in CASES
        }
        workers.start()
        regressed: dict[str, Any] = {}
        for project in projects.values():
            first = run_to_end(queue_app, db, project, site_url("storefront"))
            assert first.status in (RunStatus.passed, RunStatus.failed)
            assert first.regression is False, workers.logs()
        for case, project in projects.items():
            # The faulty site has critical and serious findings the storefront lacks.
            second = run_to_end(queue_app, db, project, site_url("faulty"))
            assert second.regression is True
            regressed[case] = second
        for case, (_, note) in CASES.items():
            check_webhook(
                db, workspace, projects[case], regressed[case], receivers[case], note
            )
    finally:
        for receiver in receivers.values():
            receiver.close()


def check_webhook(
    db: Session,
    workspace: Workspace,
    project: AuditProject,
    second: Any,
    receiver: Receiver,
    note: str,
) -> None:
    wait_for(
        "the webhook's last try", lambda: fresh(db, second.id).notified == note, 30
    )
    tries = min(receiver.failures + 1, 4)
    assert len(receiver.calls) == tries
    # Backoff: 1, 2 and 4 s between tries (Huey's retry_delay × retry_backoff).
    gaps = [
        b[0] - a[0] for a, b in zip(receiver.calls, receiver.calls[1:], strict=False)
    ]
    for gap, least in zip(gaps, (1, 2, 4), strict=False):
        assert gap >= least - 0.1, gaps
    payload = receiver.calls[-1][2]
    # Slack-compatible: the message is all in "text".
    assert payload["text"].startswith(
        f"uxlab audit “{project.name}” regressed in run #{second.id}"
    )
    assert payload["text"].endswith(
        f"/workspaces/{workspace.slug}/audits/{project.id}/runs/{second.id}"
    )
    assert payload["diff"]["regression"] is True
    assert payload["diff"]["findings"]["new"]
    assert payload["run"]["status"] == second.status.value
