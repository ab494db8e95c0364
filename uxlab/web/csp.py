"""A strict, nonce-based Content-Security-Policy on every page uxlab renders.

Each request gets a fresh nonce; the few ``<script>`` and ``<style>`` blocks
that must be inline carry it (``{{ csp_nonce() }}`` in templates). No inline
event handlers, no ``style`` attributes, no ``'unsafe-inline'``. Participant
pages keep their own policy (no inline code at all), and files under
``/static`` (hosted prototypes, the site under test) get none.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, has_request_context, request

__all__ = ["csp_nonce", "init_app", "page_policy", "report_policy", "with_nonces"]


def csp_nonce() -> str:
    """This request's nonce (a fresh random one per request)."""
    if not has_request_context():
        return ""  # a document rendered for a file, served by no one
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = secrets.token_urlsafe(16)
        g.csp_nonce = nonce
    return str(nonce)


def page_policy(nonce: str) -> str:
    """The policy of researcher, login, results, report and audit pages."""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data: https: http:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-src 'self'; frame-ancestors 'self'; "
        "form-action 'self'"
    )


def report_policy(nonce: str) -> str:
    """A served audit report: its nonce'd styles and images, nothing else.

    Reports may be uploaded from CI, so they run no script at all and are
    sandboxed (no forms, no navigation of the page that frames them).
    """
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'; sandbox allow-same-origin allow-popups"
    )


_STYLE_TAG = re.compile(rb"<style(?=[\s>])", re.IGNORECASE)


def with_nonces(html: bytes, nonce: str) -> bytes:
    """``html`` with ``nonce`` on each ``<style>`` element (scripts get none)."""
    return _STYLE_TAG.sub(b'<style nonce="' + nonce.encode() + b'"', html)


def _add_policy(response: Response) -> Response:
    if request.endpoint == "static" or "Content-Security-Policy" in response.headers:
        return response
    response.headers["Content-Security-Policy"] = page_policy(csp_nonce())
    return response


def init_app(app: Flask) -> None:
    """Send the policy with every response and give templates ``csp_nonce()``."""
    app.add_template_global(csp_nonce, "csp_nonce")
    app.after_request(_add_policy)
