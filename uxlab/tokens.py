"""Secret tokens for links and cookies; only their SHA-256 hashes are stored."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["hash_token", "new_code", "new_token"]


def new_token() -> str:
    """A fresh URL-safe secret with 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token, as stored in the database."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_code() -> str:
    """A short public reference for a participant (P-7K3QX2): not a secret."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "P-" + "".join(secrets.choice(alphabet) for _ in range(8))
