"""Participant links: one open link per study and single-use personal invites.

A link's token is derived as HMAC-SHA256(SECRET_KEY, study id and a random
nonce), so the database holds only the nonce and the token's hash: a copy of the
database alone opens no study, while the server can still show a researcher
their links again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from uxlab.models import Invite, InviteKind, Study, utcnow
from uxlab.tokens import hash_token

__all__ = [
    "create_invites",
    "find_invite",
    "invite_token",
    "new_invites",
    "open_invite",
    "regenerate_open_invite",
    "revoke_invite",
    "single_invites",
]


def invite_token(invite: Invite, secret: str) -> str:
    """The token in the invite's link."""
    message = f"{invite.study_id}:{invite.nonce}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_invite(
    study: Study, kind: InviteKind, secret: str, **fields: object
) -> Invite:
    if study.id is None:
        raise ValueError("the study must be saved first")
    invite = Invite(
        study_id=study.id, kind=kind, nonce=secrets.token_hex(16), token_hash=""
    )
    for name, value in fields.items():
        setattr(invite, name, value)
    invite.token_hash = hash_token(invite_token(invite, secret))
    return invite


def _open_links(study: Study) -> SelectOfScalar[Invite]:
    """The study's open links that have not been revoked."""
    return select(Invite).where(
        Invite.study_id == study.id,
        Invite.kind == InviteKind.open,
        col(Invite.revoked_at).is_(None),
    )


def open_invite(session: Session, study: Study, secret: str) -> Invite:
    """The study's open link, created on first use."""
    invite = session.exec(_open_links(study)).first()
    if invite is None:
        invite = _new_invite(study, InviteKind.open, secret)
        session.add(invite)
        session.commit()
        session.refresh(invite)
    return invite


def regenerate_open_invite(session: Session, study: Study, secret: str) -> Invite:
    """Revoke the open link and make a new one (participants already in keep going).

    Both happen in the caller's transaction and one commit, so a caller that
    holds the write lock keeps it throughout: two researchers asking for a new
    link at once leave exactly one open link working.
    """
    now = utcnow()
    current = session.exec(_open_links(study)).all()
    for invite in current:
        invite.revoked_at = now
        session.add(invite)
    fresh = _new_invite(study, InviteKind.open, secret)
    session.add(fresh)
    session.commit()
    session.refresh(fresh)
    return fresh


def new_invites(
    study: Study,
    count: int,
    secret: str,
    *,
    label: str = "",
    ttl_days: int | None = 60,
) -> list[Invite]:
    """``count`` single-use invites (1-1000), not yet added to any session."""
    if not 1 <= count <= 1000:
        raise ValueError(f"count ({count}) must be between 1 and 1000")
    expires = utcnow() + timedelta(days=ttl_days) if ttl_days else None
    return [
        _new_invite(study, InviteKind.single, secret, label=label, expires_at=expires)
        for _ in range(count)
    ]


def create_invites(
    session: Session,
    study: Study,
    count: int,
    secret: str,
    *,
    label: str = "",
    ttl_days: int | None = 60,
) -> list[Invite]:
    """Make ``count`` single-use invites (1-1000)."""
    invites = new_invites(study, count, secret, label=label, ttl_days=ttl_days)
    session.add_all(invites)
    session.commit()
    for invite in invites:
        session.refresh(invite)
    return invites


def single_invites(session: Session, study: Study) -> list[Invite]:
    """The study's single-use invites, oldest first."""
    return list(
        session.exec(
            select(Invite)
            .where(Invite.study_id == study.id, Invite.kind == InviteKind.single)
            .order_by(col(Invite.id))
        ).all()
    )


def find_invite(session: Session, token: str) -> Invite | None:
    """The invite whose link carries this token, whatever its state."""
    return session.exec(
        select(Invite).where(Invite.token_hash == hash_token(token))
    ).first()


def revoke_invite(session: Session, invite: Invite) -> None:
    """Make an invite's link stop working."""
    invite.revoked_at = utcnow()
    session.add(invite)
    session.commit()
