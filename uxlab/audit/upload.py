"""Send a finished audit to an audit project on a uxlab server (``--upload URL``).

The upload names itself by a run id, so sending it again (a retried CI step,
or a retry after a dropped connection) stores one run, not two. The id is
``UXLAB_RUN_ID`` when set, else the CI system's own run id, else random.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from uxlab.audit.findings import AuditReport
from uxlab.audit.report import render_html, report_dict, report_screenshots

__all__ = ["UploadError", "ci_run_id", "upload_payload", "upload_report"]

#: CI variables naming the current pipeline run, tried in order.
_CI_RUN_VARIABLES = (
    ("GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT"),
    ("CI_PIPELINE_ID", "CI_JOB_ID"),
    ("BUILD_TAG", None),
    ("CIRCLE_WORKFLOW_ID", "CIRCLE_BUILD_NUM"),
)


class UploadError(Exception):
    """The upload failed; the message is one line."""


def ci_run_id(env: dict[str, str] | None = None) -> str:
    """The id this run uploads under.

    >>> ci_run_id({"UXLAB_RUN_ID": "nightly-42"})
    'nightly-42'
    >>> ci_run_id({"GITHUB_RUN_ID": "981", "GITHUB_RUN_ATTEMPT": "2"})
    'GITHUB_RUN_ID-981-2'
    """
    env = dict(os.environ) if env is None else env
    if env.get("UXLAB_RUN_ID"):
        return env["UXLAB_RUN_ID"][:100]
    for main, extra in _CI_RUN_VARIABLES:
        if env.get(main):
            parts = [main, env[main]] + (
                [env[extra]] if extra and env.get(extra) else []
            )
            return "-".join(parts)[:100]
    return str(uuid.uuid4())


def upload_payload(report: AuditReport, run_id: str) -> dict[str, Any]:
    """The JSON body of an upload: report.json, report.html and the screenshots."""
    return {
        "run_id": run_id,
        "report": report_dict(report),
        "report_html": render_html(report),
        "screenshots": [
            {
                "filename": shot.filename,
                "mime": shot.mime,
                "data": base64.b64encode(shot.data).decode("ascii"),
            }
            for shot in report_screenshots(report)
        ],
    }


def upload_report(
    url: str,
    token: str,
    payload: dict[str, Any],
    *,
    tries: int = 3,
    timeout: float = 60,
) -> dict[str, Any]:
    """POST the upload, trying again on a dropped connection or a 5xx answer."""
    body = json.dumps(payload).encode("utf-8")
    last = ""
    for attempt in range(tries):
        if attempt:
            time.sleep(2**attempt)
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "User-Agent": "uxlab-audit",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                found: dict[str, Any] = json.loads(answer.read())
                return found
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("message", "")
            except (ValueError, AttributeError):
                message = ""
            last = f"HTTP {exc.code}" + (f": {message}" if message else "")
            if exc.code < 500:
                break
        except (urllib.error.URLError, OSError) as exc:
            last = f"{url} did not answer: {getattr(exc, 'reason', exc)}"
    raise UploadError(last)
