"""Arriving at a study: an invite link, a preview, a resume link."""

from __future__ import annotations

import random
from collections.abc import Mapping

from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab.errors import (
    AlreadyFinishedError,
    LinkExpiredError,
    SessionLinkRequiredError,
    TokenError,
)
from uxlab.invites import find_invite
from uxlab.models import (
    Invite,
    InviteKind,
    ModeratedSession,
    Participant,
    Study,
    StudyMode,
    utcnow,
)
from uxlab.participation.base import (
    Entry,
    _begin,
    _by_token,
    _commit_change,
    _derive,
    _study_for_participants,
    _tasks,
)
from uxlab.studies import balanced_latin_square
from uxlab.tokens import hash_token, new_code, new_token


def _new_participant(
    session: Session,
    study: Study,
    token: str,
    *,
    invite: Invite | None,
    user_agent: str,
) -> Participant:
    assert study.id is not None
    tasks = list(_tasks(session, study).values())
    count = session.exec(
        select(func.count(col(Participant.id))).where(Participant.study_id == study.id)
    ).one()
    if study.settings.get("task_order") == "counterbalanced" and tasks:
        rows = balanced_latin_square(len(tasks))
        order = [tasks[j].id for j in rows[count % len(rows)]]
    else:
        order = [t.id for t in tasks]
    participant = Participant(
        study_id=study.id,
        invite_id=invite.id
        if invite is not None and invite.kind == InviteKind.single
        else None,
        token_hash=hash_token(token),
        code=new_code(),
        task_order=[t for t in order if t is not None],
        variant=_pick_variant(session, study),
        user_agent=user_agent[:400],
    )
    session.add(participant)
    return participant


def _pick_variant(session: Session, study: Study) -> str | None:
    """The variant with the fewest participants so far; ties broken at random."""
    keys = [str(v["key"]) for v in study.settings.get("variants") or []]
    if not keys:
        return None
    counts = dict.fromkeys(keys, 0)
    rows = session.exec(
        select(Participant.variant, func.count(col(Participant.id)))
        .where(Participant.study_id == study.id)
        .group_by(col(Participant.variant))
    ).all()
    for key, n in rows:
        if key in counts:
            counts[key] = n
    fewest = min(counts.values())
    return random.choice([k for k, n in counts.items() if n == fewest])


def enter_with_invite(
    session: Session,
    invite_token: str,
    *,
    secret: str,
    known_tokens: Mapping[str, str] | None = None,
    user_agent: str = "",
) -> Entry:
    """Exchange an invite link's token for the participant's own token.

    An open link resumes the participant this browser already has
    (``known_tokens``: the cookie's study slug -> token) or starts a new one. A
    single-use invite starts its participant on first use and resumes that same
    participant afterwards, from any browser, until they finish. Nothing is
    stored for a closed or draft study or a bad link.
    """
    _begin(session)
    invite = find_invite(session, invite_token)
    if invite is None or invite.revoked_at is not None:
        raise TokenError("This link does not work. Check that you copied all of it.")
    study = _study_for_participants(session.get(Study, invite.study_id))
    if study.mode == StudyMode.moderated and (
        invite.kind != InviteKind.single
        or session.exec(
            select(ModeratedSession.id).where(ModeratedSession.invite_id == invite.id)
        ).first()
        is None
    ):
        session.rollback()
        raise SessionLinkRequiredError(
            "This study runs in sessions with a moderator: use the link your "
            "moderator sent you for your session."
        )
    arrived: int | None = None
    confirm_code: str | None = None
    if invite.kind == InviteKind.single:
        token = _derive(secret, f"participant:{invite.id}:{invite.nonce}")
        participant = _by_token(session, token)
        if (
            participant is not None
            and study.mode != StudyMode.moderated  # a session link, for its session
            and (known_tokens or {}).get(study.slug) != token
        ):
            confirm_code = participant.code  # another browser: forwarded?
        if participant is None:
            if invite.expires_at is not None and invite.expires_at < utcnow():
                raise LinkExpiredError("This invitation has expired.")
            _new_participant(
                session, study, token, invite=invite, user_agent=user_agent
            )
            invite.used_at = invite.used_at or utcnow()
            session.add(invite)
            arrived = invite.id
    else:
        known_token = (known_tokens or {}).get(study.slug)
        participant = _by_token(session, known_token) if known_token else None
        if participant is None or participant.study_id != study.id:
            token = new_token()
            participant = None
            _new_participant(
                session, study, token, invite=invite, user_agent=user_agent
            )
        else:
            assert known_token is not None
            token = known_token
    if participant is not None and participant.finished_at is not None:
        session.rollback()
        raise AlreadyFinishedError(
            "You have already taken part in this study. Thank you!",
            study_title=study.title,
        )
    _commit_change(session, study, arrived)
    return Entry(study.slug, token, confirm_code)


def enter_preview(session: Session, study: Study) -> Entry:
    """A new preview participant of ``study``, for a researcher to try it.

    Previews work in drafts too; they are marked and never counted in results,
    exports or progress.
    """
    _begin(session)
    token = new_token()
    participant = _new_participant(
        session, study, token, invite=None, user_agent="preview"
    )
    participant.preview = True
    session.commit()
    return Entry(study.slug, token)


def enter_with_resume_token(session: Session, token: str) -> Entry:
    """Resume from a personal link (``/r/<token>``)."""
    participant = _by_token(session, token)
    if participant is None:
        raise TokenError("This link does not work. Check that you copied all of it.")
    study = _study_for_participants(session.get(Study, participant.study_id))
    if participant.finished_at is not None:
        raise AlreadyFinishedError(
            "You have already taken part in this study. Thank you!",
            study_title=study.title,
        )
    return Entry(study.slug, token)
