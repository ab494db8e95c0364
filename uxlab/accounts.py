"""Researcher accounts: creation and password checks (Werkzeug's scrypt hashing)."""

from __future__ import annotations

import re

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from uxlab.errors import UxlabError
from uxlab.models import Researcher
from uxlab.workspaces import add_personal_workspace

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "authenticate",
    "check_email",
    "check_password",
    "create_researcher",
    "end_sessions",
    "set_password",
]

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Checked against when the email is unknown, so both paths take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def check_email(email: str) -> str:
    """The email, trimmed and lower-cased; a UxlabError when it is not one.

    >>> check_email(" Ana@Example.org ")
    'ana@example.org'
    """
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UxlabError(f"email ({email!r}) is not an email address")
    return email


def check_password(password: str) -> str:
    """The password, when it follows the rules; a UxlabError naming them if not."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UxlabError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def create_researcher(
    session: Session, *, email: str, password: str, name: str = ""
) -> Researcher:
    """Create a researcher, with a personal workspace they own.

    The email must be new and the password long enough.
    """
    email = check_email(email)
    check_password(password)
    if session.exec(select(Researcher).where(Researcher.email == email)).first():
        raise UxlabError(f"a researcher with email {email!r} already exists")
    researcher = Researcher(
        email=email, name=name.strip(), password_hash=generate_password_hash(password)
    )
    session.add(researcher)
    session.flush()
    add_personal_workspace(session, researcher)
    session.commit()
    session.refresh(researcher)
    return researcher


def set_password(session: Session, researcher: Researcher, password: str) -> None:
    """Give ``researcher`` a new password and end every session they have."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UxlabError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    researcher.password_hash = generate_password_hash(password)
    end_sessions(session, researcher)


def end_sessions(session: Session, researcher: Researcher) -> None:
    """Log ``researcher`` out everywhere: every login cookie so far stops working."""
    researcher.session_version = (researcher.session_version or 0) + 1
    session.add(researcher)
    session.commit()


def authenticate(session: Session, email: str, password: str) -> Researcher | None:
    """The researcher with this email and password, or None."""
    researcher = session.exec(
        select(Researcher).where(Researcher.email == email.strip().lower())
    ).first()
    if researcher is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(researcher.password_hash, password):
        return None
    return researcher
