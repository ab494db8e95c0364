"""Service functions behind the researcher pages, called directly."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from uxlab.accounts import create_researcher
from uxlab.errors import NotFoundError, StudyFileError, StudyStateError, UxlabError
from uxlab.management import (
    StudyEdit,
    TaskEdit,
    available_templates,
    change_status,
    create_study_from_template,
    create_study_from_text,
    delete_study,
    edit_study,
    invite_rows,
    invite_state,
    invites_csv,
    make_invites,
    new_open_link,
    owned_invite,
    owned_study,
    revoke_study_invite,
    study_overview,
    study_progress,
    study_tasks,
)
from uxlab.models import (
    Invite,
    Outcome,
    Participant,
    Researcher,
    Study,
    StudyStatus,
    Task,
    TaskAttempt,
    utcnow,
)

DATA = Path(__file__).parent / "data"
STUDY_YAML = (DATA / "researcher_study.yaml").read_text()
SECRET = "test-secret"


@pytest.fixture(name="owner")
def owner_fixture(session: Session) -> Researcher:
    return create_researcher(session, email="a@example.com", password="password-a")


@pytest.fixture(name="study")
def study_fixture(session: Session, owner: Researcher) -> Study:
    assert owner.id is not None
    return create_study_from_text(session, STUDY_YAML, owner_id=owner.id)


def _edit(study: Study, session: Session, **changes: object) -> StudyEdit:
    tasks = {
        t.id: TaskEdit(t.title, t.prompt, t.start_url, t.time_limit_s)
        for t in study_tasks(session, study)
        if t.id is not None
    }
    fields: dict[str, object] = {
        "title": study.title,
        "description": study.description,
        "consent": study.consent,
        "tasks": tasks,
    }
    fields.update(changes)
    return StudyEdit(**fields)  # type: ignore[arg-type]


def _count(session: Session, model: type) -> int:
    return len(session.exec(select(model)).all())


# ----------------------------------------------------------------- creating


def test_create_from_text_makes_a_draft_with_tasks(
    session: Session, study: Study
) -> None:
    assert study.status == StudyStatus.draft
    assert study.slug == "checkout-usability"
    assert study.source_yaml == STUDY_YAML
    assert [t.key for t in study_tasks(session, study)] == ["find", "buy"]


def test_create_from_invalid_text_changes_nothing(
    session: Session, owner: Researcher
) -> None:
    assert owner.id is not None
    with pytest.raises(StudyFileError) as info:
        create_study_from_text(
            session, (DATA / "researcher_invalid.yaml").read_text(), owner_id=owner.id
        )
    assert any("tasks[0].title" in p and "line 4" in p for p in info.value.problems)
    assert _count(session, Study) == 0


def test_title_new_does_not_take_the_new_study_url(
    session: Session, owner: Researcher
) -> None:
    assert owner.id is not None
    study = create_study_from_text(
        session, "title: New\nquestionnaires: [sus]\n", owner_id=owner.id
    )
    assert study.slug == "new-study"


def test_templates_skip_broken_files_and_unknown_names(
    session: Session, owner: Researcher, tmp_path: Path
) -> None:
    assert owner.id is not None
    (tmp_path / "good.yaml").write_text(STUDY_YAML)
    (tmp_path / "broken.yaml").write_text("title: [unclosed\n")
    (tmp_path / "notes.txt").write_text("not a study")
    assert [name for name, _ in available_templates(tmp_path)] == ["good.yaml"]
    assert available_templates(tmp_path / "missing") == []
    study = create_study_from_template(
        session, tmp_path, "good.yaml", owner_id=owner.id
    )
    assert study.title == "Checkout usability"
    for name in ("broken.yaml", "../researcher_study.yaml", "notes.txt"):
        with pytest.raises(NotFoundError):
            create_study_from_template(session, tmp_path, name, owner_id=owner.id)
    assert _count(session, Study) == 1


def test_owned_study_hides_other_researchers_studies(
    session: Session, study: Study
) -> None:
    other = create_researcher(session, email="b@example.com", password="password-b")
    assert other.id is not None and study.id is not None
    assert owned_study(session, study.slug, study.researcher_id).id == study.id
    with pytest.raises(NotFoundError):
        owned_study(session, study.slug, other.id)
    with pytest.raises(NotFoundError):
        owned_study(session, str(study.id), other.id)
    with pytest.raises(NotFoundError):
        owned_study(session, "no-such-study", study.researcher_id)


# ------------------------------------------------------------------ editing


def test_edit_texts_and_tasks_of_a_draft(session: Session, study: Study) -> None:
    first = study_tasks(session, study)[0]
    assert first.id is not None
    edit = _edit(study, session, title="Checkout, v2", description="New *words*")
    edit.tasks[first.id] = TaskEdit(
        "Find a coat", "Find a coat.", "https://x.example", 60
    )  # type: ignore[index]
    changed = edit_study(session, study, edit)
    assert "title" in changed and "task find start_url" in changed
    session.expire_all()
    task = session.get(Task, first.id)
    assert task is not None
    assert (task.title, task.start_url, task.time_limit_s) == (
        "Find a coat",
        "https://x.example",
        60,
    )
    assert study.consent_version == 1


def test_new_consent_text_bumps_its_version(session: Session, study: Study) -> None:
    edit_study(session, study, _edit(study, session, consent="New consent."))
    assert study.consent_version == 2
    assert edit_study(session, study, _edit(study, session)) == []
    assert study.consent_version == 2


@pytest.mark.parametrize(
    ("start_url", "time_limit", "message"),
    [
        ("ftp://example.com", None, "start URL"),
        ("javascript:alert(1)", None, "start URL"),
        ("/ok", 0, "time limit"),
        ("/ok", -3, "time limit"),
        ("/ok", 86401, "time limit"),
    ],
)
def test_bad_task_values_change_nothing(
    session: Session, study: Study, start_url: str, time_limit: int, message: str
) -> None:
    first = study_tasks(session, study)[0]
    assert first.id is not None
    edit = _edit(study, session, title="Changed title")
    edit.tasks[first.id] = TaskEdit("T", "", start_url, time_limit)  # type: ignore[index]
    with pytest.raises(UxlabError, match=message):
        edit_study(session, study, edit)
    session.expire_all()
    fresh = session.get(Study, study.id)
    assert fresh is not None and fresh.title == "Checkout usability"


def test_edit_refuses_tasks_of_another_study(session: Session, study: Study) -> None:
    other = create_study_from_text(session, STUDY_YAML, owner_id=study.researcher_id)
    foreign = study_tasks(session, other)[0]
    assert foreign.id is not None
    edit = _edit(study, session, title="Hijack")
    edit.tasks[foreign.id] = TaskEdit("Hijacked", "", None, None)  # type: ignore[index]
    with pytest.raises(UxlabError, match="not a task of this study"):
        edit_study(session, study, edit)
    session.expire_all()
    assert session.get(Task, foreign.id).title == "Find a jacket"  # type: ignore[union-attr]


def test_live_study_takes_text_edits_only(session: Session, study: Study) -> None:
    change_status(session, study, "publish")
    first = study_tasks(session, study)[0]
    assert first.id is not None
    edit = _edit(study, session)
    edit.tasks[first.id] = TaskEdit("Renamed", first.prompt, first.start_url, 60)  # type: ignore[index]
    with pytest.raises(StudyStateError, match="time_limit_s"):
        edit_study(session, study, edit)
    edit.tasks[first.id] = TaskEdit("Renamed", "New prompt", first.start_url, 300)  # type: ignore[index]
    assert edit_study(session, study, edit) == ["task find title", "task find prompt"]


def test_closed_study_cannot_be_edited(session: Session, study: Study) -> None:
    change_status(session, study, "publish")
    change_status(session, study, "close")
    with pytest.raises(StudyStateError):
        edit_study(session, study, _edit(study, session, title="x"))


# ------------------------------------------------------------------- status


def test_status_goes_draft_live_closed_live(session: Session, study: Study) -> None:
    change_status(session, study, "publish")
    assert study.status == StudyStatus.live and study.published_at is not None
    change_status(session, study, "close")
    assert study.status == StudyStatus.closed and study.closed_at is not None
    change_status(session, study, "reopen")
    assert study.status == StudyStatus.live and study.closed_at is None


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([], "close"),
        ([], "reopen"),
        (["publish"], "publish"),
        (["publish"], "reopen"),
        (["publish", "close"], "publish"),
        (["publish", "close"], "close"),
    ],
)
def test_disallowed_transitions_change_nothing(
    session: Session, study: Study, steps: list[str], refused: str
) -> None:
    for step in steps:
        change_status(session, study, step)
    before = (study.status, study.published_at, study.closed_at)
    with pytest.raises(StudyStateError):
        change_status(session, study, refused)
    session.expire_all()
    fresh = session.get(Study, study.id)
    assert fresh is not None
    assert (fresh.status, fresh.published_at, fresh.closed_at) == before


def test_unknown_action_is_a_value_error(session: Session, study: Study) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        change_status(session, study, "archive")


def test_delete_draft_removes_it_and_its_rows(session: Session, study: Study) -> None:
    make_invites(session, study, 3, SECRET)
    participant = Participant(study_id=study.id, token_hash="h" * 64, code="P-AAAAAAAA")  # type: ignore[arg-type]
    session.add(participant)
    session.commit()
    delete_study(session, study)
    for model in (Study, Task, Invite, Participant):
        assert _count(session, model) == 0


def test_delete_refuses_live_and_closed(session: Session, study: Study) -> None:
    change_status(session, study, "publish")
    with pytest.raises(StudyStateError):
        delete_study(session, study)
    change_status(session, study, "close")
    with pytest.raises(StudyStateError):
        delete_study(session, study)
    assert _count(session, Study) == 1 and _count(session, Task) == 2


# ------------------------------------------------------------------ invites


def test_invite_states(session: Session, study: Study) -> None:
    made = make_invites(session, study, 4, SECRET, label="  panel A  ")
    now = utcnow()
    made[1].used_at = now
    made[2].expires_at = now - timedelta(days=1)
    made[3].revoked_at = now
    made[3].used_at = now
    session.add_all(made)
    session.commit()
    rows = invite_rows(session, study, SECRET)
    assert [r.state for r in rows] == ["unused", "used", "expired", "revoked"]
    assert {r.label for r in rows} == {"panel A"}
    assert invite_state(Invite(study_id=1, nonce="n", token_hash="t")) == "unused"


def test_revoke_only_the_studys_own_invites(session: Session, study: Study) -> None:
    other = create_study_from_text(session, STUDY_YAML, owner_id=study.researcher_id)
    mine = make_invites(session, study, 1, SECRET)[0]
    theirs = make_invites(session, other, 1, SECRET)[0]
    assert mine.id is not None and theirs.id is not None
    with pytest.raises(NotFoundError):
        revoke_study_invite(session, study, theirs.id)
    with pytest.raises(NotFoundError):
        owned_invite(session, study, 999_999)
    session.expire_all()
    assert session.get(Invite, theirs.id).revoked_at is None  # type: ignore[union-attr]
    revoke_study_invite(session, study, mine.id)
    with pytest.raises(StudyStateError, match="already revoked"):
        revoke_study_invite(session, study, mine.id)


def test_closed_study_gets_no_new_invites(session: Session, study: Study) -> None:
    change_status(session, study, "publish")
    change_status(session, study, "close")
    with pytest.raises(StudyStateError):
        make_invites(session, study, 2, SECRET)
    assert _count(session, Invite) == 0


def test_new_open_link_replaces_the_old(session: Session, study: Study) -> None:
    first = study_overview(session, study, SECRET).open_token
    assert study_overview(session, study, SECRET).open_token == first
    new_open_link(session, study, SECRET)
    second = study_overview(session, study, SECRET).open_token
    assert second and second != first
    open_links = session.exec(select(Invite).where(Invite.kind == "open")).all()
    assert sorted(i.revoked_at is None for i in open_links) == [False, True]


def test_invites_csv_neutralises_formulas(session: Session, study: Study) -> None:
    make_invites(session, study, 2, SECRET, label='=HYPERLINK("http://evil")')
    text = invites_csv(invite_rows(session, study, SECRET), lambda t: f"http://x/s/{t}")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert rows[0]["label"].startswith("'=")
    assert rows[0]["link"].startswith("http://x/s/") and rows[0]["state"] == "unused"


# ----------------------------------------------------------------- progress


def test_progress_counts_participants_and_outcomes(
    session: Session, study: Study
) -> None:
    find, buy = study_tasks(session, study)
    study.declined_count = 2
    session.add(study)
    now = utcnow()
    people = []
    for i in range(4):
        p = Participant(
            study_id=study.id,  # type: ignore[arg-type]
            token_hash=f"{i}" * 64,
            code=f"P-{i}AAAAAAA",
            consented_at=now if i < 3 else None,
            finished_at=now if i < 1 else None,
        )
        session.add(p)
        people.append(p)
    session.commit()
    outcomes = [Outcome.success, Outcome.failure, None]
    for p, outcome in zip(people, outcomes, strict=False):
        session.add(
            TaskAttempt(
                participant_id=p.id,  # type: ignore[arg-type]
                task_id=find.id,  # type: ignore[arg-type]
                position=1,
                started_at=now,
                outcome=outcome,
            )
        )
    # An attempt row made but never started is not counted.
    session.add(TaskAttempt(participant_id=people[0].id, task_id=buy.id, position=2))  # type: ignore[arg-type]
    session.commit()

    progress = study_progress(session, study)
    assert (
        progress.started,
        progress.consented,
        progress.finished,
        progress.declined,
    ) == (
        4,
        3,
        1,
        2,
    )
    first, second = progress.tasks
    assert first.outcomes["success"] == 1 and first.outcomes["failure"] == 1
    assert first.in_progress == 1 and first.attempts == 3
    assert second.attempts == 0 and set(second.outcomes) == {str(o) for o in Outcome}
    data = progress.as_dict()
    assert data["tasks"][0]["key"] == "find" and data["tasks"][0]["attempts"] == 3
