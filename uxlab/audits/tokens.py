"""Tokens for the audit JSON API: a researcher's personal ones, a project's upload one.

Only SHA-256 hashes are stored. A personal token acts with its researcher's
role in each workspace; a project's upload token can only upload runs to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from uxlab.db import begin_write
from uxlab.models import AuditProject, PersonalToken, Researcher, utcnow
from uxlab.tokens import hash_token, new_token

__all__ = ["Caller", "caller_for", "create_personal_token"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a token speaks for: a researcher, or one project's uploads."""

    researcher_id: int | None = None
    upload_project_id: int | None = None


def create_personal_token(db: Session, researcher: Researcher, name: str = "") -> str:
    """Make a personal API token for ``researcher``; returned this once."""
    assert researcher.id is not None
    token = new_token()
    db.add(
        PersonalToken(
            researcher_id=researcher.id, name=name[:200], token_hash=hash_token(token)
        )
    )
    db.commit()
    return token


def caller_for(db: Session, token: str) -> Caller | None:
    """The caller a token belongs to, or None for an unknown token."""
    digest = hash_token(token)
    begin_write(db)
    personal = db.exec(
        select(PersonalToken).where(PersonalToken.token_hash == digest)
    ).first()
    if personal is not None:
        personal.last_used_at = utcnow()
        db.add(personal)
        db.commit()
        return Caller(researcher_id=personal.researcher_id)
    project = db.exec(
        select(AuditProject).where(AuditProject.upload_token_hash == digest)
    ).first()
    if project is not None:
        return Caller(upload_project_id=project.id)
    return None
