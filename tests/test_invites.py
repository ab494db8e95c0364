from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from uxlab.accounts import create_researcher
from uxlab.invites import (
    create_invites,
    find_invite,
    invite_token,
    open_invite,
    regenerate_open_invite,
    revoke_invite,
)
from uxlab.models import Invite, InviteKind
from uxlab.studies import import_study, load_study_file
from uxlab.tokens import hash_token

DATA = Path(__file__).parent / "data"
SECRET = "test-secret"


@pytest.fixture(name="study")
def study_fixture(session):
    owner = create_researcher(session, email="r@example.org", password="long-enough")
    return import_study(
        session, load_study_file(DATA / "valid_study.yaml"), owner=owner, source_text=""
    )


def test_open_link_is_stable_and_stored_only_as_a_hash(session, study) -> None:
    invite = open_invite(session, study, SECRET)
    token = invite_token(invite, SECRET)
    assert open_invite(session, study, SECRET).id == invite.id
    assert invite.token_hash == hash_token(token)
    stored = [i.token_hash for i in session.exec(select(Invite)).all()]
    assert token not in stored
    assert find_invite(session, token).id == invite.id
    # Another secret gives another token: the database alone opens nothing.
    assert invite_token(invite, "other-secret") != token


def test_regenerating_the_open_link_revokes_the_old_one(session, study) -> None:
    old = open_invite(session, study, SECRET)
    new = regenerate_open_invite(session, study, SECRET)
    assert new.id != old.id
    assert find_invite(session, invite_token(old, SECRET)).revoked_at is not None
    assert find_invite(session, invite_token(new, SECRET)).revoked_at is None


def test_single_invites(session, study) -> None:
    invites = create_invites(session, study, 3, SECRET, label="panel A", ttl_days=7)
    assert [i.kind for i in invites] == [InviteKind.single] * 3
    assert len({invite_token(i, SECRET) for i in invites}) == 3
    assert all(i.expires_at is not None for i in invites)
    revoke_invite(session, invites[0])
    assert find_invite(session, invite_token(invites[0], SECRET)).revoked_at is not None
    assert find_invite(session, "not-a-token") is None
    with pytest.raises(ValueError, match="between 1 and 1000"):
        create_invites(session, study, 0, SECRET)
