"""Mail sent by uxlab (workspace invitations), through the SMTP server in ``SMTP_URL``.

``smtp://user:password@host:587`` uses STARTTLS when the server offers it,
``smtps://user:password@host:465`` TLS from the start, and ``?from=`` sets the
sender (default ``uxlab@<host>``).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from uxlab.errors import UxlabError

__all__ = ["MailError", "send_invite", "send_mail"]


class MailError(UxlabError):
    """The SMTP server could not be reached or refused the message."""

    code = "mail_failed"
    status = 502


def send_mail(smtp_url: str, *, to: str, subject: str, body: str) -> None:
    """Send one plain-text message through the server ``smtp_url`` names."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError(
            "SMTP_URL must look like smtp://user:password@host:587 or "
            "smtps://user:password@host:465"
        )
    host = parts.hostname
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    sender = parse_qs(parts.query).get("from", [f"uxlab@{host}"])[0]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=15, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=15)
        with client:
            if parts.scheme == "smtp":
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # Never the URL itself: it may hold the password.
        raise MailError(f"could not send mail through {host}:{port} ({exc})") from None


def send_invite(
    smtp_url: str, *, to: str, workspace: str, role: str, inviter: str, link: str
) -> None:
    """Mail a workspace invitation link."""
    send_mail(
        smtp_url,
        to=to,
        subject=f"{inviter} invited you to the uxlab workspace “{workspace}”",
        body=(
            f"{inviter} invited you to join the uxlab workspace “{workspace}” "
            f"as {role}.\n\nOpen this link to accept (it works once, for 7 days):\n"
            f"{link}\n\nLog in with this email address, or create an account for "
            "it on that page.\n"
        ),
    )
