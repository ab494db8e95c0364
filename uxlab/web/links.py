"""Absolute links to uxlab, never built from a Host header nobody vouched for.

A link in a page, an export or an invitation starts with ``PUBLIC_URL`` when
it is set. Otherwise the request's own address is used only when its host is
in ``TRUSTED_HOSTS`` (``UXLAB_TRUSTED_HOSTS``; Flask then refuses requests for
any other host) or is a loopback name; any other host header could be an
attacker's, sent so that a participant's or colleague's link points to their
site, and ``127.0.0.1`` is used instead.
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.sansio.utils import host_is_trusted

__all__ = ["LOOPBACK_HOSTS", "public_base", "public_url"]

#: Host names that can only mean this machine.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


def _split_host(host: str) -> tuple[str, str]:
    """``host``'s name and port (``""`` when none).

    >>> _split_host("[::1]:5000"), _split_host("example.org")
    (('[::1]', '5000'), ('example.org', ''))
    """
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def public_base() -> str:
    """uxlab's address for links, without a trailing slash."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return str(public).rstrip("/")
    trusted = current_app.config.get("TRUSTED_HOSTS")
    name, port = _split_host(request.host)
    if name.lower() in LOOPBACK_HOSTS or (
        trusted and host_is_trusted(request.host, trusted)
    ):
        return request.host_url.rstrip("/")
    return f"{request.scheme}://127.0.0.1" + (f":{port}" if port.isdigit() else "")


def public_url(path: str) -> str:
    """``path`` (starting with ``/``) on uxlab's address for links."""
    return public_base() + path
