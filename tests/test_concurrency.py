"""Read-then-write under concurrency, on the real database (SQLite or PostgreSQL).

Each test lets several writers act on one participant, session or study at the
same moment: threads released together by a barrier, each with its own
session, and where it matters its own engine (a connection pool of its own, as
another app process has) or a process of its own. What is asserted is what a
participant or researcher would notice: every action applied exactly once, no
update lost, no error.
"""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests.conftest import LiveServer
from tests.test_moderation import SECRET, join, moderated_study
from tests.test_participation import consented, make_study
from uxlab import moderation as m
from uxlab import participation as p
from uxlab.db import get_engine, make_engine
from uxlab.errors import StudyStateError, TokenError
from uxlab.invites import invite_token
from uxlab.management import change_status, make_invites, new_open_link
from uxlab.models import (
    Invite,
    InviteKind,
    ModeratedSession,
    Participant,
    Response,
    SessionAction,
    SessionNote,
    Study,
    StudyStatus,
    TaskAttempt,
)

T = TypeVar("T")
WRITERS = 6


def race(
    count: int, act: Callable[[int], T], *, timeout: float = 60
) -> list[T | BaseException]:
    """Run ``act(i)`` for i in range(count) on threads released all at once.

    Returns each call's result or the exception it raised, in order.
    """
    barrier = threading.Barrier(count)
    results: list[T | BaseException | None] = [None] * count

    def run(i: int) -> None:
        barrier.wait(timeout=timeout)
        try:
            results[i] = act(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
        assert not t.is_alive(), "a writer never finished"
    return results  # type: ignore[return-value]


def no_errors(results: list[Any]) -> list[Any]:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors
    return results


@pytest.fixture(name="engines")
def engines_fixture(database_url: str) -> Iterator[list[Engine]]:
    """One engine per writer, as if each were another app process."""
    made = [make_engine(database_url) for _ in range(WRITERS)]
    yield made
    for engine in made:
        engine.dispose()


def fresh(engine: Engine, model: type[T], ident: int) -> T:
    with Session(engine) as db:
        row = db.get(model, ident)
        assert row is not None
        return row


# ------------------------------------------------------------ participants


@pytest.mark.reliability
def test_double_submitted_answers_move_the_participant_on_once(
    app: Flask, session: Session, engines: list[Engine]
) -> None:
    study, entry = consented(session)
    person = p.load_participant(session, entry.slug, entry.token)[1]
    first = person.task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, secret=SECRET
    )
    p.finish_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, gave_up=False
    )

    def submit(i: int) -> list[str]:
        with Session(engines[i], expire_on_commit=False) as db:
            return p.save_answers(
                db, entry.slug, entry.token, step="seq:0", answers={"seq.q1": "6"}
            )

    assert no_errors(race(WRITERS, submit)) == [[]] * WRITERS
    assert person.id is not None
    after = fresh(get_engine(app), Participant, person.id)
    assert after.step == "task:1"  # one step on, not six
    with Session(get_engine(app)) as db:
        rows = db.exec(select(Response).where(Response.participant_id == person.id))
        assert [(r.questionnaire, r.item, r.value_num) for r in rows] == [
            ("seq", "q1", 6.0)
        ]


@pytest.mark.reliability
def test_double_clicked_done_ends_the_task_once(
    app: Flask, session: Session, engines: list[Engine]
) -> None:
    study, entry = consented(session)
    person = p.load_participant(session, entry.slug, entry.token)[1]
    first = person.task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, secret=SECRET
    )

    def done(i: int) -> None:
        with Session(engines[i], expire_on_commit=False) as db:
            p.finish_task(
                db,
                entry.slug,
                entry.token,
                step="task:0",
                task_id=first,
                # A "done" and a "give up" pressed together: the first one counts.
                gave_up=i % 2 == 1,
            )

    no_errors(race(WRITERS, done))
    assert person.id is not None
    assert fresh(get_engine(app), Participant, person.id).step == "seq:0"
    with Session(get_engine(app)) as db:
        attempts = db.exec(
            select(TaskAttempt).where(TaskAttempt.participant_id == person.id)
        ).all()
    assert len(attempts) == 1 and attempts[0].outcome is not None


@pytest.mark.reliability
def test_double_pressed_start_makes_one_attempt(
    app: Flask, session: Session, engines: list[Engine]
) -> None:
    study, entry = consented(session)
    first = p.load_participant(session, entry.slug, entry.token)[1].task_order[0]

    def start(i: int) -> str | None:
        with Session(engines[i], expire_on_commit=False) as db:
            return p.start_task(
                db,
                entry.slug,
                entry.token,
                step="task:0",
                task_id=first,
                secret=SECRET,
            )

    urls = no_errors(race(WRITERS, start))
    assert len(set(urls)) == 1 and urls[0] is not None  # one attempt, one token
    with Session(get_engine(app)) as db:
        assert len(db.exec(select(TaskAttempt)).all()) == 1


def test_a_write_after_a_read_sees_what_others_committed_meanwhile(
    app: Flask, session: Session
) -> None:
    """A session that read the participant before another request moved them
    on must not act on its old copy: the second "done" is stale.
    """
    study, entry = consented(session)
    person = p.load_participant(session, entry.slug, entry.token)[1]
    first = person.task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, secret=SECRET
    )
    with Session(get_engine(app), expire_on_commit=False) as reader:
        page = p.step_page(reader, entry.slug, entry.token)  # still held
        assert page.step == "task:0"
        reader.commit()
        with Session(get_engine(app), expire_on_commit=False) as other:
            p.finish_task(
                other, entry.slug, entry.token, step="task:0", task_id=first, gave_up=0
            )
        p.finish_task(
            reader, entry.slug, entry.token, step="task:0", task_id=first, gave_up=1
        )
        assert page.participant.step == "seq:0"
    assert person.id is not None
    assert fresh(get_engine(app), Participant, person.id).step == "seq:0"
    with Session(get_engine(app)) as db:
        attempt = db.exec(select(TaskAttempt)).one()
    assert attempt.outcome == "success"  # the first press, not the stale second


@pytest.mark.reliability
def test_double_submits_over_http_show_no_error_page(
    live_server: LiveServer, session: Session
) -> None:
    study, entry = consented(session)
    person = p.load_participant(session, entry.slug, entry.token)[1]
    first = person.task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, secret=SECRET
    )
    p.finish_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, gave_up=False
    )
    cookie = participant_cookie(live_server, entry)
    host = urllib.parse.urlsplit(live_server.url)
    body = urllib.parse.urlencode({"step": "seq:0", "seq.q1": "5"})

    def post(_i: int) -> int:
        conn = http.client.HTTPConnection(host.hostname or "", host.port, timeout=30)
        try:
            conn.request(
                "POST",
                f"/take/{entry.slug}/answers",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                },
            )
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    statuses = no_errors(race(WRITERS, post))
    assert set(statuses) == {303}, statuses  # each goes on to the page to show
    assert person.id is not None
    assert fresh(get_engine(live_server.app), Participant, person.id).step == "task:1"


def participant_cookie(server: LiveServer, entry: p.Entry) -> str:
    """The session cookie a browser gets by opening the participant's own link."""
    host = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(host.hostname or "", host.port, timeout=30)
    try:
        conn.request("GET", f"/r/{entry.token}")
        response = conn.getresponse()
        response.read()
        assert response.status == 303, response.status
        cookie = response.getheader("Set-Cookie")
    finally:
        conn.close()
    assert cookie is not None
    return cookie.split(";", 1)[0]


# -------------------------------------------------------------- moderation


@dataclass
class Running:
    """A moderated session whose participant has joined and consented.

    Plain values only: the writers' threads must not load rows through the
    test's own session.
    """

    session_id: int
    study_id: int
    researcher_id: int
    participant_id: int
    task_order: list[int]
    slug: str
    token: str


@pytest.fixture(name="running")
def running_fixture(session: Session) -> Running:
    study = moderated_study(session)
    ms = m.schedule_session(
        session, study, label="P1", scheduled_at=None, secret=SECRET
    )
    person = join(session, ms)
    link = m.participant_link_token(session, ms, SECRET)
    entry = p.enter_with_invite(session, link, secret=SECRET)
    session.refresh(person)
    assert ms.id is not None and study.id is not None and person.id is not None
    return Running(
        ms.id,
        study.id,
        study.researcher_id,
        person.id,
        list(person.task_order),
        study.slug,
        entry.token,
    )


def judged_first_task(session: Session, running: Running) -> int:
    first = running.task_order[0]
    m.control(
        session, running.session_id, action_id="start-01", kind="start", task_id=first
    )
    m.control(
        session,
        running.session_id,
        action_id="judge-01",
        kind="outcome",
        task_id=first,
        outcome="success",
    )
    return first


def test_two_moderators_pressing_next_at_once_move_the_participant_one_step(
    app: Flask, session: Session, running: Running, engines: list[Engine]
) -> None:
    judged_first_task(session, running)
    before = fresh(get_engine(app), ModeratedSession, running.session_id).version

    def press(i: int) -> m.ControlResult:
        with Session(engines[i], expire_on_commit=False) as db:
            return m.control(
                db,
                running.session_id,
                action_id=f"next-tab-{i:02d}",
                kind="next",
                from_step="task:0",
            )

    results = no_errors(race(WRITERS, press))
    assert sum(r.applied for r in results) == 1
    assert {r.step for r in results} == {"seq:0"}
    after = fresh(get_engine(app), Participant, running.participant_id)
    assert after.step == "seq:0"
    assert fresh(get_engine(app), ModeratedSession, running.session_id).version == (
        before + 1
    )


def test_moderator_next_and_participant_answer_at_once_move_one_step(
    app: Flask, session: Session, running: Running, engines: list[Engine]
) -> None:
    """The participant submits the SEQ while the moderator presses "next" on it:
    for each of the three tasks the participant lands on the following step
    once, never skipping the next task.
    """
    tasks = running.task_order
    for index, task in enumerate(tasks):
        m.control(
            session,
            running.session_id,
            action_id=f"start-{index:02d}",
            kind="start",
            task_id=task,
        )
        m.control(
            session,
            running.session_id,
            action_id=f"judge-{index:02d}",
            kind="outcome",
            task_id=task,
            outcome="success",
        )
        m.control(
            session,
            running.session_id,
            action_id=f"to-seq-{index:02d}",
            kind="next",
            from_step=f"task:{index}",
        )
        seq = f"seq:{index}"

        def act(i: int, seq: str = seq, index: int = index) -> object:
            with Session(engines[i], expire_on_commit=False) as db:
                if i % 2:
                    return m.control(
                        db,
                        running.session_id,
                        action_id=f"past-seq-{index:02d}-{i:02d}",
                        kind="next",
                        from_step=seq,
                        # confirmed: the answer may not have arrived yet
                        confirm_partial=True,
                    )
                return p.save_answers(
                    db, running.slug, running.token, step=seq, answers={"seq.q1": "5"}
                )

        no_errors(race(4, act))
        step = fresh(get_engine(app), Participant, running.participant_id).step
        following = f"task:{index + 1}" if index + 1 < len(tasks) else "q:sus"
        assert step == following


def test_two_moderators_pressing_start_at_once_start_the_task_once(
    app: Flask, session: Session, running: Running, engines: list[Engine]
) -> None:
    first = running.task_order[0]

    def press(i: int) -> m.ControlResult:
        with Session(engines[i], expire_on_commit=False) as db:
            return m.control(
                db,
                running.session_id,
                action_id=f"start-tab-{i:02d}",
                kind="start",
                task_id=first,
            )

    results = no_errors(race(WRITERS, press))
    assert sum(r.applied for r in results) == 1
    with Session(get_engine(app)) as db:
        attempts = db.exec(select(TaskAttempt)).all()
    assert len(attempts) == 1 and attempts[0].started_at is not None


def test_two_moderators_judging_at_once_lose_no_update(
    app: Flask, session: Session, running: Running, engines: list[Engine]
) -> None:
    first = running.task_order[0]
    m.control(
        session, running.session_id, action_id="start-01", kind="start", task_id=first
    )
    before = fresh(get_engine(app), ModeratedSession, running.session_id).version
    outcomes = ["success", "failure", "partial", "skipped", "success", "failure"]

    def judge(i: int) -> m.ControlResult:
        with Session(engines[i], expire_on_commit=False) as db:
            return m.control(
                db,
                running.session_id,
                action_id=f"judge-tab-{i:02d}",
                kind="outcome",
                task_id=first,
                outcome=outcomes[i],
            )

    results = no_errors(race(WRITERS, judge))
    applied = sum(r.applied for r in results)
    ms = fresh(get_engine(app), ModeratedSession, running.session_id)
    assert ms.version == before + applied  # every applied judgement counted once
    with Session(get_engine(app)) as db:
        actions = db.exec(
            select(SessionAction)
            .where(SessionAction.kind == "outcome")
            .order_by(SessionAction.id)  # type: ignore[arg-type]
        ).all()
        attempt = db.exec(select(TaskAttempt)).one()
    assert len(actions) == WRITERS
    last_applied = [a for a in actions if a.applied][-1]
    assert attempt.outcome == last_applied.outcome  # the screen shows the last word


def test_notes_from_moderator_and_observers_at_once_are_all_kept(
    app: Flask, session: Session, running: Running, engines: list[Engine]
) -> None:
    ms = session.get(ModeratedSession, running.session_id)
    assert ms is not None
    authors = [m.moderator(running.researcher_id, "Mo")] + [
        m.observer(m.add_observer(session, ms, name=f"Obs {i}", secret=SECRET))
        for i in range(1, WRITERS)
    ]

    def write(i: int) -> m.NoteResult:
        with Session(engines[i], expire_on_commit=False) as db:
            return m.write_note(
                db,
                running.session_id,
                authors[i],
                op="create",
                note_id=f"note-from-{i:02d}",
                tag="q",
                text=f"note {i}",
            )

    before = fresh(get_engine(app), ModeratedSession, running.session_id).version
    results = no_errors(race(WRITERS, write))
    assert all(r.changed for r in results)
    # Each note got a version of its own: none was counted over another.
    assert sorted(r.version for r in results) == [
        before + i for i in range(1, WRITERS + 1)
    ]
    ms = fresh(get_engine(app), ModeratedSession, running.session_id)
    assert ms.version == before + WRITERS
    with Session(get_engine(app)) as db:
        assert len(db.exec(select(SessionNote)).all()) == WRITERS


def _press_next_in_a_process(
    database_url: str, session_id: int, index: int, go: Any, answers: Any
) -> None:
    """One app process whose moderator tabs all press "next" (a child process)."""
    engine = make_engine(database_url)
    tabs = 3
    warm = [Session(engine, expire_on_commit=False) for _ in range(tabs)]
    try:
        for db in warm:
            db.exec(select(ModeratedSession)).first()  # connected before the race
            db.rollback()
        go.wait(60)

        def press(tab: int) -> tuple[bool, str | None]:
            result = m.control(
                warm[tab],
                session_id,
                action_id=f"next-proc-{index:02d}-{tab:02d}",
                kind="next",
                from_step="task:0",
            )
            return result.applied, result.step

        for outcome in race(tabs, press):
            answers.put(
                repr(outcome) if isinstance(outcome, BaseException) else outcome
            )
    except BaseException as exc:  # pragma: no cover - reported by the parent
        answers.put(repr(exc))
    finally:
        for db in warm:
            db.close()
        engine.dispose()


def test_moderators_in_separate_processes_move_the_participant_once(
    app: Flask, session: Session, running: Running, database_url: str
) -> None:
    judged_first_task(session, running)
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    answers = context.Queue()
    count = 3
    processes = [
        context.Process(
            target=_press_next_in_a_process,
            args=(database_url, running.session_id, i, go, answers),
        )
        for i in range(count)
    ]
    for proc in processes:
        proc.start()
    try:
        # Let every process import and connect before releasing them together.
        threading.Event().wait(4.0)
        go.set()
        results = [answers.get(timeout=60) for _ in range(count * 3)]
    finally:
        for proc in processes:
            proc.join(timeout=30)
    assert all(isinstance(r, tuple) for r in results), results
    assert [applied for applied, _step in results].count(True) == 1, results
    assert {step for _applied, step in results} == {"seq:0"}
    assert fresh(get_engine(app), Participant, running.participant_id).step == "seq:0"


# ------------------------------------------------------------------ studies


def test_concurrent_new_open_links_leave_exactly_one_working(
    app: Flask, session: Session, engines: list[Engine]
) -> None:
    """Researchers asking for a new open link at once (a double click, two
    tabs) each get a page, and afterwards exactly one open link works.
    """
    study = make_study(session, "participant_study.yaml")
    old = invite_token(new_open_link(session, study, SECRET), SECRET)

    def regenerate(i: int) -> str:
        with Session(engines[i], expire_on_commit=False) as db:
            mine = db.get(Study, study.id)
            assert mine is not None
            return invite_token(new_open_link(db, mine, SECRET), SECRET)

    for _round in range(5):
        shown = no_errors(race(WRITERS, regenerate))
        with Session(get_engine(app)) as db:
            working = [
                invite_token(invite, SECRET)
                for invite in db.exec(
                    select(Invite).where(
                        Invite.study_id == study.id,
                        Invite.kind == InviteKind.open,
                        col(Invite.revoked_at).is_(None),
                    )
                ).all()
            ]
        assert len(working) == 1, working
        assert working[0] in shown and old not in working
    with Session(get_engine(app), expire_on_commit=False) as db:
        for token in {old, *shown} - set(working):
            with pytest.raises(TokenError):
                p.enter_with_invite(db, token, secret=SECRET)
        entry = p.enter_with_invite(db, working[0], secret=SECRET)
        assert entry.slug == study.slug


def test_invites_are_not_made_for_a_study_closed_meanwhile(
    app: Flask, session: Session
) -> None:
    study = make_study(session, "participant_study.yaml")
    with Session(get_engine(app), expire_on_commit=False) as other:
        theirs = other.get(Study, study.id)
        assert theirs is not None
        change_status(other, theirs, "close")
    assert study.status == StudyStatus.live  # this page was loaded before the close
    with pytest.raises(StudyStateError, match="closed"):
        make_invites(session, study, 3, SECRET)
    with Session(get_engine(app)) as db:
        kinds = Counter(i.kind for i in db.exec(select(Invite)).all())
    assert kinds[InviteKind.single] == 0
