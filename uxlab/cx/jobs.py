"""The CX jobs on the audit service's queue: follow-up webhooks, and retention.

Every hour a periodic job deletes the answers older than their survey's
retention (:func:`uxlab.cx.privacy.prune_expired`).

The job runs in a worker (``uxlab worker``), on the same Huey instance as the
audit jobs, and is tried four times in all, 1, 2 and 4 s apart, like a
regression's webhook. How it went is kept on the follow-up ("webhook
delivered (try 2)", "webhook failed after 4 tries: HTTP 500 ...").
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context
from huey import crontab
from sqlmodel import Session, col, select

from uxlab.audits.notify import WebhookError, post_webhook
from uxlab.cx import followups, privacy
from uxlab.cx.followup_models import CxFollowup
from uxlab.cx.models import CxJourney
from uxlab.db import session_scope
from uxlab.models import Workspace

if TYPE_CHECKING:
    from uxlab.audits.queue import AuditQueue

__all__ = ["followup_link", "notify_new", "register"]

_log = logging.getLogger("uxlab.cx")
#: Tries after the first, each twice as long after the last (1, 2, 4 s).
RETRIES = 3


def followup_link(app: Flask, db: Session, followup: CxFollowup) -> str:
    """The follow-up page's address, on ``PUBLIC_URL`` when it is set."""
    slug = db.exec(
        select(Workspace.slug)
        .join(CxJourney, col(CxJourney.workspace_id) == col(Workspace.id))
        .where(CxJourney.id == followup.journey_id)
    ).first()
    path = f"/workspaces/{slug}/cx/followups/{followup.id}"
    return str(app.config.get("PUBLIC_URL") or "").rstrip("/") + path


def _note(queue: AuditQueue, followup_id: int, note: str) -> None:
    with session_scope(queue.engine, write=True) as db:
        found = db.get(CxFollowup, followup_id)
        if found is not None:
            found.notified = note[:500]
            db.add(found)


def register(queue: AuditQueue) -> None:
    """Register the webhook job on the queue's Huey instance."""

    def deliver(followup_id: int, task: Any = None) -> None:
        with session_scope(queue.engine) as db:
            found = db.get(CxFollowup, followup_id)
            if found is None:
                return
            rules = followups.settings_for(db, found.journey_id)
            if not rules.webhook_url:
                return
            journey = db.get(CxJourney, found.journey_id)
            assert journey is not None
            row = followups.get_followup(db, journey.workspace_id, followup_id)
            payload = followups.webhook_payload(
                row, followup_link(queue.app, db, found)
            )
            url = rules.webhook_url
        tried = RETRIES + 1 - (task.retries if task is not None else 0)
        try:
            post_webhook(url, payload)
        except WebhookError as exc:
            if task is not None and task.retries > 0:
                _note(
                    queue, followup_id, f"webhook try {tried} failed: {exc}; retrying"
                )
                raise
            _note(queue, followup_id, f"webhook failed after {tried} tries: {exc}")
            return
        _note(queue, followup_id, f"webhook delivered (try {tried})")

    def prune() -> None:
        with session_scope(queue.engine) as db:
            deleted = privacy.prune_expired(db)
        if deleted:
            _log.info("deleted %s customer answers past their retention", deleted)

    queue.retention_job = queue.huey.periodic_task(
        crontab(minute="17"), name="cx_retention"
    )(prune)
    queue.followup_webhook_job = queue.huey.task(
        name="cx_followup_webhook",
        retries=RETRIES,
        retry_delay=1,
        retry_backoff=2,
        context=True,
    )(deliver)


def notify_new(db: Session, followup: CxFollowup) -> None:
    """Queue the webhook of a follow-up just made, when its journey has one."""
    if not has_app_context() or followup.id is None:
        return
    if not followups.settings_for(db, followup.journey_id).webhook_url:
        return
    from uxlab.audits.queue import audit_queue

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    audit_queue(app).followup_webhook_job(followup.id)
