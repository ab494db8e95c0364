"""Every setting uxlab reads, declared once with its default and its meaning.

Settings are layered by :func:`uxlab.app.create_app`: these defaults, then the
instance folder's ``config.py``, then environment variables prefixed ``UXLAB_``
(``UXLAB_DATABASE_URL=sqlite:////srv/uxlab.db``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULTS", "SETTINGS", "Setting"]


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs session cookies; generated into the instance folder when unset.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL; default is uxlab.sqlite in the instance folder.",
    ),
    Setting(
        "STUDY_TEMPLATES_DIR",
        None,
        "Folder of shipped study files; default is study_templates/.",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        2 * 1024 * 1024,
        "Largest request body accepted, in bytes.",
    ),
    Setting(
        "INGEST_MAX_BYTES",
        256 * 1024,
        "Largest event batch the recorder may send, in bytes.",
    ),
    Setting("MAX_TEXT_ANSWER", 10_000, "Longest free-text answer kept, in characters."),
    Setting("INVITE_TTL_DAYS", 60, "Days a single-use invite link stays valid."),
    Setting(
        "PERMANENT_SESSION_LIFETIME",
        90 * 24 * 3600,
        "Seconds a participant's or researcher's session cookie lasts; longer than "
        "invites live, so a returning participant resumes.",
    ),
    Setting(
        "ENTER_RATE_LIMIT",
        "120 per minute",
        "Participant link openings allowed per client address (a lab shares one).",
    ),
    Setting(
        "FEEDBACK_RATE_LIMIT",
        "60 per minute",
        "Customer feedback link requests (/f/...) allowed per client address.",
    ),
    Setting(
        "WIDGET_RATE_LIMIT",
        "120 per minute",
        "Web widget requests (its config and answers) allowed per touchpoint and "
        "client address.",
    ),
    Setting(
        "UNKNOWN_TOKEN_RATE_LIMIT",
        "30 per minute",
        "Unknown personal, observer or recorder links one client address may "
        "open; links that exist never count.",
    ),
    Setting(
        "PUBLIC_URL",
        None,
        "Absolute base URL used in participant links; default is the request's.",
    ),
    Setting(
        "TRUSTED_HOSTS",
        None,
        "Host names this server answers for, as a JSON list "
        "(UXLAB_TRUSTED_HOSTS='[\"uxlab.example.org\"]'). Requests for other "
        "hosts are refused; without PUBLIC_URL, links use the request's host "
        "only when it is listed here or is a loopback name, else 127.0.0.1.",
    ),
    Setting("WTF_CSRF_TIME_LIMIT", None, "CSRF tokens live as long as the session."),
    Setting(
        "SESSION_COOKIE_SAMESITE", "Lax", "SameSite attribute of the session cookie."
    ),
    Setting(
        "SESSION_COOKIE_HTTPONLY", True, "Keep the session cookie away from scripts."
    ),
    Setting(
        "LOGIN_RATE_LIMIT",
        "10 per minute",
        "Failed-or-not login attempts allowed per client address.",
    ),
    Setting(
        "RATELIMIT_STORAGE_URL",
        None,
        "Where rate-limit counters live, so limits hold across app processes: "
        "redis://host:6379/0 (pip install 'uxlab[redis]'), uxlab-db:// (the "
        "database) or memory:// (one process). Default: the database on "
        "PostgreSQL, memory on SQLite.",
    ),
    Setting(
        "SMTP_URL",
        None,
        "Mail server for workspace invitations: smtp://user:pass@host:587 "
        "(STARTTLS when offered) or smtps://user:pass@host:465; ?from=address "
        "sets the sender. Unset: invite links are only shown to copy.",
    ),
    Setting(
        "LIVE_STREAMS",
        None,
        "Live pages (console, observer, participant) streamed at once by one app "
        "process; each holds a server thread, and pages past the bound poll "
        "every few seconds instead. Default: half of `uxlab serve --threads`.",
    ),
    Setting(
        "CHROMIUM",
        None,
        "Path to the Chromium binary used for screenshots, PDFs and audits.",
    ),
    Setting(
        "AUDIT_LEASE_SECONDS",
        30,
        "Seconds a worker holds a run without renewing it; a run whose worker "
        "stopped is queued again this long after its last renewal.",
    ),
    Setting(
        "AUDIT_RUNS_PER_PROCESS",
        25,
        "Runs one audit process (and its Chromium) takes before it ends and a "
        "fresh one starts, so no memory builds up.",
    ),
    Setting(
        "AUDIT_QUEUE_PATH",
        None,
        "On SQLite, the file audit jobs are queued in; default: beside the "
        "database file, named <database>-queue.",
    ),
)

DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}
