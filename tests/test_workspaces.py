"""Workspaces: members, invitations by link and mail, the CLI, the activity log."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from uxlab.accounts import create_researcher
from uxlab.models import ActivityEntry, Membership, WorkspaceInvite, WorkspaceRole
from uxlab.workspaces import (
    MembershipError,
    add_member,
    create_workspace,
    get_workspace,
    invite_member,
)

DATA = Path(__file__).parent / "data"


def login(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password})
    return client


def rows(session: Session) -> list[Any]:
    session.rollback()
    found: list[Any] = []
    for model in (Membership, WorkspaceInvite, ActivityEntry):
        found += [r.model_dump() for r in session.exec(select(model)).all()]
    return found


@pytest.fixture(name="team")
def team_fixture(app: Flask, session: Session) -> Any:
    create_researcher(session, email="o@example.com", password="password-o")
    create_researcher(session, email="v@example.com", password="password-v")
    team = create_workspace(session, "Team", owner_email="o@example.com")
    add_member(session, team, "v@example.com", WorkspaceRole.viewer)
    return team


def test_invite_link_is_shown_once_and_accepting_it_joins(
    app: Flask, session: Session, team: Any
) -> None:
    owner = login(app, "o@example.com", "password-o")
    page = owner.post(
        f"/workspaces/{team.slug}/invites",
        data={"email": "New@Example.com", "role": "editor"},
    )
    assert page.status_code == 200
    assert "Invited new@example.com as editor" in page.text
    link = page.text.split('id="invite-link">')[1].split("<")[0]
    token = link.rsplit("/", 1)[1]
    stored = session.exec(select(WorkspaceInvite)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    # No account yet: the page offers to create one for that address.
    guest = app.test_client()
    form = guest.get(f"/join/{token}").text
    assert "Create account and join" in form and "new@example.com" in form
    joined = guest.post(
        f"/join/{token}",
        data={"name": "Nia", "password": "long-enough", "confirm": "long-enough"},
        follow_redirects=True,
    )
    assert "You joined workspace “Team” as editor" in joined.text
    assert "Studies in Team" in joined.text
    # The link worked once.
    again = app.test_client().get(f"/join/{token}")
    assert again.status_code == 410
    assert "has been used already" in again.text
    activity = owner.get(f"/workspaces/{team.slug}/activity").text
    assert "invited" in activity and "joined" in activity


def test_bad_invites_are_clear_and_change_nothing(
    app: Flask, session: Session, team: Any
) -> None:
    owner = login(app, "o@example.com", "password-o")
    before = rows(session)
    taken = owner.post(
        f"/workspaces/{team.slug}/invites",
        data={"email": "v@example.com", "role": "editor"},
    )
    assert taken.status_code == 409
    assert "v@example.com is already a viewer of workspace “Team”" in taken.text
    assert rows(session) == before

    _, token = invite_member(
        session, team, "z@example.com", WorkspaceRole.viewer, by=None
    )
    before = rows(session)
    # Logged in as someone else: told whose invite it is, nothing joined.
    viewer = login(app, "v@example.com", "password-v")
    wrong = viewer.post(f"/join/{token}")
    assert wrong.status_code == 403
    assert "this invite is for z@example.com" in wrong.text
    assert rows(session) == before

    invite = session.exec(
        select(WorkspaceInvite).where(WorkspaceInvite.email == "z@example.com")
    ).one()
    invite.expires_at = invite.expires_at - timedelta(days=8)
    session.add(invite)
    session.commit()
    before = rows(session)
    expired = app.test_client().get(f"/join/{token}")
    assert expired.status_code == 410 and "expired on" in expired.text
    assert app.test_client().get("/join/not-a-token").status_code == 410
    assert rows(session) == before


def test_the_last_owner_can_neither_leave_nor_be_demoted(
    app: Flask, session: Session, team: Any
) -> None:
    owner = login(app, "o@example.com", "password-o")
    before = rows(session)
    me = session.exec(
        select(Membership.researcher_id).where(
            Membership.workspace_id == team.id, Membership.role == WorkspaceRole.owner
        )
    ).one()
    demoted = owner.post(
        f"/workspaces/{team.slug}/members/{me}/role", data={"role": "viewer"}
    )
    assert demoted.status_code == 409
    assert "is the last owner of workspace “Team”" in demoted.text
    left = owner.post(f"/workspaces/{team.slug}/leave")
    assert left.status_code == 409
    assert rows(session) == before
    with pytest.raises(MembershipError):
        add_member(session, team, "o@example.com", WorkspaceRole.viewer)


def test_the_last_owner_is_told_why_there_is_no_leave_button(
    app: Flask, team: Any
) -> None:
    page = login(app, "o@example.com", "password-o").get(
        f"/workspaces/{team.slug}/members"
    )
    assert "Leave this workspace" not in page.text
    assert "You are the only owner" in page.text
    viewer = login(app, "v@example.com", "password-v").get(
        f"/workspaces/{team.slug}/members"
    )
    assert "Leave this workspace" in viewer.text
    assert "only owner" not in viewer.text


def test_activity_page_says_what_happened_in_words(
    app: Flask, session: Session, team: Any
) -> None:
    owner = login(app, "o@example.com", "password-o")
    fresh = create_workspace(session, "Fresh", owner_email="o@example.com")
    empty = owner.get(f"/workspaces/{fresh.slug}/activity").text
    assert "Nothing has happened here yet" in empty
    owner.post(
        f"/workspaces/{team.slug}/invites",
        data={"email": "new@example.com", "role": "editor"},
    )
    viewer = session.exec(
        select(Membership).where(Membership.role == WorkspaceRole.viewer)
    ).one()
    owner.post(
        f"/workspaces/{team.slug}/members/{viewer.researcher_id}/role",
        data={"role": "editor"},
    )
    page = owner.get(f"/workspaces/{team.slug}/activity").text
    cells = [c.split("</td>")[0].strip() for c in page.split("<td")[1:]]
    cells = [c.split(">", 1)[1] for c in cells]
    assert ["Changed role", "v@example.com", "viewer → editor"] == cells[2:5]
    assert ["Invited", "new@example.com", "as editor"] == cells[7:10]


def test_join_page_says_what_the_role_may_do(
    app: Flask, session: Session, team: Any
) -> None:
    _, token = invite_member(
        session, team, "new@example.com", WorkspaceRole.viewer, by=None
    )
    page = app.test_client().get(f"/join/{token}").text
    assert "As a viewer you can read results" in page


def _smtp_server() -> tuple[int, list[bytes], threading.Thread]:
    """A one-message SMTP server on 127.0.0.1 (enough of RFC 5321 for smtplib)."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            stream = conn.makefile("rb")
            conn.sendall(b"220 test ready\r\n")
            while line := stream.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250 test\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    body = b""
                    while (part := stream.readline()) != b".\r\n":
                        body += part
                    received.append(body)
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], received, thread


def test_invite_is_mailed_when_smtp_url_is_set(
    app: Flask, session: Session, team: Any
) -> None:
    port, received, thread = _smtp_server()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}?from=lab@example.com"
    owner = login(app, "o@example.com", "password-o")
    page = owner.post(
        f"/workspaces/{team.slug}/invites",
        data={"email": "m@example.com", "role": "viewer"},
    )
    thread.join(timeout=10)
    assert "it was also mailed to m@example.com" in page.text
    link = page.text.split('id="invite-link">')[1].split("<")[0]
    (message,) = received
    assert b"To: m@example.com" in message and b"From: lab@example.com" in message
    assert link.encode() in message


def test_cli_workspaces_and_import(app: Flask, session: Session, team: Any) -> None:
    runner = app.test_cli_runner()
    create_researcher(session, email="e@example.com", password="password-e")
    made = runner.invoke(
        args=["workspace", "create", "Research ops", "--owner", "e@example.com"]
    )
    assert made.exit_code == 0, made.output
    assert "Created workspace research-ops" in made.output
    added = runner.invoke(
        args=[
            "workspace",
            "add-member",
            "research-ops",
            "v@example.com",
            "--role",
            "viewer",
        ]
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(
        args=["workspace", "add-member", "research-ops", "v@example.com"]
    )
    assert again.exit_code == 1
    assert "v@example.com is already a viewer" in again.output
    # A viewer cannot create studies there, from the CLI either.
    refused = runner.invoke(
        args=[
            "study",
            "import",
            str(DATA / "valid_study.yaml"),
            "--workspace",
            "research-ops",
            "--owner",
            "v@example.com",
        ]
    )
    assert refused.exit_code == 1 and "needs the editor or owner role" in refused.output
    imported = runner.invoke(
        args=[
            "study",
            "import",
            str(DATA / "valid_study.yaml"),
            "--workspace",
            "research-ops",
        ]
    )
    assert imported.exit_code == 0, imported.output
    listing = runner.invoke(args=["workspace", "list"])
    assert "research-ops  Research ops  1 study\n" in listing.output
    assert "viewer  v@example.com" in listing.output
    last = runner.invoke(
        args=["workspace", "remove-member", "research-ops", "e@example.com"]
    )
    assert last.exit_code == 1 and "last owner" in last.output
    gone = runner.invoke(
        args=["workspace", "remove-member", "research-ops", "v@example.com"]
    )
    assert gone.exit_code == 0, gone.output
    session.rollback()
    members = session.exec(
        select(Membership).where(
            Membership.workspace_id == get_workspace(session, "research-ops").id
        )
    ).all()
    assert [m.role for m in members] == [WorkspaceRole.owner]


def test_demo_leaves_a_team_with_a_viewer(app: Flask, session: Session) -> None:
    from uxlab.demo import DEMO_VIEWER_EMAIL, DEMO_VIEWER_PASSWORD

    result = app.test_cli_runner().invoke(args=["demo", "--participants", "4"])
    assert result.exit_code == 0, result.output
    assert f"or as {DEMO_VIEWER_EMAIL} with password {DEMO_VIEWER_PASSWORD}" in (
        result.output
    )
    viewer = login(app, DEMO_VIEWER_EMAIL, DEMO_VIEWER_PASSWORD)
    team = get_workspace(session, "demo-team")
    viewer.post("/workspaces/switch", data={"workspace": team.slug})
    listing = viewer.get("/").text
    assert "Studies in Demo team" in listing and "New study" not in listing
    slug = listing.split('href="/studies/')[1].split('"')[0]
    assert viewer.get(f"/studies/{slug}/results").status_code == 200
    refused = viewer.get(f"/studies/{slug}/export.zip")
    assert refused.status_code == 403
    assert "needs the editor role" in refused.text


def test_package_exports_each_modules_public_names() -> None:
    import importlib
    import pkgutil

    import uxlab.workspaces as package

    modules = [
        importlib.import_module(f"uxlab.workspaces.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
    ]
    public = {name for module in modules for name in module.__all__}
    assert set(package.__all__) == public
    for module in modules:
        for name in module.__all__:
            assert getattr(package, name) is getattr(module, name), name
