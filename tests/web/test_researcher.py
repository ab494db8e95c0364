"""Researcher pages through the Flask test client."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from uxlab.accounts import create_researcher
from uxlab.management import create_study_from_text, make_invites, study_tasks
from uxlab.models import Invite, Participant, Study, StudyStatus, Task, utcnow

DATA = Path(__file__).parent.parent / "data"
STUDY_YAML = (DATA / "researcher_study.yaml").read_text()
INVALID_YAML = (DATA / "researcher_invalid.yaml").read_text()
HOSTILE_YAML = (DATA / "researcher_hostile.yaml").read_text()


def login(
    client: FlaskClient, email: str = "a@example.com", password: str = "password-a"
):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.text
    return response


@pytest.fixture(name="owner_id")
def owner_fixture(session: Session) -> int:
    researcher = create_researcher(
        session, email="a@example.com", password="password-a"
    )
    assert researcher.id is not None
    return researcher.id


@pytest.fixture(name="user")
def user_fixture(client: FlaskClient, owner_id: int) -> FlaskClient:
    """A client logged in as researcher A."""
    login(client)
    return client


@pytest.fixture(name="study")
def study_fixture(session: Session, owner_id: int) -> Study:
    return create_study_from_text(session, STUDY_YAML, owner_id=owner_id)


def sync(session: Session) -> None:
    """End the test session's read snapshot so it sees the app's commits."""
    session.rollback()


def fresh(session: Session, study: Study) -> Study:
    sync(session)
    found = session.get(Study, study.id)
    assert found is not None
    return found


def count(session: Session, model: type) -> int:
    sync(session)
    return len(session.exec(select(model)).all())


# --------------------------------------------------------------- login, list


def test_pages_need_login(client: FlaskClient, study: Study) -> None:
    for url in (
        "/",
        "/studies/new",
        f"/studies/{study.slug}",
        f"/studies/{study.slug}/edit",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    response = client.get(f"/studies/{study.slug}/progress.json")
    assert response.status_code == 401 and response.json == {
        "error": "login_required",
        "message": "Log in first.",
    }
    response = client.post(f"/studies/{study.slug}/publish")
    assert response.status_code == 302
    assert study.status == StudyStatus.draft


def test_index_lists_own_studies_only(
    user: FlaskClient, session: Session, study: Study
) -> None:
    other = create_researcher(session, email="b@example.com", password="password-b")
    assert other.id is not None
    create_study_from_text(
        session, "title: Secret of B\nquestionnaires: [sus]\n", owner_id=other.id
    )
    page = user.get("/").text
    assert "Checkout usability" in page and f'href="/studies/{study.slug}"' in page
    assert "Secret of B" not in page
    assert 'badge badge-draft">draft' in page
    assert '<th scope="col">Mode</th>' in page


# ------------------------------------------------------------------- create


@pytest.fixture(name="templates")
def templates_fixture(app: Flask, tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "checkout.yaml").write_text(STUDY_YAML)
    (folder / "broken.yaml").write_text(INVALID_YAML)
    app.config["STUDY_TEMPLATES_DIR"] = str(folder)
    return folder


def test_new_page_lists_valid_templates(user: FlaskClient, templates: Path) -> None:
    page = user.get("/studies/new").text
    assert 'value="checkout.yaml"' in page and "Checkout usability" in page
    assert "broken.yaml" not in page
    assert '<label for="study_file">' in page and '<label for="study_text">' in page


def test_create_from_template(
    user: FlaskClient, session: Session, templates: Path
) -> None:
    response = user.post(
        "/studies/new", data={"source": "template", "template": "checkout.yaml"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/studies/checkout-usability"
    sync(session)
    study = session.exec(select(Study)).one()
    assert study.status == StudyStatus.draft and study.source_yaml == STUDY_YAML
    assert "Created the draft study" in user.get(response.headers["Location"]).text


def test_create_from_unknown_template_is_400(
    user: FlaskClient, session: Session, templates: Path
) -> None:
    for name in ("broken.yaml", "../../etc/passwd", ""):
        response = user.post(
            "/studies/new", data={"source": "template", "template": name}
        )
        assert response.status_code == 400
    assert count(session, Study) == 0


def test_create_from_upload(user: FlaskClient, session: Session) -> None:
    response = user.post(
        "/studies/new",
        data={
            "source": "file",
            "study_file": (io.BytesIO(STUDY_YAML.encode()), "s.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert count(session, Study) == 1 and count(session, Task) == 2


def test_create_from_pasted_text(user: FlaskClient, session: Session) -> None:
    response = user.post(
        "/studies/new", data={"source": "text", "study_text": STUDY_YAML}
    )
    assert response.status_code == 303
    sync(session)
    assert session.exec(select(Study)).one().title == "Checkout usability"


@pytest.mark.parametrize("how", ["file", "text"])
def test_invalid_yaml_lists_each_problem_and_creates_nothing(
    user: FlaskClient, session: Session, how: str
) -> None:
    if how == "file":
        data = {
            "source": "file",
            "study_file": (io.BytesIO(INVALID_YAML.encode()), "b.yaml"),
        }
    else:
        data = {"source": "text", "study_text": INVALID_YAML}
    response = user.post("/studies/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.text
    assert "tasks[0].title: required field is missing (line 4)" in page
    assert "tasks[1].time_limit_s" in page and "(line 7)" in page
    assert "colour: unknown field (line 2)" in page
    if how == "text":
        assert "colour: blue" in page  # the pasted text is kept for fixing
    assert count(session, Study) == 0 and count(session, Task) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"source": "text", "study_text": "title: [unclosed\n"},
        {"source": "text", "study_text": "   "},
        {"source": "text", "study_text": "- just\n- a list\n"},
        {"source": "file"},
        {"source": "file", "study_file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.yaml")},
        {},
    ],
)
def test_bad_new_study_input_is_400(
    user: FlaskClient, session: Session, data: dict
) -> None:
    response = user.post("/studies/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.text
    assert count(session, Study) == 0


def test_oversize_upload_is_413(
    user: FlaskClient, app: Flask, session: Session
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 4096
    big = STUDY_YAML + "#" * 10_000 + "\n"
    response = user.post(
        "/studies/new",
        data={"source": "file", "study_file": (io.BytesIO(big.encode()), "big.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Too much data" in response.text
    assert count(session, Study) == 0


# --------------------------------------------------------------- study page


def test_study_page_shows_everything(user: FlaskClient, study: Study) -> None:
    page = user.get(f"/studies/{study.slug}").text
    assert "<h1>Checkout usability</h1>" in page
    assert "<strong>buy a jacket</strong>" in page  # description as Markdown
    assert "Find a jacket" in page and "Buy it" in page
    assert "SEQ" in page and "SUS" in page
    assert re.search(r'id="open-link">http://localhost/s/[\w-]{20,}</code>', page)
    assert 'action="/studies/checkout-usability/publish"' in page
    assert 'href="/studies/checkout-usability/delete"' in page
    assert 'href="/studies/checkout-usability/export.zip"' in page
    assert 'href="/studies/checkout-usability/export.json"' in page
    assert 'data-progress-url="/studies/checkout-usability/progress.json"' in page
    assert 'src="/static/researcher.js"' in page
    # Only a live study refreshes itself.
    assert "data-refresh" not in page


def test_unknown_study_is_404(user: FlaskClient) -> None:
    assert user.get("/studies/nope").status_code == 404
    assert user.post("/studies/nope/publish").status_code == 404
    response = user.get("/studies/nope/progress.json")
    assert response.status_code == 404 and response.json["error"] == "not_found"


@pytest.mark.reliability
def test_hostile_study_text_is_escaped_or_sanitised(
    user: FlaskClient, session: Session, owner_id: int
) -> None:
    study = create_study_from_text(session, HOSTILE_YAML, owner_id=owner_id)
    pages = [user.get(f"/studies/{study.slug}").text, user.get("/").text]
    pages.append(user.get(f"/studies/{study.slug}/edit").text)
    for page in pages:
        tree = lxml.html.fromstring(page)
        assert tree.xpath("//iframe") == []
        # The only scripts are the app's own files.
        scripts = [e.get("src") for e in tree.xpath("//script")]
        assert scripts[0] == "/static/researcher.js"
        assert set(scripts) <= {"/static/researcher.js", "/static/preflight.js"}
        for element in tree.iter():
            for name, value in element.attrib.items():
                assert not name.startswith("on"), lxml.html.tostring(element)
                if name in ("href", "src"):
                    assert (
                        not value.strip().lower().startswith(("javascript:", "data:"))
                    )
    assert "<strong>Do it</strong>" in pages[0]
    # The source is kept untouched for editing.
    assert "&lt;script&gt;alert(&#34;description&#34;)" in pages[2]


# -------------------------------------------------------------- transitions


def test_publish_close_reopen(
    user: FlaskClient, session: Session, study: Study
) -> None:
    url = f"/studies/{study.slug}"
    response = user.post(f"{url}/publish")
    assert response.status_code == 303 and response.headers["Location"] == url
    assert fresh(session, study).status == StudyStatus.live
    page = user.get(url).text
    assert "The study is now live." in page and 'data-refresh="10"' in page
    user.post(f"{url}/close")
    assert fresh(session, study).status == StudyStatus.closed
    user.post(f"{url}/reopen")
    assert fresh(session, study).status == StudyStatus.live


@pytest.mark.parametrize(
    ("steps", "action"),
    [
        ([], "close"),
        ([], "reopen"),
        (["publish"], "publish"),
        (["publish", "close"], "publish"),
    ],
)
def test_wrong_transition_flashes_and_changes_nothing(
    user: FlaskClient, session: Session, study: Study, steps: list[str], action: str
) -> None:
    url = f"/studies/{study.slug}"
    for step in steps:
        user.post(f"{url}/{step}")
    before = fresh(session, study).model_dump()
    response = user.post(f"{url}/{action}", follow_redirects=True)
    assert response.status_code == 200
    assert "Nothing changed" in response.text and "flash-error" in response.text
    assert fresh(session, study).model_dump() == before


def test_transitions_are_post_only(
    user: FlaskClient, session: Session, study: Study
) -> None:
    assert user.get(f"/studies/{study.slug}/publish").status_code == 405
    assert fresh(session, study).status == StudyStatus.draft


# ------------------------------------------------------------------- delete


def test_delete_draft_after_confirmation(
    user: FlaskClient, session: Session, study: Study
) -> None:
    slug = study.slug
    url = f"/studies/{slug}/delete"
    page = user.get(url).text
    assert "cannot be undone" in page and count(session, Study) == 1
    response = user.post(url)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert count(session, Study) == 0 and count(session, Task) == 0
    assert user.get(f"/studies/{slug}").status_code == 404


def test_delete_live_study_is_refused(
    user: FlaskClient, session: Session, study: Study
) -> None:
    user.post(f"/studies/{study.slug}/publish")
    response = user.post(f"/studies/{study.slug}/delete", follow_redirects=True)
    assert "Only draft studies can be deleted" in response.text
    assert count(session, Study) == 1
    assert 'href="/studies/checkout-usability/delete"' not in response.text


# --------------------------------------------------------------------- edit


def _edit_data(session: Session, study: Study, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": study.title,
        "description": study.description,
        "consent": study.consent,
    }
    for i, task in enumerate(study_tasks(session, study)):
        data[f"tasks-{i}-task_id"] = str(task.id)
        data[f"tasks-{i}-title"] = task.title
        data[f"tasks-{i}-prompt"] = task.prompt
        data[f"tasks-{i}-start_url"] = task.start_url or ""
        data[f"tasks-{i}-time_limit_s"] = (
            "" if task.time_limit_s is None else task.time_limit_s
        )
    data.update(changes)
    return data


def test_edit_form_shows_labelled_fields(user: FlaskClient, study: Study) -> None:
    page = user.get(f"/studies/{study.slug}/edit").text
    for name in (
        "title",
        "description",
        "consent",
        "tasks-0-title",
        "tasks-1-start_url",
    ):
        assert f'<label for="{name}">' in page
    assert 'value="/static/demo-shop/index.html"' in page
    assert "This study is live" not in page


def test_edit_saves_and_bumps_consent_version(
    user: FlaskClient, session: Session, study: Study
) -> None:
    data = _edit_data(
        session,
        study,
        title="Checkout v2",
        consent="A new consent text.",
        **{"tasks-1-time_limit_s": "120", "tasks-1-start_url": "/shop"},
    )
    response = user.post(f"/studies/{study.slug}/edit", data=data)
    assert response.status_code == 303, response.text
    saved = fresh(session, study)
    assert (saved.title, saved.consent, saved.consent_version) == (
        "Checkout v2",
        "A new consent text.",
        2,
    )
    buy = study_tasks(session, saved)[1]
    assert (buy.start_url, buy.time_limit_s) == ("/shop", 120)
    assert "now version 2" in user.get(response.headers["Location"]).text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tasks-0-start_url", "ftp://example.com", "Must start with http://"),
        ("tasks-0-start_url", "javascript:alert(1)", "Must start with http://"),
        ("tasks-0-time_limit_s", "0", "1 to 86400 seconds."),
        ("tasks-0-time_limit_s", "-10", "1 to 86400 seconds."),
        ("tasks-0-time_limit_s", "ten", "Not a valid integer value"),
        ("title", "", "This field is required."),
        ("consent", "", "This field is required."),
        ("tasks-1-title", "x" * 201, "200 characters"),
    ],
)
def test_edit_rejects_bad_values_and_changes_nothing(
    user: FlaskClient,
    session: Session,
    study: Study,
    field: str,
    value: str,
    message: str,
) -> None:
    before = fresh(session, study).model_dump()
    tasks_before = [t.model_dump() for t in study_tasks(session, study)]
    data = _edit_data(session, study, **{"title": "Changed", field: value})
    response = user.post(f"/studies/{study.slug}/edit", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert fresh(session, study).model_dump() == before
    assert [t.model_dump() for t in study_tasks(session, study)] == tasks_before


def test_edit_with_a_foreign_task_id_changes_nothing(
    user: FlaskClient, session: Session, study: Study, owner_id: int
) -> None:
    other = create_study_from_text(session, STUDY_YAML, owner_id=owner_id)
    foreign = study_tasks(session, other)[0]
    data = _edit_data(
        session,
        study,
        **{"tasks-0-task_id": str(foreign.id), "tasks-0-title": "Hijacked"},
    )
    response = user.post(f"/studies/{study.slug}/edit", data=data)
    assert response.status_code == 400
    assert "Reload the page" in response.text
    sync(session)
    assert study_tasks(session, other)[0].title == "Find a jacket"


def test_live_study_edit_warns_and_keeps_urls_and_limits(
    user: FlaskClient, session: Session, study: Study
) -> None:
    user.post(f"/studies/{study.slug}/publish")
    page = user.get(f"/studies/{study.slug}/edit").text
    assert "Participants may already have seen the old text" in page
    assert 'disabled id="tasks-0-start_url"' in page or "disabled" in page
    data = _edit_data(session, study, **{"tasks-0-title": "Find a coat"})
    # Disabled inputs are not sent; a tampered value is ignored.
    data["tasks-0-start_url"] = "https://elsewhere.example"
    data.pop("tasks-0-time_limit_s")
    response = user.post(f"/studies/{study.slug}/edit", data=data)
    assert response.status_code == 303
    find = study_tasks(session, fresh(session, study))[0]
    assert (find.title, find.start_url, find.time_limit_s) == (
        "Find a coat",
        "/static/demo-shop/index.html",
        300,
    )


def test_closed_study_edit_redirects(
    user: FlaskClient, session: Session, study: Study
) -> None:
    user.post(f"/studies/{study.slug}/publish")
    user.post(f"/studies/{study.slug}/close")
    response = user.get(f"/studies/{study.slug}/edit", follow_redirects=True)
    assert "Reopen it first" in response.text
    before = fresh(session, study).model_dump()
    user.post(f"/studies/{study.slug}/edit", data=_edit_data(session, study, title="x"))
    assert fresh(session, study).model_dump() == before


# ------------------------------------------------------------------ invites


def test_make_list_download_and_revoke_invites(
    user: FlaskClient, session: Session, study: Study
) -> None:
    url = f"/studies/{study.slug}"
    user.get(url)  # the first view makes the open link
    response = user.post(f"{url}/invites", data={"count": "3", "label": "Panel A"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}#invites"
    sync(session)
    invites = session.exec(select(Invite).where(Invite.kind == "single")).all()
    assert len(invites) == 3 and {i.label for i in invites} == {"Panel A"}

    page = user.get(url).text
    assert page.count('<span class="state state-unused">unused</span>') == 3
    assert "Made 3 single-use invite links." in page

    text = user.get(f"{url}/invites.csv")
    assert text.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in text.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert len(rows) == 3 and all(
        r["link"].startswith("http://localhost/s/") for r in rows
    )
    for row in rows:
        assert row["link"] in page
    # Numbered within the study (the open link took the first database id).
    assert [r["invite"] for r in rows] == ["1", "2", "3"]
    assert [i.id for i in invites] != [1, 2, 3]

    first = invites[0]
    response = user.post(f"{url}/invites/{first.id}/revoke")
    assert response.status_code == 303
    sync(session)
    assert session.get(Invite, first.id).revoked_at is not None  # type: ignore[union-attr]
    assert '<span class="state state-revoked">revoked</span>' in user.get(url).text
    response = user.post(f"{url}/invites/{first.id}/revoke", follow_redirects=True)
    assert "already revoked" in response.text


@pytest.mark.parametrize(
    "data",
    [
        {"count": "0"},
        {"count": "1001"},
        {"count": "many"},
        {"count": "2", "label": "x" * 201},
    ],
)
def test_bad_invite_request_is_400(
    user: FlaskClient, session: Session, study: Study, data: dict
) -> None:
    response = user.post(f"/studies/{study.slug}/invites", data=data)
    assert response.status_code == 400
    assert "The invite links were not made" in response.text
    sync(session)
    assert session.exec(select(Invite).where(Invite.kind == "single")).all() == []


def test_unknown_invite_is_404(user: FlaskClient, study: Study) -> None:
    assert user.post(f"/studies/{study.slug}/invites/99999/revoke").status_code == 404


def test_new_open_link(user: FlaskClient, session: Session, study: Study) -> None:
    url = f"/studies/{study.slug}"
    first = re.search(r'id="open-link">([^<]+)<', user.get(url).text)
    assert first
    response = user.post(f"{url}/open-link")
    assert response.status_code == 303
    page = user.get(url).text
    second = re.search(r'id="open-link">([^<]+)<', page)
    assert second and second.group(1) != first.group(1)
    assert "The old one no longer works" in page


def test_links_use_public_url(app: Flask, user: FlaskClient, study: Study) -> None:
    app.config["PUBLIC_URL"] = "https://uxlab.example.org/"
    page = user.get(f"/studies/{study.slug}").text
    assert re.search(
        r'id="open-link">https://uxlab\.example\.org/s/[\w-]+</code>', page
    )


# ----------------------------------------------------------------- progress


def test_progress_json(user: FlaskClient, session: Session, study: Study) -> None:
    session.add(
        Participant(
            study_id=study.id,
            token_hash="a" * 64,
            code="P-AAAAAAAA",
            finished_at=utcnow(),
        )  # type: ignore[arg-type]
    )
    session.commit()
    response = user.get(f"/studies/{study.slug}/progress.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.json
    assert (data["started"], data["finished"], data["declined"]) == (1, 1, 0)
    assert [t["key"] for t in data["tasks"]] == ["find", "buy"]
    assert data["tasks"][0]["outcomes"]["success"] == 0


# ------------------------------------------------------------------ exports


def test_export_zip_and_json(user: FlaskClient, session: Session, study: Study) -> None:
    pytest.importorskip("uxlab.export")
    response = user.get(f"/studies/{study.slug}/export.zip")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "filename=checkout-usability.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist()
        assert all(name.endswith(".csv") for name in archive.namelist())
    response = user.get(f"/studies/{study.slug}/export.json")
    assert response.status_code == 200
    assert "checkout-usability.json" in response.headers["Content-Disposition"]
    assert isinstance(json.loads(response.data), dict)


# --------------------------------------------------------------------- CSRF


@pytest.fixture(name="csrf_client")
def csrf_client_fixture(csrf_app: Flask) -> tuple[FlaskClient, Session, Study]:
    from uxlab.db import get_engine

    session = Session(get_engine(csrf_app), expire_on_commit=False)
    researcher = create_researcher(
        session, email="a@example.com", password="password-a"
    )
    assert researcher.id is not None
    study = create_study_from_text(session, STUDY_YAML, owner_id=researcher.id)
    make_invites(session, study, 1, "test-secret")
    client = csrf_app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/login",
        data={
            "email": "a@example.com",
            "password": "password-a",
            "csrf_token": token.group(1),
        },
    )
    assert response.status_code == 302
    return client, session, study


def _snapshot(session: Session) -> list[dict]:
    sync(session)
    rows: list[dict] = []
    for model in (Study, Task, Invite):
        rows.extend(r.model_dump() for r in session.exec(select(model)).all())
    return rows


@pytest.mark.reliability
def test_posts_without_csrf_token_are_400_and_change_nothing(
    csrf_client: tuple[FlaskClient, Session, Study],
) -> None:
    client, session, study = csrf_client
    invite = session.exec(select(Invite).where(Invite.kind == "single")).one()
    url = f"/studies/{study.slug}"
    before = _snapshot(session)
    posts = [
        (f"{url}/publish", {}),
        (f"{url}/delete", {}),
        (f"{url}/edit", _edit_data(session, study, title="Changed")),
        (f"{url}/invites", {"count": "5"}),
        (f"{url}/invites/{invite.id}/revoke", {}),
        (f"{url}/open-link", {}),
        ("/studies/new", {"source": "text", "study_text": STUDY_YAML}),
    ]
    for target, data in posts:
        response = client.post(target, data=data)
        assert response.status_code == 400, target
        assert "csrf_failed" in response.text
        response = client.post(target, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, target
    assert _snapshot(session) == before
    session.close()


def test_posts_with_csrf_token_work(
    csrf_client: tuple[FlaskClient, Session, Study],
) -> None:
    client, session, study = csrf_client
    page = client.get(f"/studies/{study.slug}").text
    # Every form on the page carries a token.
    assert page.count("<form") == page.count('name="csrf_token"')
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post(
        f"/studies/{study.slug}/publish", data={"csrf_token": token.group(1)}
    )
    assert response.status_code == 303
    sync(session)
    assert session.get(Study, study.id).status == StudyStatus.live  # type: ignore[union-attr]
    session.close()


# ------------------------------------------------------------------ browser


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Replace pytest-playwright's own, which pytest 9 warns about (warnings are errors)."""
    return None


@pytest.mark.browser
def test_study_page_in_a_browser(page: Any, live_server: Any, session: Session) -> None:
    """Copy button, 10-second progress refresh and no sideways scroll on a phone."""
    from playwright.sync_api import expect

    researcher = create_researcher(
        session, email="a@example.com", password="password-a"
    )
    assert researcher.id is not None
    study = create_study_from_text(session, STUDY_YAML, owner_id=researcher.id)
    make_invites(session, study, 2, "test-secret", label="Panel A")
    page.set_viewport_size({"width": 375, "height": 800})
    page.clock.install()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("a@example.com")
    page.get_by_label("Password").fill("password-a")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/studies/{study.slug}")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The study is now live.")).to_be_visible()

    copy = page.get_by_role("button", name="Copy link", exact=True)
    expect(copy).to_be_visible()
    copy.click()
    expect(page.locator("button[data-copy=open-link]")).not_to_have_text("Copy link")

    started = page.locator('[data-count="started"]')
    expect(started).to_have_text("0")
    session.rollback()  # a fresh snapshot: the app has written since our last read
    session.add(Participant(study_id=study.id, token_hash="b" * 64, code="P-BBBBBBBB"))  # type: ignore[arg-type]
    session.commit()
    page.clock.run_for(11_000)
    expect(started).to_have_text("1")
    expect(page.locator("[data-updated]")).to_contain_text("Updated")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_oversize_body_is_413_with_csrf_on(
    csrf_client: tuple[FlaskClient, Session, Study], csrf_app: Flask
) -> None:
    client, session, _study = csrf_client
    csrf_app.config["MAX_CONTENT_LENGTH"] = 4096
    before = _snapshot(session)
    response = client.post(
        "/studies/new",
        data={"source": "text", "study_text": "title: x\n" + "#" * 10_000},
    )
    assert response.status_code == 413
    assert _snapshot(session) == before
    session.close()


def test_saving_an_unchanged_form_changes_nothing(
    user: FlaskClient, session: Session, study: Study
) -> None:
    # As a browser sends it: CRLF line ends, the file's last newline gone.
    def as_sent(text: str) -> str:
        return text.rstrip("\n").replace("\n", "\r\n")

    study.consent = "Line one.\n\nLine two.\n"
    session.add(study)
    session.commit()
    data = _edit_data(session, study, consent=as_sent(study.consent))
    for key, value in list(data.items()):
        if isinstance(value, str) and key.endswith("prompt"):
            data[key] = as_sent(value + "\n")
    response = user.post(f"/studies/{study.slug}/edit", data=data)
    assert response.status_code == 303, response.text
    saved = fresh(session, study)
    assert saved.consent_version == 1 and saved.consent == "Line one.\n\nLine two.\n"
    page = user.get(response.headers["Location"]).text
    assert "now version 2" not in page
