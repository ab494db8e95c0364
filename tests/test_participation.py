"""The participation service: entry, steps, tasks and answers, without HTTP."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from uxlab import participation as p
from uxlab.accounts import create_researcher
from uxlab.errors import (
    AlreadyFinishedError,
    ConsentRequiredError,
    InvalidAnswerError,
    LinkExpiredError,
    NotFoundError,
    StudyStateError,
    TokenError,
)
from uxlab.invites import create_invites, invite_token, open_invite
from uxlab.models import (
    Event,
    Invite,
    JudgedBy,
    Outcome,
    Participant,
    Researcher,
    Response,
    Study,
    StudyStatus,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.studies import balanced_latin_square, import_study, parse_study
from uxlab.tokens import hash_token

DATA = Path(__file__).parent / "data"
SECRET = "test-secret"


def make_study(
    session: Session, name: str, *, status: StudyStatus = StudyStatus.live
) -> Study:
    text = (DATA / name).read_text(encoding="utf-8")
    researcher = session.exec(select(Researcher)).first() or create_researcher(
        session, email="owner@example.com", password="long enough password"
    )
    study = import_study(
        session, parse_study(text, name), owner=researcher, source_text=text
    )
    study.status = status
    session.add(study)
    session.commit()
    return study


def open_token(session: Session, study: Study) -> str:
    return invite_token(open_invite(session, study, SECRET), SECRET)


def join(
    session: Session, study: Study, known: dict[str, str] | None = None
) -> p.Entry:
    return p.enter_with_invite(
        session, open_token(session, study), secret=SECRET, known_tokens=known
    )


def participant(session: Session, entry: p.Entry) -> Participant:
    _, found = p.load_participant(session, entry.slug, entry.token)
    session.refresh(found)
    return found


def consented(
    session: Session, name: str = "participant_study.yaml"
) -> tuple[Study, p.Entry]:
    study = make_study(session, name)
    entry = join(session, study)
    p.give_consent(session, entry.slug, entry.token, step="consent")
    return study, entry


def test_open_link_creates_a_participant_at_consent(session: Session) -> None:
    study = make_study(session, "participant_study.yaml")
    entry = join(session, study)
    person = participant(session, entry)
    assert entry.slug == study.slug
    assert person.step == "consent" and person.progress == 0
    assert person.token_hash != entry.token and len(person.token_hash) == 64
    assert person.invite_id is None
    tasks = session.exec(select(Task).where(Task.study_id == study.id)).all()
    assert person.task_order == [t.id for t in sorted(tasks, key=lambda t: t.position)]


def test_open_link_resumes_the_browsers_participant(session: Session) -> None:
    study = make_study(session, "participant_study.yaml")
    first = join(session, study)
    again = join(session, study, {study.slug: first.token})
    other = join(session, study, {"some-other-study": first.token})
    assert again.token == first.token
    assert other.token != first.token
    assert len(session.exec(select(Participant)).all()) == 2


def test_single_invite_resumes_the_same_participant_after_asking(
    session: Session,
) -> None:
    study = make_study(session, "participant_study.yaml")
    invite = create_invites(session, study, 1, SECRET)[0]
    token = invite_token(invite, SECRET)
    first = p.enter_with_invite(session, token, secret=SECRET)
    second = p.enter_with_invite(session, token, secret=SECRET, known_tokens={})
    person = participant(session, first)
    # Another browser, without the first one's cookie, is asked "Are you
    # <code>?" before it continues as the same participant.
    assert second.confirm_code == person.code
    assert dataclasses.replace(second, confirm_code=None) == first
    session.refresh(invite)
    assert person.invite_id == invite.id and invite.used_at is not None
    assert len(session.exec(select(Participant)).all()) == 1


def test_finished_participant_cannot_enter_again(session: Session) -> None:
    study = make_study(session, "participant_first_click.yaml")
    invite = create_invites(session, study, 1, SECRET)[0]
    token = invite_token(invite, SECRET)
    entry = p.enter_with_invite(session, token, secret=SECRET)
    person = participant(session, entry)
    person.finished_at = utcnow()
    person.step = "done"
    session.add(person)
    session.commit()
    with pytest.raises(AlreadyFinishedError):
        p.enter_with_invite(session, token, secret=SECRET)
    with pytest.raises(AlreadyFinishedError):
        p.enter_with_resume_token(session, entry.token)


@pytest.mark.parametrize(
    ("status", "error"),
    [(StudyStatus.draft, NotFoundError), (StudyStatus.closed, StudyStateError)],
)
def test_draft_and_closed_studies_store_nothing(
    session: Session, status: StudyStatus, error: type[Exception]
) -> None:
    study = make_study(session, "participant_study.yaml", status=status)
    with pytest.raises(error):
        join(session, study)
    invite = create_invites(session, study, 1, SECRET)[0]
    with pytest.raises(error):
        p.enter_with_invite(session, invite_token(invite, SECRET), secret=SECRET)
    session.rollback()
    session.refresh(invite)
    assert invite.used_at is None
    assert session.exec(select(Participant)).all() == []


def test_bad_revoked_and_expired_tokens(session: Session) -> None:
    study = make_study(session, "participant_study.yaml")
    with pytest.raises(TokenError):
        p.enter_with_invite(session, "not-a-token", secret=SECRET)
    revoked, expired = create_invites(session, study, 2, SECRET)
    revoked.revoked_at = utcnow()
    expired.expires_at = utcnow() - timedelta(days=1)
    session.add_all([revoked, expired])
    session.commit()
    with pytest.raises(TokenError):
        p.enter_with_invite(session, invite_token(revoked, SECRET), secret=SECRET)
    with pytest.raises(LinkExpiredError) as caught:
        p.enter_with_invite(session, invite_token(expired, SECRET), secret=SECRET)
    assert caught.value.status == 410
    with pytest.raises(TokenError):
        p.enter_with_resume_token(session, "nobody")
    session.rollback()
    assert session.exec(select(Participant)).all() == []


def test_decline_keeps_only_a_count(session: Session) -> None:
    study = make_study(session, "participant_study.yaml")
    invite = create_invites(session, study, 1, SECRET)[0]
    entry = p.enter_with_invite(session, invite_token(invite, SECRET), secret=SECRET)
    assert p.decline(session, entry.slug, entry.token, step="consent") is True
    session.refresh(study)
    session.refresh(invite)
    assert study.declined_count == 1
    assert invite.used_at is None
    assert session.exec(select(Participant)).all() == []
    with pytest.raises(TokenError):
        p.decline(session, entry.slug, entry.token, step="consent")


def test_decline_after_consent_changes_nothing(session: Session) -> None:
    study, entry = consented(session)
    assert p.decline(session, entry.slug, entry.token, step="consent") is False
    session.refresh(study)
    assert study.declined_count == 0
    assert participant(session, entry).step == "task:0"


def test_consent_is_recorded_once(session: Session) -> None:
    study, entry = consented(session)
    first = participant(session, entry)
    p.give_consent(session, entry.slug, entry.token, step="consent")
    again = participant(session, entry)
    assert again.consented_at == first.consented_at
    assert again.consent_version == study.consent_version
    assert again.step == "task:0"
    # consent, 2 tasks with a SEQ each, SUS, done: 7 steps, one of 6 passed.
    assert again.progress == round(100 / 6)


def test_answers_before_consent_are_refused(session: Session) -> None:
    study = make_study(session, "participant_study.yaml")
    entry = join(session, study)
    with pytest.raises(ConsentRequiredError):
        p.save_answers(
            session, entry.slug, entry.token, step="consent", answers={"sus.q1": "3"}
        )
    with pytest.raises(ConsentRequiredError):
        p.save_answer(
            session,
            entry.slug,
            entry.token,
            step="q:sus",
            questionnaire="sus",
            item="q1",
            value=3,
        )
    task_id = participant(session, entry).task_order[0]
    with pytest.raises(ConsentRequiredError):
        p.start_task(
            session,
            entry.slug,
            entry.token,
            step="task:0",
            task_id=task_id,
            secret=SECRET,
        )
    session.rollback()
    assert session.exec(select(Response)).all() == []
    assert session.exec(select(TaskAttempt)).all() == []


def test_whole_study_through_the_service(session: Session) -> None:
    study, entry = consented(session)
    person = participant(session, entry)
    first, second = person.task_order

    url = p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, secret=SECRET
    )
    assert url is not None and url.startswith(
        "/static/first-click/shop-home.png?from=study&"
    )
    attempt_token = url.rsplit("uxlab_attempt=", 1)[1]
    again = p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, secret=SECRET
    )
    assert again == url  # same attempt, same token
    p.finish_task(
        session,
        entry.slug,
        entry.token,
        step="task:0",
        task_id=first,
        gave_up=False,
        client_duration_ms="1234",
    )
    # the same "I'm done" again is stale and changes nothing
    p.finish_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, gave_up=True
    )
    attempt = session.exec(
        select(TaskAttempt).where(TaskAttempt.task_id == first)
    ).one()
    assert attempt.token_hash == hash_token(attempt_token)
    assert attempt.outcome == Outcome.success and attempt.judged_by == JudgedBy.self
    assert attempt.client_duration_ms == 1234
    assert attempt.duration_s is not None and attempt.duration_s >= 0
    assert participant(session, entry).step == "seq:0"

    assert (
        p.save_answers(
            session, entry.slug, entry.token, step="seq:0", answers={"seq.q1": "6"}
        )
        == []
    )
    assert participant(session, entry).step == "task:1"
    assert (
        p.start_task(
            session,
            entry.slug,
            entry.token,
            step="task:1",
            task_id=second,
            secret=SECRET,
        )
        is None
    )  # no site to open
    p.finish_task(
        session, entry.slug, entry.token, step="task:1", task_id=second, gave_up=True
    )
    p.save_answers(
        session, entry.slug, entry.token, step="seq:1", answers={"seq.q1": "2"}
    )
    assert participant(session, entry).step == "q:sus"

    for i in range(1, 7):
        assert p.save_answer(
            session,
            entry.slug,
            entry.token,
            step="q:sus",
            questionnaire="sus",
            item=f"q{i}",
            value=4,
        )
    page = p.step_page(session, entry.slug, entry.token)
    assert page.kind == "questionnaire"
    assert page.questionnaires[0].answers == {f"q{i}": "4" for i in range(1, 7)}
    incomplete = p.save_answers(
        session, entry.slug, entry.token, step="q:sus", answers={}
    )
    assert incomplete == ["Please answer questions 7 to 10."]
    answers = {f"sus.q{i}": "5" for i in range(1, 11)}
    assert (
        p.save_answers(session, entry.slug, entry.token, step="q:sus", answers=answers)
        == []
    )
    assert (
        p.save_answers(session, entry.slug, entry.token, step="q:sus", answers=answers)
        == []
    )

    done = participant(session, entry)
    assert done.step == "done" and done.progress == 100 and done.finished_at is not None
    rows = session.exec(select(Response)).all()
    assert Counter((r.questionnaire, r.scope) for r in rows) == {
        ("seq", f"task:{first}"): 1,
        ("seq", f"task:{second}"): 1,
        ("sus", "study"): 10,
    }
    assert {r.value_num for r in rows if r.questionnaire == "sus"} == {5.0}
    seq_rows = [r for r in rows if r.questionnaire == "seq"]
    assert {r.task_id for r in seq_rows} == {first, second}
    outcomes = {a.task_id: a.outcome for a in session.exec(select(TaskAttempt)).all()}
    assert outcomes == {first: Outcome.success, second: Outcome.abandoned}


def test_invalid_answers_name_the_question_and_keep_valid_ones(
    session: Session,
) -> None:
    study, entry = consented(session)
    person = participant(session, entry)
    person.step = "q:sus"
    session.add(person)
    session.commit()
    problems = p.save_answers(
        session,
        entry.slug,
        entry.token,
        step="q:sus",
        answers={
            "sus.q1": "0",
            "sus.q2": "3.5",
            "sus.q3": "4",
            "sus.q99": "3",
            "nps.q1": "3",
        },
    )
    # Named by the numbers the page shows; unknown fields in one sentence.
    assert problems == [
        "Question 1: please choose one of 1 to 5.",
        "Question 2: please choose one of 1 to 5.",
        "An answer did not belong to a question on this page.",
        "Please answer questions 1, 2 and 4 to 10.",
    ]
    stored = session.exec(select(Response)).all()
    assert [(r.item, r.value_num) for r in stored] == [("q3", 4.0)]
    assert participant(session, entry).step == "q:sus"
    for bad in (7, "3", True, 2.5, None, "x"):
        if bad == "3":
            continue  # a form string is fine
        with pytest.raises(InvalidAnswerError):
            p.save_answer(
                session,
                entry.slug,
                entry.token,
                step="q:sus",
                questionnaire="sus",
                item="q1",
                value=bad,
            )
    with pytest.raises(InvalidAnswerError):
        p.save_answer(
            session,
            entry.slug,
            entry.token,
            step="q:sus",
            questionnaire="seq",
            item="q1",
            value=3,
        )
    session.rollback()
    assert len(session.exec(select(Response)).all()) == 1


def test_stale_autosave_is_reported_not_stored(session: Session) -> None:
    study, entry = consented(session)
    saved = p.save_answer(
        session,
        entry.slug,
        entry.token,
        step="q:sus",
        questionnaire="sus",
        item="q1",
        value=3,
    )
    assert saved is False
    assert session.exec(select(Response)).all() == []


def test_time_limit_turns_done_into_timed_out(session: Session) -> None:
    study = make_study(session, "participant_counterbalanced.yaml")
    entry = join(session, study)
    p.give_consent(session, entry.slug, entry.token, step="consent")
    task_id = participant(session, entry).task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=task_id, secret=SECRET
    )
    attempt = session.exec(select(TaskAttempt)).one()
    attempt.started_at = utcnow() - timedelta(seconds=121)
    session.add(attempt)
    session.commit()
    p.finish_task(
        session, entry.slug, entry.token, step="task:0", task_id=task_id, gave_up=False
    )
    session.refresh(attempt)
    assert attempt.outcome == Outcome.timed_out


@pytest.mark.parametrize("raw", ["-5", "abc", "1.5", "", str(10**12)])
def test_implausible_client_durations_are_dropped(session: Session, raw: str) -> None:
    study, entry = consented(session, "participant_counterbalanced.yaml")
    task_id = participant(session, entry).task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=task_id, secret=SECRET
    )
    p.finish_task(
        session,
        entry.slug,
        entry.token,
        step="task:0",
        task_id=task_id,
        gave_up=False,
        client_duration_ms=raw,
    )
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.outcome == Outcome.success and attempt.client_duration_ms is None


def test_done_before_start_and_foreign_tasks(session: Session) -> None:
    study, entry = consented(session)
    person = participant(session, entry)
    p.finish_task(
        session,
        entry.slug,
        entry.token,
        step="task:0",
        task_id=person.task_order[0],
        gave_up=False,
    )
    assert participant(session, entry).step == "task:0"
    other = make_study(session, "participant_first_click.yaml")
    foreign = session.exec(select(Task).where(Task.study_id == other.id)).one()
    assert foreign.id is not None
    with pytest.raises(NotFoundError):
        p.start_task(
            session,
            entry.slug,
            entry.token,
            step="task:0",
            task_id=foreign.id,
            secret=SECRET,
        )
    session.rollback()
    assert session.exec(select(TaskAttempt)).all() == []


def test_counterbalanced_orders_and_balanced_variants(session: Session) -> None:
    study = make_study(session, "participant_counterbalanced.yaml")
    tasks = sorted(
        session.exec(select(Task).where(Task.study_id == study.id)).all(),
        key=lambda t: t.position,
    )
    rows = balanced_latin_square(3)
    people = [participant(session, join(session, study)) for _ in range(8)]
    for i, person in enumerate(people):
        assert person.task_order == [tasks[j].id for j in rows[i % len(rows)]]
    counts = Counter(person.variant for person in people)
    assert counts == {"a": 4, "b": 4}


def test_start_url_is_joined_onto_the_variant(session: Session) -> None:
    study, entry = consented(session, "participant_counterbalanced.yaml")
    person = participant(session, entry)
    base = (
        "https://a.shop.example" if person.variant == "a" else "https://b.shop.example"
    )
    tasks = {
        t.key: t
        for t in session.exec(select(Task).where(Task.study_id == study.id)).all()
    }
    person.task_order = [t.id or 0 for t in (tasks["t1"], tasks["t2"], tasks["t3"])]
    session.add(person)
    session.commit()
    url = p.start_task(
        session,
        entry.slug,
        entry.token,
        step="task:0",
        task_id=tasks["t1"].id or 0,
        secret=SECRET,
    )
    assert url is not None and url.startswith(base + "/shoes?size=42&uxlab_attempt=")
    p.finish_task(
        session,
        entry.slug,
        entry.token,
        step="task:0",
        task_id=tasks["t1"].id or 0,
        gave_up=False,
    )
    url = p.start_task(
        session,
        entry.slug,
        entry.token,
        step="task:1",
        task_id=tasks["t2"].id or 0,
        secret=SECRET,
    )
    assert url is not None
    assert url.startswith(
        "https://elsewhere.example/hats?uxlab_attempt="
    ) and url.endswith("#top")


@pytest.mark.parametrize(
    ("x", "y", "outcome"),
    [("0.9", "0.05", Outcome.success), ("0.5", "0.16", Outcome.failure)],
)
def test_first_click_is_judged_against_the_region(
    session: Session, x: str, y: str, outcome: Outcome
) -> None:
    study, entry = consented(session, "participant_first_click.yaml")
    task_id = participant(session, entry).task_order[0]
    assert (
        p.start_task(
            session,
            entry.slug,
            entry.token,
            step="task:0",
            task_id=task_id,
            secret=SECRET,
        )
        is None
    )
    p.record_first_click(
        session,
        entry.slug,
        entry.token,
        step="task:0",
        task_id=task_id,
        x=x,
        y=y,
        client_duration_ms="900",
    )
    p.record_first_click(
        session,
        entry.slug,
        entry.token,
        step="task:0",
        task_id=task_id,
        x="0.1",
        y="0.1",
    )
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.outcome == outcome and attempt.judged_by == JudgedBy.auto
    assert attempt.client_duration_ms == 900
    event = session.exec(select(Event)).one()
    assert event.type == "first_click" and event.attempt_id == attempt.id
    assert event.payload == {"x": float(x), "y": float(y)}
    assert len(event.event_id) == 36
    assert participant(session, entry).step == "q:feedback"


@pytest.mark.parametrize(
    ("x", "y"), [("1.5", "0.1"), ("abc", "0.1"), (None, "0.2"), ("0.1", "-1")]
)
def test_first_click_outside_the_image_is_refused(
    session: Session, x: str | None, y: str
) -> None:
    study, entry = consented(session, "participant_first_click.yaml")
    task_id = participant(session, entry).task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=task_id, secret=SECRET
    )
    with pytest.raises(InvalidAnswerError):
        p.record_first_click(
            session, entry.slug, entry.token, step="task:0", task_id=task_id, x=x, y=y
        )
    assert session.exec(select(Event)).all() == []


def test_open_text_is_stored_verbatim_and_long_text_refused(session: Session) -> None:
    study, entry = consented(session, "participant_first_click.yaml")
    person = participant(session, entry)
    person.step = "q:feedback"
    session.add(person)
    session.commit()
    hostile = '<script>alert(1)</script> =HYPERLINK("x")'
    with pytest.raises(InvalidAnswerError, match="feedback.q1"):
        p.save_answer(
            session,
            entry.slug,
            entry.token,
            step="q:feedback",
            questionnaire="feedback",
            item="q1",
            value="x" * 10_001,
        )
    # optional questionnaire: an empty page goes on
    assert (
        p.save_answers(
            session,
            entry.slug,
            entry.token,
            step="q:feedback",
            answers={"feedback.q1": hostile},
        )
        == []
    )
    row = session.exec(select(Response)).one()
    assert row.value_text == hostile and row.value_num is None


def test_invite_row_untouched_by_open_link(session: Session) -> None:
    study = make_study(session, "participant_study.yaml")
    join(session, study)
    invite = session.exec(select(Invite)).one()
    assert invite.used_at is None


@pytest.mark.parametrize(
    ("success", "outcome", "judged_by"),
    [
        # the criterion decides: "I'm done" with nothing recorded is unverified
        ('{url_matches: "cart"}', Outcome.unverified, JudgedBy.auto),
        # the task trusts the participant's word explicitly
        ('{url_matches: "cart", self_report: true}', Outcome.success, JudgedBy.self),
    ],
)
def test_im_done_on_an_automatic_task_counts_only_when_the_task_trusts_it(
    session: Session, success: str, outcome: Outcome, judged_by: JudgedBy
) -> None:
    text = (
        "title: Trusting\ntasks:\n  - title: Find the cart\n"
        f"    start_url: https://shop.example.com/\n    success: {success}\n"
    )
    owner = session.exec(select(Researcher)).first() or create_researcher(
        session, email="owner@example.com", password="long enough password"
    )
    study = import_study(session, parse_study(text), owner=owner, source_text=text)
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    entry = join(session, study)
    p.give_consent(session, entry.slug, entry.token, step="consent")
    task_id = participant(session, entry).task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=task_id, secret=SECRET
    )
    p.finish_task(
        session, entry.slug, entry.token, step="task:0", task_id=task_id, gave_up=False
    )
    attempt = session.exec(select(TaskAttempt)).one()
    session.refresh(attempt)
    assert (attempt.outcome, attempt.judged_by) == (outcome, judged_by)
    assert attempt.self_reported is True
