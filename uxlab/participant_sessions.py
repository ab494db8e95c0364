"""A participant's browser is known by a random session id, never their token.

The session cookie is signed but not encrypted, so whatever it holds can be
read by anyone who sees it. It holds only an opaque id; the database keeps the
id's hash, the study and the participant. The participant's own token, which
their pages show as a personal resume link, is stored encrypted (AES-GCM, from
the ``cryptography`` library) under a key derived from the id: the database
alone cannot reveal it, and a guessed or altered id finds no row.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from uxlab.db import begin_write
from uxlab.models import Participant, ParticipantSession, Study, utcnow
from uxlab.tokens import hash_token

__all__ = [
    "forget",
    "known_tokens",
    "new_session_id",
    "prune_expired",
    "remember",
    "token_for",
]


def new_session_id() -> str:
    """A fresh random id for a browser's cookie (256 bits)."""
    return secrets.token_urlsafe(32)


def _cipher(session_id: str, study_id: int) -> AESGCM:
    """AES-GCM under a key derived (HKDF-SHA256) from this browser's id and study."""
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"uxlab participant token:{study_id}".encode(),
    ).derive(session_id.encode())
    return AESGCM(key)


def _seal(token: str, session_id: str, study_id: int) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _cipher(session_id, study_id).encrypt(nonce, token.encode(), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _unseal(sealed: str, session_id: str, study_id: int) -> str:
    data = base64.urlsafe_b64decode(sealed.encode())
    return _cipher(session_id, study_id).decrypt(data[:12], data[12:], None).decode()


def remember(db: Session, session_id: str, token: str) -> None:
    """Let the browser holding ``session_id`` continue as ``token``'s participant.

    One row per browser and study: entering the study again with another
    participant (a new open link, a resume link) replaces it.
    """
    begin_write(db)
    participant = db.exec(
        select(Participant).where(Participant.token_hash == hash_token(token))
    ).first()
    if participant is None or participant.id is None:
        db.rollback()
        return
    key = hash_token(session_id)
    row = db.exec(
        select(ParticipantSession).where(
            ParticipantSession.session_hash == key,
            ParticipantSession.study_id == participant.study_id,
        )
    ).first()
    if row is None:
        row = ParticipantSession(
            session_hash=key,
            study_id=participant.study_id,
            participant_id=participant.id,
            sealed_token="",
        )
    row.participant_id = participant.id
    row.sealed_token = _seal(token, session_id, participant.study_id)
    db.add(row)
    db.commit()


def _rows(
    db: Session, session_id: str, slug: str | None = None
) -> list[tuple[ParticipantSession, Participant, Study]]:
    query = (
        select(ParticipantSession, Participant, Study)
        .join(Participant, col(Participant.id) == ParticipantSession.participant_id)
        .join(Study, col(Study.id) == ParticipantSession.study_id)
        .where(ParticipantSession.session_hash == hash_token(session_id))
    )
    if slug is not None:
        query = query.where(Study.slug == slug)
    return [(row, person, study) for row, person, study in db.exec(query).all()]


def _open(row: ParticipantSession, person: Participant, session_id: str) -> str | None:
    try:
        token = _unseal(row.sealed_token, session_id, row.study_id)
    except (ValueError, binascii.Error, InvalidTag, UnicodeDecodeError):
        return None
    return token if hash_token(token) == person.token_hash else None


def token_for(db: Session, session_id: str | None, slug: str) -> str | None:
    """The token of the participant this browser is in study ``slug``, if any."""
    if not session_id:
        return None
    for row, person, _ in _rows(db, session_id, slug):
        return _open(row, person, session_id)
    return None


def known_tokens(db: Session, session_id: str | None) -> dict[str, str]:
    """Every study this browser takes part in: slug -> participant token."""
    if not session_id:
        return {}
    found: dict[str, str] = {}
    for row, person, study in _rows(db, session_id):
        token = _open(row, person, session_id)
        if token is not None:
            found[study.slug] = token
    return found


def forget(db: Session, session_id: str | None, slug: str) -> None:
    """This browser no longer takes part in study ``slug``."""
    if not session_id:
        return
    study = db.exec(select(Study).where(Study.slug == slug)).first()
    if study is None:
        return
    begin_write(db)
    db.exec(
        delete(ParticipantSession).where(
            col(ParticipantSession.session_hash) == hash_token(session_id),
            col(ParticipantSession.study_id) == study.id,
        )
    )
    db.commit()


def prune_expired(db: Session, lifetime: timedelta, now: datetime | None = None) -> int:
    """Delete the rows no browser can still present; return how many went.

    A browser's cookie lasts ``lifetime`` (``PERMANENT_SESSION_LIFETIME``)
    after its last visit. A row goes once both it and its participant's last
    recorded step (finishing, starting, consenting or joining) are older than
    that; the participant and their answers stay, and their resume link still
    works.
    """
    cutoff = (now or utcnow()) - lifetime
    last_step = func.coalesce(
        Participant.finished_at,
        Participant.started_at,
        Participant.consented_at,
        Participant.created_at,
    )
    stale = (
        select(ParticipantSession.id)
        .join(Participant, col(Participant.id) == ParticipantSession.participant_id)
        .where(col(ParticipantSession.created_at) < cutoff, last_step < cutoff)
    )
    begin_write(db)
    try:
        ids = list(db.exec(stale).all())
        if ids:
            db.exec(
                delete(ParticipantSession).where(col(ParticipantSession.id).in_(ids))
            )
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return len(ids)
