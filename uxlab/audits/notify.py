"""Telling a team a run regressed: a webhook's JSON, and an email.

The JSON's ``text`` is the whole message, so it can be posted as it is to a
Slack-compatible incoming webhook; the other keys carry the details for
anything else that reads it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from uxlab.audits.diff import RunDiff
from uxlab.models import AuditProject, AuditProjectRun

__all__ = ["WebhookError", "email_body", "post_webhook", "webhook_payload"]


class WebhookError(Exception):
    """A webhook that did not answer 2xx; the message is one line."""


def webhook_payload(
    project: AuditProject, run: AuditProjectRun, diff: RunDiff, link: str
) -> dict[str, Any]:
    """The JSON POSTed on a regression."""
    text = (
        f"uxlab audit “{project.name}” regressed in run #{run.id} "
        f"({run.status.value}): {diff.summary_line()}. {link}"
    )
    return {
        "text": text,
        "project": {"id": project.id, "name": project.name},
        "run": {
            "id": run.id,
            "status": run.status.value,
            "base_url": run.base_url,
            "started_by": run.started_by,
            "summary": run.summary,
            "url": link,
        },
        "diff": diff.to_dict(),
    }


def post_webhook(url: str, payload: dict[str, Any], *, timeout: float = 10) -> None:
    """POST ``payload`` as JSON; anything but a 2xx answer is a WebhookError."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "uxlab"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"HTTP {exc.code} from the webhook") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"the webhook did not answer: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status} from the webhook")


def email_body(
    project: AuditProject, run: AuditProjectRun, diff: RunDiff, link: str
) -> str:
    lines = [
        f"The audit project “{project.name}” regressed in run #{run.id}.",
        "",
        diff.summary_line() + ".",
        "",
    ]
    for finding in diff.new_alarming[:20]:
        lines.append(
            f"- new {finding.severity}: {finding.rule} on {finding.page}"
            + (f" ({finding.selector})" if finding.selector else "")
        )
    lines += ["", f"The run: {link}"]
    return "\n".join(lines)
