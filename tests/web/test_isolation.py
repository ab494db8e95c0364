"""Workspaces keep studies apart, and roles decide what a member may do.

Every researcher route is found from ``app.url_map``, so a route added later is
checked without editing this file (and one taking an argument this file does not
know, or a member route missing from the role table below, fails loudly):

- a researcher outside a study's workspace gets "not found" (404) everywhere;
- inside it, each role gets exactly what :data:`ROLE_NEEDED` allows, and a 403
  that names the role needed otherwise, with nothing changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.routing import Rule

from uxlab import moderation
from uxlab.accounts import create_researcher
from uxlab.audits.projects import ProjectSettings, create_project
from uxlab.cx import followups, journeys, themes
from uxlab.cx.feedback import open_link, parse_answers, record
from uxlab.cx.followup_models import CxFollowup
from uxlab.cx.models import CxChannel, CxJourney, CxStage, CxSurvey, CxTouchpoint
from uxlab.management import create_study_from_text, make_invites
from uxlab.models import (
    ActivityEntry,
    AuditProjectRun,
    AuditRunScreenshot,
    Invite,
    Membership,
    ModeratedSession,
    Participant,
    RunStatus,
    SessionObserver,
    Study,
    Task,
    Workspace,
    WorkspaceInvite,
    WorkspaceRole,
)
from uxlab.studies import import_study, parse_study
from uxlab.web.access import permission_of
from uxlab.workspaces import (
    add_member,
    create_workspace,
    invite_member,
    personal_workspace,
)

DATA = Path(__file__).parent.parent / "data"
STUDY_YAML = (DATA / "researcher_study.yaml").read_text()
SECRET = "test-secret"
#: Blueprints anyone may reach; every other one serves logged-in researchers.
PUBLIC_BLUEPRINTS = (
    "participant.",
    "api.",
    "auth.",
    "audits_api.",
    "openapi.",
    "cx_public.",
    "cx_widget.",
    "cx_demo_shop.",
)
JSON_ENDPOINTS = (
    "researcher.progress",
    "researcher.export_json",
    "preflight.status_json",
)
MODERATED_YAML = DATA.parent.parent / "study_templates" / "moderated-think-aloud.yaml"

#: The least role each member route needs, written out here (not read from the
#: code) so that a route declared with the wrong permission fails this file.
VIEWER_ROUTES = {
    "researcher.index",
    "researcher.study",
    "researcher.progress",
    "preflight.status_json",
    "results.results",
    "results.chart",
    "results.report_html",
    "results.report_pdf",
    "results.codebook_csv",
    "results.compare",
    "results.compare_chart",
    "results.plan",
    "results.plan_chart",
    "analytics.study_clicks",
    "analytics.heatmap",
    "moderation.study_notes",
    "study_file.download",
    "workspaces.index",
    "workspaces.create",
    "workspaces.switch",
    "workspaces.members",
    "workspaces.leave",
    "audits.index",
    "audits.project",
    "audits.runs_json",
    "audits.script",
    "audits.download_script",
    "audits.run",
    "audits.report",
    "audits.screenshot",
    "audits.history",
    "audits.diff",
    "cx.index",
    "cx.journey",
    "cx.touchpoint",
    "cx.journey_map",
    "cx.journey_map_slide",
    "cx.journey_yaml",
}
OWNER_ROUTES = {
    "workspaces.invite",
    "workspaces.revoke_invite",
    "workspaces.change_role",
    "workspaces.remove_member",
    "workspaces.activity",
    "workspaces.export_json",
    "workspaces.delete",
}
#: Routes whose own token authenticates (observers, invite links): no role.
TOKEN_ROUTES = {"moderation.observe", "workspaces.join", "audits.badge"}
RANK = {WorkspaceRole.viewer: 0, WorkspaceRole.editor: 1, WorkspaceRole.owner: 2}


def role_needed(endpoint: str) -> WorkspaceRole:
    if endpoint in VIEWER_ROUTES:
        return WorkspaceRole.viewer
    if endpoint in OWNER_ROUTES:
        return WorkspaceRole.owner
    return WorkspaceRole.editor


def researcher_rules(app: Flask, *, with_args: bool) -> list[Rule]:
    rules = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("researcher.")
    ]
    return [r for r in rules if bool(r.arguments) == with_args]


def owner_rules(app: Flask) -> list[Rule]:
    """Every non-public route that names an object (researcher.*, analytics.* ...)."""
    return [
        r
        for r in app.url_map.iter_rules()
        if r.arguments
        and r.endpoint != "static"
        and not r.endpoint.startswith(PUBLIC_BLUEPRINTS)
        and r.endpoint != "workspaces.join"
    ]


#: Route arguments that name something inside a study: A's participant (made by
#: the world fixture), a chart and a task of A's study.
INSIDE_STUDY = {
    "code": "P-AAAAAAAA",
    "name": "completion",
    "fmt": "svg",
    "key": "find",
    # Moderated sessions: a session id, a note and an observer link's token
    # (unknown).
    "session_id": 1,
    "note_row": 1,
    "observer_id": 1,
    "token": "no-such-observer-link",
    "member_id": 1,
    # Audit projects: a project, a run and a screenshot (unknown).
    "project_id": 1,
    "run_id": 1,
    "filename": "home.jpg",
    # CX: a journey and a touchpoint (unknown).
    "journey_id": 1,
    "touchpoint_id": 1,
    "followup_id": 1,
    "response_id": 1,
    # Five-second tests: a recall question, a code and an answer (unknown).
    "question": "purpose",
    "code_id": 1,
    "answer_id": 1,
}


def build(rule: Rule, values: dict[str, Any]) -> str:
    values = {**INSIDE_STUDY, **values}
    unknown = set(rule.arguments) - set(values)
    if unknown:
        pytest.fail(f"{rule.rule}: teach this test about {sorted(unknown)}")
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<{name}>", str(values[name]))
        url = url.replace(f"<int:{name}>", str(values[name]))
    assert "<" not in url, url
    return url


def login(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    return client


def snapshot(session: Session) -> list[dict[str, Any]]:
    """Every row a researcher route could touch, as plain data."""
    session.rollback()  # see the app's commits
    rows: list[dict[str, Any]] = []
    for model in (
        Study,
        Task,
        Invite,
        Participant,
        Workspace,
        Membership,
        WorkspaceInvite,
        ActivityEntry,
        ModeratedSession,
        SessionObserver,
        CxJourney,
        CxStage,
        CxTouchpoint,
        CxSurvey,
        CxChannel,
    ):
        query = select(model).order_by(model.id)  # type: ignore[attr-defined]
        rows.extend(row.model_dump() for row in session.exec(query).all())
    return rows


@pytest.fixture(name="world")
def world_fixture(app: Flask, session: Session) -> dict[str, Any]:
    """Researcher A with a study, invites and a participant; researcher B with a study."""
    a = create_researcher(session, email="a@example.com", password="password-a")
    b = create_researcher(session, email="b@example.com", password="password-b")
    assert a.id is not None and b.id is not None
    study_a = create_study_from_text(session, STUDY_YAML, owner_id=a.id)
    invite_a = make_invites(session, study_a, 2, SECRET)[0]
    session.add(
        Participant(study_id=study_a.id, token_hash="a" * 64, code="P-AAAAAAAA")
    )  # type: ignore[arg-type]
    session.commit()
    study_b = create_study_from_text(
        session, "title: B's study\nquestionnaires: [sus]\n", owner_id=b.id
    )
    return {
        "study_a": study_a,
        "invite_a": invite_a,
        "study_b": study_b,
        "workspace_a": personal_workspace(session, a.id).slug,
        "client_b": login(app, "b@example.com", "password-b"),
    }


def test_the_walk_finds_the_routes_it_should(app: Flask) -> None:
    endpoints = {r.endpoint for r in owner_rules(app)}
    assert {
        "researcher.study",
        "researcher.edit",
        "researcher.publish",
        "researcher.close",
        "researcher.reopen",
        "researcher.delete",
        "researcher.create_invite_links",
        "researcher.revoke",
        "researcher.invites_download",
        "researcher.regenerate_open_link",
        "researcher.progress",
        "researcher.export_zip",
        "researcher.export_json",
    } <= endpoints


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.reliability
def test_other_researchers_study_is_404_everywhere(
    app: Flask, session: Session, world: dict[str, Any], method: str
) -> None:
    study_a: Study = world["study_a"]
    client_b: FlaskClient = world["client_b"]
    before = snapshot(session)
    # A's study by slug and by its numeric id (a guessed id).
    for ref in (study_a.slug, str(study_a.id)):
        values = {
            "slug": ref,
            "invite_id": world["invite_a"].id,
            "workspace": world["workspace_a"],
        }
        for rule in owner_rules(app):
            url = build(rule, values)
            data = {"count": "5", "title": "Taken", "consent": "x", "label": "B"}
            response = client_b.open(url, method=method, data=data)
            # A method the route does not take never reaches the view (405).
            expected = 404 if method in (rule.methods or ()) else 405
            assert response.status_code == expected, (method, url)
            assert "Checkout usability" not in response.text, url
            if expected == 404 and rule.endpoint in JSON_ENDPOINTS:
                assert response.json == {
                    "error": "not_found",
                    "message": f"no study {ref!r}",
                }
    assert snapshot(session) == before


@pytest.mark.reliability
def test_other_researchers_invite_is_404_under_own_study(
    app: Flask, session: Session, world: dict[str, Any]
) -> None:
    client_b: FlaskClient = world["client_b"]
    study_b: Study = world["study_b"]
    before = snapshot(session)
    for rule in owner_rules(app):
        if "invite_id" not in rule.arguments:
            continue
        values = {
            "slug": study_b.slug,
            "invite_id": world["invite_a"].id,
            "workspace": world["workspace_a"],
        }
        url = build(rule, values)
        method = "POST" if "POST" in (rule.methods or ()) else "GET"
        assert client_b.open(url, method=method).status_code == 404, url
    assert snapshot(session) == before


def test_lists_and_forms_do_not_show_other_researchers_studies(
    app: Flask, session: Session, world: dict[str, Any]
) -> None:
    client_b: FlaskClient = world["client_b"]
    for rule in researcher_rules(app, with_args=False):
        if "GET" in (rule.methods or ()):
            page = client_b.get(rule.rule).text
            assert "Checkout usability" not in page, rule.rule
    assert "B&#39;s study" in client_b.get("/").text


def test_every_researcher_route_needs_login(
    app: Flask, session: Session, world: dict[str, Any]
) -> None:
    anonymous = app.test_client()
    before = snapshot(session)
    values = {"slug": world["study_a"].slug, "invite_id": world["invite_a"].id}
    rules = researcher_rules(app, with_args=True) + researcher_rules(
        app, with_args=False
    )
    for rule in rules:
        url = build(rule, values)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = anonymous.open(url, method=method)
            if url.endswith(".json"):
                assert response.status_code == 401, url
            else:
                assert response.status_code == 302, (method, url)
                assert response.headers["Location"].startswith("/login"), url
    assert snapshot(session) == before


# ------------------------------------------------------------------ roles


@pytest.fixture(name="team")
def team_fixture(app: Flask, session: Session) -> dict[str, Any]:
    """A shared workspace: an owner, an editor, a viewer; two studies in it."""
    owner = create_researcher(session, email="o@example.com", password="password-o")
    for who in ("e", "v", "x"):
        create_researcher(
            session, email=f"{who}@example.com", password=f"password-{who}"
        )
    team = create_workspace(session, "Team", owner_email="o@example.com")
    add_member(session, team, "e@example.com", WorkspaceRole.editor)
    add_member(session, team, "v@example.com", WorkspaceRole.viewer)
    study = create_study_from_text(
        session, STUDY_YAML, owner_id=owner.id, workspace_id=team.id
    )
    invite = make_invites(session, study, 2, SECRET)[0]
    session.add(Participant(study_id=study.id, token_hash="a" * 64, code="P-AAAAAAAA"))  # type: ignore[arg-type]
    session.commit()
    text = MODERATED_YAML.read_text()
    moderated = import_study(
        session,
        parse_study(text),
        owner=owner,
        source_text=text,
        workspace_id=team.id,
        publish=True,
    )
    ms = moderation.schedule_session(
        session, moderated, label="Anna", scheduled_at=None, secret=SECRET
    )
    observer = moderation.observers(session, ms)[0]
    pending, _ = invite_member(
        session, team, "new@example.com", WorkspaceRole.viewer, by=owner.id
    )
    viewer_id = session.exec(
        select(Membership.researcher_id).where(
            Membership.workspace_id == team.id,
            Membership.role == WorkspaceRole.viewer,
        )
    ).one()
    audit = add_audit_project(session, team.id)
    journey = journeys.create_journey(session, team.id, "Buy online", ["Buy"])
    stage = journeys.journey_view(session, journey).stages[0].stage
    assert stage.id is not None
    touchpoint = journeys.add_touchpoint(session, journey, stage.id, "Checkout")
    survey = journeys.save_survey(
        session, touchpoint, ["nps", "open"], "Why?", "customer", SECRET
    )
    followups.save_settings(session, journey, "customer", "")
    opened = open_link(
        session,
        journeys.channel_token(journeys.channels_of(session, survey)[0], SECRET),
    )
    answer = record(
        session,
        opened,
        "browser-1",
        parse_answers(survey, {"nps": "2", "open_text": "Slow", "customer": "C-1"}),
    )
    assert answer is not None and answer.id is not None
    followup = session.exec(select(CxFollowup)).one()
    (tag,) = themes.code_answer(session, team.id, touchpoint, answer.id, [], "speed")
    session.commit()
    clients = {}
    for role, who in (
        (WorkspaceRole.owner, "o"),
        (WorkspaceRole.editor, "e"),
        (WorkspaceRole.viewer, "v"),
    ):
        client = login(app, f"{who}@example.com", f"password-{who}")
        assert client.post("/workspaces/switch", data={"workspace": team.slug})
        clients[role] = client
    return {
        "team": team,
        "clients": clients,
        "outsider": login(app, "x@example.com", "password-x"),
        "values": {
            "workspace": team.slug,
            "invite_id": invite.id,
            "session_id": ms.id,
            "observer_id": observer.id,
            "member_id": viewer_id,
            "project_id": audit.project_id,
            "run_id": audit.id,
            "journey_id": journey.id,
            "touchpoint_id": touchpoint.id,
            "followup_id": followup.id,
            "response_id": answer.id,
            "code_id": tag.id,
        },
        "workspace_invite": pending.id,
        "slugs": {"plain": study.slug, "moderated": moderated.slug},
    }


def add_audit_project(session: Session, workspace_id: Any) -> AuditProjectRun:
    """An audit project with one finished run that took one screenshot."""
    project = create_project(
        session,
        workspace_id,
        ProjectSettings(name="Shop audit", base_url="http://127.0.0.1:9"),
        "name: Home\ntasks:\n  - name: Home\n    steps:\n      - goto: /\n",
    ).project
    run = AuditProjectRun(
        project_id=project.id,  # type: ignore[arg-type]
        status=RunStatus.passed,
        script_yaml=project.script_yaml,
        script_version=1,
        started_by="person",
        base_url=project.base_url,
        report_html="<p>The report</p>",
    )
    session.add(run)
    session.commit()
    session.add(
        AuditRunScreenshot(
            run_id=run.id, filename="home.jpg", mime="image/jpeg", data=b"x"
        )  # type: ignore[arg-type]
    )
    session.commit()
    return run


def team_url(rule: Rule, team: dict[str, Any]) -> str:
    values = dict(team["values"])
    kind = "moderated" if rule.endpoint.startswith("moderation.") else "plain"
    values["slug"] = team["slugs"][kind]
    if rule.endpoint == "workspaces.revoke_invite":
        values["invite_id"] = team["workspace_invite"]
    if rule.endpoint == "audits.history":
        values["name"] = "findings"
    return build(rule, values)


def member_rules(app: Flask) -> list[Rule]:
    """Every route a workspace member uses (public and token routes left out)."""
    return [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint != "static"
        and not r.endpoint.startswith(PUBLIC_BLUEPRINTS)
        and r.endpoint not in TOKEN_ROUTES
        and not r.endpoint.startswith("moderation.observe")
    ]


def test_every_member_route_declares_the_permission_the_table_expects(
    app: Flask,
) -> None:
    from uxlab.workspaces import NEEDS

    for rule in member_rules(app):
        permission = permission_of(app.view_functions[rule.endpoint])
        assert permission is not None, f"{rule.endpoint} states no permission"
        assert NEEDS[permission] == role_needed(rule.endpoint), rule.endpoint


@pytest.mark.parametrize(
    "role", [WorkspaceRole.viewer, WorkspaceRole.editor], ids=lambda r: r.value
)
def test_a_role_without_the_right_gets_403_naming_the_role_and_nothing_changes(
    app: Flask, session: Session, team: dict[str, Any], role: WorkspaceRole
) -> None:
    client: FlaskClient = team["clients"][role]
    before = snapshot(session)
    refused = 0
    for rule in member_rules(app):
        needed = role_needed(rule.endpoint)
        if RANK[role] >= RANK[needed]:
            continue
        url = team_url(rule, team)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            data = {"count": "5", "title": "Taken", "consent": "x", "label": "B"}
            data |= {"email": "z@example.com", "role": "owner", "name": "Z"}
            data |= {"action": "exclude", "reason": "r", "code": "P-AAAAAAAA"}
            response = client.open(url, method=method, data=data)
            assert response.status_code == 403, (role, method, url)
            if url.endswith(".json"):
                assert response.json is not None, url
                assert response.json["error"] == "forbidden"
                message = response.json["message"]
            else:
                assert "Your role does not allow this" in response.text, url
                message = response.text
            assert f"needs the {needed} role" in message, url
            assert f"you are a{'n' if role == 'editor' else ''} {role}" in message
            refused += 1
    assert refused > (5 if role == WorkspaceRole.editor else 20)
    assert snapshot(session) == before


#: Allowed routes checked elsewhere, as they drive Chromium (PDF, screenshots).
SLOW = {"results.report_pdf", "analytics.heatmap"}


@pytest.mark.parametrize("role", list(WorkspaceRole), ids=lambda r: r.value)
def test_a_role_with_the_right_gets_the_page(
    app: Flask, session: Session, team: dict[str, Any], role: WorkspaceRole
) -> None:
    client: FlaskClient = team["clients"][role]
    opened = 0
    for rule in member_rules(app):
        if RANK[role] < RANK[role_needed(rule.endpoint)] or rule.endpoint in SLOW:
            continue
        if "GET" not in (rule.methods or ()):
            continue
        url = team_url(rule, team)
        if rule.endpoint == "results.compare_chart":
            url += f"?a={team['slugs']['plain']}&b={team['slugs']['moderated']}"
        response = client.get(url)
        if rule.endpoint == "results.chart":
            # Let in, and told the study has nothing to chart yet.
            assert response.status_code == 404, url
            assert "has no data for a completion chart" in response.text
        elif rule.endpoint == "results.compare_chart":
            # Let in, and told what the comparison lacks (no shared task keys).
            assert response.status_code == 400, url
            assert "forbidden" not in response.text
        else:
            assert response.status_code in (200, 302), (role, url, response.status_code)
        opened += 1
    assert opened >= 15


@pytest.mark.reliability
def test_an_outsider_gets_404_for_every_route_of_the_workspace(
    app: Flask, session: Session, team: dict[str, Any]
) -> None:
    outsider: FlaskClient = team["outsider"]
    before = snapshot(session)
    for rule in member_rules(app):
        if not set(rule.arguments) & {"slug", "workspace"}:
            continue
        url = team_url(rule, team)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = outsider.open(url, method=method, data={"role": "owner"})
            assert response.status_code == 404, (method, url)
            assert "Checkout usability" not in response.text
    # Switching to it is refused the same way.
    assert (
        outsider.post(
            "/workspaces/switch", data={"workspace": team["team"].slug}
        ).status_code
        == 404
    )
    assert snapshot(session) == before


def test_viewer_pages_show_no_participant_codes_or_exports(
    app: Flask, team: dict[str, Any]
) -> None:
    viewer: FlaskClient = team["clients"][WorkspaceRole.viewer]
    editor: FlaskClient = team["clients"][WorkspaceRole.editor]
    plain = team["slugs"]["plain"]
    page = viewer.get(f"/studies/{plain}").text
    assert "export.zip" not in page and "export.xlsx" not in page
    assert "Report (HTML)" in page
    assert "/s/" not in page  # no participant links
    assert "export.zip" in editor.get(f"/studies/{plain}").text
    # The participant is excluded, so the quality table lists them (to editors).
    editor.post(
        f"/studies/{plain}/exclusions", data={"code": "P-AAAAAAAA", "reason": "test"}
    )
    assert "P-AAAAAAAA" in editor.get(f"/studies/{plain}/results").text
    for url in (f"/studies/{plain}/results", f"/studies/{plain}/report.html"):
        text = viewer.get(url).text
        assert "P-AAAAAAAA" not in text, url
        assert "1 participant is flagged or excluded (1 excluded)" in text, url
