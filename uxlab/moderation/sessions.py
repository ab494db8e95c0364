"""Scheduling moderated sessions, and their observer links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, StudyStateError, UxlabError
from uxlab.invites import invite_token, new_invites
from uxlab.live import CHANGES
from uxlab.models import (
    Invite,
    ModeratedSession,
    Participant,
    SessionNote,
    SessionObserver,
    Study,
    StudyMode,
    TaskAttempt,
    utcnow,
)
from uxlab.moderation.core import (
    session_participant,
)
from uxlab.tokens import hash_token

# -------------------------------------------------------------- scheduling


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session in the study's list."""

    session: ModeratedSession
    participant: Participant | None
    judged: int
    notes: int

    @property
    def state(self) -> str:
        if self.session.ended_at is not None:
            return "ended"
        if self.session.started_at is not None:
            return "running"
        return "scheduled"


def _require_moderated(study: Study) -> None:
    if study.mode != StudyMode.moderated:
        raise StudyStateError(
            f"study {study.slug!r} is {study.mode}: only moderated studies have "
            "sessions"
        )


def schedule_session(
    db: Session,
    study: Study,
    *,
    label: str,
    scheduled_at: datetime | None,
    secret: str,
) -> ModeratedSession:
    """Schedule a session: its single-use invite, the session, one observer link."""
    _require_moderated(study)
    label = label.strip()
    if not 1 <= len(label) <= 200:
        raise UxlabError("the participant label must be 1-200 characters")
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        raise ValueError("scheduled_at must be an aware datetime")
    begin_write(db)
    try:
        # The invite and the session are one unit: no invite without its session.
        invite = new_invites(study, 1, secret, label=f"Session: {label}"[:200])[0]
        db.add(invite)
        db.flush()
        assert invite.id is not None and study.id is not None
        ms = ModeratedSession(
            study_id=study.id,
            invite_id=invite.id,
            label=label,
            scheduled_at=scheduled_at,
        )
        db.add(ms)
        db.flush()
        assert ms.id is not None
        db.add(_new_observer(ms.id, "Observers", secret))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return ms


def list_sessions(db: Session, study: Study) -> list[SessionRow]:
    """The study's sessions, soonest scheduled first."""
    sessions = db.exec(
        select(ModeratedSession)
        .where(ModeratedSession.study_id == study.id)
        .order_by(col(ModeratedSession.scheduled_at), col(ModeratedSession.id))
    ).all()
    rows = []
    for ms in sessions:
        participant = session_participant(db, ms)
        judged = 0
        if participant is not None:
            judged = len(
                db.exec(
                    select(TaskAttempt.id).where(
                        TaskAttempt.participant_id == participant.id,
                        col(TaskAttempt.outcome).is_not(None),
                    )
                ).all()
            )
        notes = len(
            db.exec(
                select(SessionNote.id).where(
                    SessionNote.session_id == ms.id,
                    col(SessionNote.deleted_at).is_(None),
                )
            ).all()
        )
        rows.append(SessionRow(ms, participant, judged, notes))
    return rows


def owned_session(db: Session, study: Study, session_id: int) -> ModeratedSession:
    """One of this study's sessions; any other study's is not found."""
    ms = db.get(ModeratedSession, session_id)
    if ms is None or ms.study_id != study.id:
        raise NotFoundError(f"no session {session_id} in study {study.slug!r}")
    return ms


def participant_link_token(db: Session, ms: ModeratedSession, secret: str) -> str:
    """The token of the session's participant link (``/s/<token>``)."""
    invite = db.get(Invite, ms.invite_id)
    if invite is None:
        raise NotFoundError(f"no invite for session {ms.id}")
    return invite_token(invite, secret)


# --------------------------------------------------------------- observers


def observer_token(link: SessionObserver, secret: str) -> str:
    """The token in an observer link, derived again from the server's secret."""
    message = f"observer:{link.session_id}:{link.nonce}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_observer(session_id: int, name: str, secret: str) -> SessionObserver:
    link = SessionObserver(
        session_id=session_id,
        name=name,
        nonce=secrets.token_hex(16),
        token_hash="",
    )
    link.token_hash = hash_token(observer_token(link, secret))
    return link


def add_observer(
    db: Session, ms: ModeratedSession, *, name: str, secret: str
) -> SessionObserver:
    """Another read-only link for the session, for one named observer."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise UxlabError("the observer's name must be 1-200 characters")
    assert ms.id is not None
    begin_write(db)
    link = _new_observer(ms.id, name, secret)
    db.add(link)
    db.commit()
    return link


def revoke_observer(db: Session, ms: ModeratedSession, observer_id: int) -> None:
    """Stop an observer link from working; its notes stay. Unknown is 404."""
    begin_write(db)
    try:
        db.expire_all()  # objects read before the lock may be stale
        link = db.get(SessionObserver, observer_id)
        current = db.get(ModeratedSession, ms.id)
        if link is None or current is None or link.session_id != current.id:
            raise NotFoundError(f"no observer link {observer_id} in this session")
        if link.revoked_at is None:
            link.revoked_at = utcnow()
            current.version += 1  # open observer streams, in any process, end
            db.add_all([link, current])
        db.commit()
    except BaseException:
        db.rollback()
        raise
    CHANGES.notify()


def observers(db: Session, ms: ModeratedSession) -> list[SessionObserver]:
    """The session's observer links, oldest first."""
    return list(
        db.exec(
            select(SessionObserver)
            .where(
                SessionObserver.session_id == ms.id,
                col(SessionObserver.revoked_at).is_(None),
            )
            .order_by(col(SessionObserver.id))
        ).all()
    )


def observer_by_token(
    db: Session, token: str
) -> tuple[ModeratedSession, SessionObserver]:
    """The session an observer link opens; an unknown or revoked link is 404."""
    link = db.exec(
        select(SessionObserver).where(SessionObserver.token_hash == hash_token(token))
    ).first()
    ms = db.get(ModeratedSession, link.session_id) if link is not None else None
    if link is None or link.revoked_at is not None or ms is None:
        raise NotFoundError("This observer link does not work.")
    return ms, link
