"""A regression is mailed when UXLAB_SMTP_URL is set: a real SMTP server on 127.0.0.1.

The server is aiosmtpd's, in a thread of the test. The notification path is
the one a worker takes after a run, and the CI upload after storing one:
:meth:`AuditQueue.after_run`, which queues the webhook job and sends the
mail. The webhook job is then taken from the queue and executed as a worker
would, against a webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlmodel import Session, select

from tests.audits.conftest import ONE_PAGE, fresh
from tests.audits.test_diff import HOME, add_run
from tests.audits.test_notify import Receiver
from uxlab.audits.projects import ProjectSettings, create_project
from uxlab.audits.queue import AuditQueue, audit_queue
from uxlab.models import AuditProject, AuditProjectRun, Researcher, Workspace

PUBLIC_URL = "https://ux.example.org"


class Mailbox:
    """An aiosmtpd handler keeping each message; refusing every recipient
    while ``refuse`` is set."""

    def __init__(self) -> None:
        self.refuse = False
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[tuple[Mailbox, str]]:
    """An SMTP server on 127.0.0.1; the mailbox and the SMTP URL that reaches it."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, server_hostname="mail.test"
    )
    controller.start()
    try:
        yield mailbox, f"smtp://127.0.0.1:{port}?from=audits@uxlab.test"
    finally:
        controller.stop()


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    receiver = Receiver(0)
    yield receiver
    receiver.close()


def regressed(
    db: Session, workspace: Workspace, webhook_url: str
) -> tuple[AuditProject, AuditProjectRun]:
    """A project made by a@example.com, and a run that regressed from the one
    before: a task newly failing and a new serious finding."""
    creator = db.exec(
        select(Researcher).where(Researcher.email == "a@example.com")
    ).one()
    assert workspace.id is not None
    project = create_project(
        db,
        workspace.id,
        ProjectSettings(name="Shop", base_url=HOME, webhook_url=webhook_url),
        ONE_PAGE,
        researcher_id=creator.id,
    ).project
    add_run(db, project, [])
    run = add_run(
        db,
        project,
        [("label", "serious", "#q", "Form elements must have labels")],
        tasks_ok=False,
    )
    return project, run


def deliver_webhook(queue: AuditQueue, run_id: int) -> None:
    """Take the queued webhook job and execute it, as a worker would."""
    job = queue.huey.dequeue()
    assert job is not None
    assert (job.name, tuple(job.args)) == (queue.webhook_job.name, (run_id,))
    queue.huey.execute(job)
    assert queue.huey.dequeue() is None


def test_a_regression_is_mailed_to_the_projects_creator_with_a_link_to_the_run(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    smtp: tuple[Mailbox, str],
    receiver: Receiver,
) -> None:
    mailbox, smtp_url = smtp
    queue_app.config.update(SMTP_URL=smtp_url, PUBLIC_URL=PUBLIC_URL)
    project, run = regressed(db, workspace, receiver.url)
    assert run.id is not None
    queue = audit_queue(queue_app)

    queue.after_run(run.id)

    [(sender, recipients, message)] = mailbox.messages
    assert sender == "audits@uxlab.test"
    assert recipients == ["a@example.com"]
    assert message["To"] == "a@example.com"
    assert message["Subject"] == f"uxlab audit regressed: Shop run #{run.id}"
    body = message.get_content()
    link = f"{PUBLIC_URL}/workspaces/{workspace.slug}/audits/{project.id}/runs/{run.id}"
    assert f"The run: {link}" in body
    assert f"The audit project “Shop” regressed in run #{run.id}." in body
    assert "- new serious: label on http://shop.test/ (#q)" in body
    assert "tasks newly failing: Checkout (desktop)" in body
    assert fresh(db, run.id).notified == "email sent to a@example.com"

    # The webhook was queued as well, and its note joins the email's.
    deliver_webhook(queue, run.id)
    [(_, status, payload)] = receiver.calls
    assert status == 200 and payload["run"]["url"] == link
    assert fresh(db, run.id).notified == (
        "email sent to a@example.com · webhook delivered (try 1)"
    )


def test_without_an_smtp_url_nothing_is_mailed(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    smtp: tuple[Mailbox, str],
    receiver: Receiver,
) -> None:
    mailbox, _ = smtp
    assert not queue_app.config.get("SMTP_URL")
    _, run = regressed(db, workspace, receiver.url)
    assert run.id is not None
    queue = audit_queue(queue_app)

    queue.after_run(run.id)
    deliver_webhook(queue, run.id)

    assert mailbox.messages == []
    assert len(receiver.calls) == 1
    assert fresh(db, run.id).notified == "webhook delivered (try 1)"


def test_a_run_without_a_regression_is_not_mailed(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    smtp: tuple[Mailbox, str],
    receiver: Receiver,
) -> None:
    mailbox, smtp_url = smtp
    queue_app.config["SMTP_URL"] = smtp_url
    project, _ = regressed(db, workspace, receiver.url)
    # The same finding and tasks as the run before: unchanged.
    same = add_run(
        db,
        project,
        [("label", "serious", "#q", "Form elements must have labels")],
        tasks_ok=False,
    )
    assert same.id is not None

    audit_queue(queue_app).after_run(same.id)

    assert mailbox.messages == []
    assert audit_queue(queue_app).huey.pending() == []
    assert fresh(db, same.id).notified is None


@pytest.mark.parametrize(
    ("how", "note"),
    [
        ("refused", "email failed: could not send mail through 127.0.0.1:"),
        ("no-server", "email failed: could not send mail through 127.0.0.1:"),
        # urlsplit raises ValueError for a port that is not a number.
        ("bad-port", "email failed: ValueError"),
    ],
)
def test_a_mail_that_fails_is_noted_and_loses_neither_the_run_nor_the_webhook(
    queue_app: Flask,
    db: Session,
    workspace: Workspace,
    smtp: tuple[Mailbox, str],
    receiver: Receiver,
    how: str,
    note: str,
) -> None:
    mailbox, smtp_url = smtp
    mailbox.refuse = how == "refused"
    queue_app.config["SMTP_URL"] = {
        "refused": smtp_url,
        "no-server": f"smtp://127.0.0.1:{free_port()}",
        "bad-port": "smtp://127.0.0.1:twenty-five",
    }[how]
    _, run = regressed(db, workspace, receiver.url)
    assert run.id is not None
    queue = audit_queue(queue_app)

    queue.after_run(run.id)  # does not raise

    assert mailbox.messages == []
    assert str(fresh(db, run.id).notified).startswith(note)
    deliver_webhook(queue, run.id)
    assert [status for _, status, _ in receiver.calls] == [200]
    email, webhook = str(fresh(db, run.id).notified).split(" · ")
    assert email.startswith(note)
    assert webhook == "webhook delivered (try 1)"
