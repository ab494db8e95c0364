"""Coding moderated sessions' notes with the study's codebook of notes: the
same coding forms as five-second answers and customers' answers."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.test_moderation import moderated_study
from tests.web.test_moderation_web import PASSWORD, base, login, post, schedule
from uxlab.accounts import create_researcher
from uxlab.coding import Code, SessionNoteCode
from uxlab.models import SessionNote, Study, Workspace, WorkspaceRole
from uxlab.workspaces import add_member


def _notes(mod: FlaskClient, study: Study, session: Session) -> list[int]:
    session_id = schedule(mod, study, "P1")
    for i, (tag, text) in enumerate(
        [("q", "Where is the size chart?"), ("c", "Scrolled past sizes"), ("i", "ok")]
    ):
        post(
            mod,
            base(study, session_id) + "/notes",
            {"note_id": f"note-00000{i}", "tag": tag, "text": text},
        )
    session.rollback()
    return [
        n.id or 0 for n in session.exec(select(SessionNote).order_by(SessionNote.id))
    ]


def _counts(page: str) -> dict[str, str]:
    table = re.search(r'<table class="note-code-counts">(.*?)</table>', page, re.S)
    assert table is not None
    return dict(
        re.findall(
            r'<th scope="row">(.*?)</th><td class="num">(\d+)</td>', table[1], re.S
        )
    )


def test_notes_are_coded_across_tags_renamed_and_deleted(
    app: Flask, session: Session
) -> None:
    study = moderated_study(session)
    mod = login(app, "mod@example.com")
    ids = _notes(mod, study, session)
    board = f"/studies/{study.slug}/notes"
    # Two notes under different tags share one code, made on the first.
    first = mod.post(f"{board}/{ids[0]}/codes", data={"new": "Size chart"})
    assert first.status_code == 303
    assert first.headers["Location"].endswith(f"{board}#note-{ids[0]}")
    session.rollback()
    code = session.exec(select(Code)).one()
    assert (code.label, code.codebook, code.study_id) == (
        "Size chart",
        f"notes:{study.id}",
        study.id,
    )
    mod.post(f"{board}/{ids[1]}/codes", data={"code": [str(code.id)]})
    page = mod.get(board).text
    assert _counts(page) == {"Size chart": "2"}
    rows = list(csv.DictReader(io.StringIO(mod.get(f"{board}.csv").text)))
    assert [r["codes"] for r in rows] == ["Size chart", "Size chart", ""]

    renamed = mod.post(
        f"{board}/codes/{code.id}",
        data={"action": "rename", "label": "Can't find sizes"},
        follow_redirects=True,
    )
    assert _counts(renamed.text) == {"Can&#39;t find sizes": "2"}
    deleted = mod.post(
        f"{board}/codes/{code.id}", data={"action": "delete"}, follow_redirects=True
    )
    assert "taken off everything it was given to" in deleted.text
    assert "note-code-counts" not in deleted.text
    session.rollback()
    assert session.exec(select(SessionNoteCode)).all() == []


def test_coding_notes_takes_an_editor_and_a_note_of_the_study(
    app: Flask, session: Session
) -> None:
    study = moderated_study(session)
    other = moderated_study(session, email="other@example.com")
    mod = login(app, "mod@example.com")
    ids = _notes(mod, study, session)
    create_researcher(session, email="v@example.com", password=PASSWORD)
    workspace = session.get(Workspace, study.workspace_id)
    assert workspace is not None
    add_member(session, workspace, "v@example.com", WorkspaceRole.viewer)
    reader = login(app, "v@example.com")
    board = f"/studies/{study.slug}/notes"
    assert reader.post(f"{board}/{ids[0]}/codes", data={"new": "x"}).status_code == 403
    assert reader.post(f"{board}/codes", data={"label": "x"}).status_code == 403
    # The viewer reads the board, without the coding forms.
    page = reader.get(board)
    assert page.status_code == 200 and 'name="new"' not in page.text
    # Another study's researcher codes nothing here, nor a note of this study
    # through their own study's address.
    outsider = login(app, "other@example.com")
    assert (
        outsider.post(f"{board}/{ids[0]}/codes", data={"new": "x"}).status_code == 404
    )
    assert (
        outsider.post(
            f"/studies/{other.slug}/notes/{ids[0]}/codes", data={"new": "x"}
        ).status_code
        == 404
    )
    session.rollback()
    assert session.exec(select(Code)).all() == []
