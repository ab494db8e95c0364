"""Moderated sessions without HTTP: scheduling, controls, notes, timeline, exports."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from uxlab import moderation as m
from uxlab import participation
from uxlab.accounts import create_researcher
from uxlab.db import get_engine
from uxlab.errors import NotFoundError, StudyStateError, UxlabError
from uxlab.management import create_study_from_template, create_study_from_text
from uxlab.models import (
    Event,
    JudgedBy,
    ModeratedSession,
    Outcome,
    Participant,
    SessionNote,
    Study,
    StudyStatus,
    TaskAttempt,
    utcnow,
)

TEMPLATES = Path(__file__).parent.parent / "study_templates"
SECRET = "test-secret"


@dataclass
class World:
    study: Study
    ms: ModeratedSession
    moderator: m.Author
    researcher_id: int


def moderated_study(session: Session, email: str = "mod@example.com") -> Study:
    researcher = create_researcher(session, email=email, password="long enough pw")
    assert researcher.id is not None
    study = create_study_from_template(
        session, TEMPLATES, "moderated-think-aloud.yaml", owner_id=researcher.id
    )
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    return study


def join(session: Session, ms: ModeratedSession) -> Participant:
    """The participant opens their link and agrees to take part."""
    token = m.participant_link_token(session, ms, SECRET)
    entry = participation.enter_with_invite(session, token, secret=SECRET)
    participation.give_consent(session, entry.slug, entry.token, step="consent")
    found = m.session_participant(session, ms)
    assert found is not None
    session.refresh(found)
    return found


@pytest.fixture(name="world")
def world_fixture(session: Session) -> World:
    study = moderated_study(session)
    ms = m.schedule_session(
        session,
        study,
        label="P1 (Ana)",
        scheduled_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        secret=SECRET,
    )
    return World(study, ms, m.moderator(study.researcher_id, "Mo"), study.researcher_id)


def act(session: Session, ms: ModeratedSession, action_id: str, kind: str, **kw):  # type: ignore[no-untyped-def]
    assert ms.id is not None
    return m.control(session, ms.id, action_id=action_id, kind=kind, **kw)


def note(session: Session, w: World, note_id: str, **kw):  # type: ignore[no-untyped-def]
    assert w.ms.id is not None
    fields = {"op": "create", "tag": "q", "text": "a note"} | kw
    return m.write_note(
        session,
        w.ms.id,
        kw.pop("author", w.moderator),
        note_id=note_id,
        **{k: v for k, v in fields.items() if k != "author"},
    )


def task_ids(session: Session, w: World) -> list[int]:
    participant = m.session_participant(session, w.ms)
    assert participant is not None
    return list(participant.task_order)


# -------------------------------------------------------------- scheduling


def test_scheduling_makes_an_invite_bound_to_the_session_and_an_observer_link(
    session: Session, world: World
) -> None:
    ms = world.ms
    assert ms.label == "P1 (Ana)" and ms.version == 0 and ms.started_at is None
    assert m.session_participant(session, ms) is None
    links = m.observers(session, ms)
    assert [o.name for o in links] == ["Observers"]
    # The observer link's token is derived again, never stored.
    token = m.observer_token(links[0], SECRET)
    assert links[0].token_hash != token
    assert m.observer_by_token(session, token)[0].id == ms.id
    participant = join(session, ms)
    assert participant.step == "task:0"
    assert m.session_participant(session, ms) == participant
    # Opening the link again resumes the same participant.
    token = m.participant_link_token(session, ms, SECRET)
    participation.enter_with_invite(session, token, secret=SECRET)
    assert session.exec(select(Participant)).all() == [participant]


def test_only_moderated_studies_have_sessions(session: Session) -> None:
    researcher = create_researcher(session, email="u@example.com", password="x" * 12)
    assert researcher.id is not None
    study = create_study_from_text(
        session, "title: Unmoderated\nquestionnaires: [sus]\n", owner_id=researcher.id
    )
    with pytest.raises(StudyStateError, match="only moderated studies"):
        m.schedule_session(session, study, label="P", scheduled_at=None, secret=SECRET)


@pytest.mark.parametrize("label", ["", "   ", "x" * 201])
def test_schedule_rejects_a_bad_label(session: Session, label: str) -> None:
    study = moderated_study(session)
    with pytest.raises(UxlabError, match="label"):
        m.schedule_session(
            session, study, label=label, scheduled_at=None, secret=SECRET
        )


def test_unknown_observer_token_and_other_studys_session_are_not_found(
    session: Session, world: World
) -> None:
    with pytest.raises(NotFoundError):
        m.observer_by_token(session, "nope")
    other = moderated_study(session, "other@example.com")
    assert world.ms.id is not None
    with pytest.raises(NotFoundError):
        m.owned_session(session, other, world.ms.id)
    extra = m.add_observer(session, world.ms, name="Priya (PM)", secret=SECRET)
    assert m.observer_by_token(session, m.observer_token(extra, SECRET))[1] == extra


# ---------------------------------------------------------------- controls


def test_controls_wait_for_the_participant_and_their_consent(
    session: Session, world: World
) -> None:
    with pytest.raises(m.ControlRefusedError, match="not opened their link"):
        act(session, world.ms, "action-0001", "next")
    token = m.participant_link_token(session, world.ms, SECRET)
    participation.enter_with_invite(session, token, secret=SECRET)
    with pytest.raises(m.ControlRefusedError, match="not agreed"):
        act(session, world.ms, "action-0002", "next")


def test_moderator_drives_three_tasks_and_the_participant_answers_seq(
    session: Session, world: World
) -> None:
    ms = world.ms
    participant = join(session, ms)
    first, second, third = participant.task_order
    assert act(session, ms, "start-0001", "start", task_id=first).applied
    # The same action sent again (a retry, a second tab) is applied once.
    again = act(session, ms, "start-0001", "start", task_id=first)
    assert again.duplicate and again.applied
    with pytest.raises(m.ControlRefusedError, match="Judge this task"):
        act(session, ms, "next-00001", "next", from_step="task:0")
    act(session, ms, "judge-0001", "outcome", task_id=first, outcome="success")
    moved = act(session, ms, "next-00002", "next", from_step="task:0")
    assert moved.applied and moved.step == "seq:0"
    # A second tab pressing "next" from the step it saw changes nothing.
    stale = act(session, ms, "next-00003", "next", from_step="task:0")
    assert not stale.applied and stale.step == "seq:0"
    # The participant answers the SEQ themselves and goes on to task 2.
    slug = world.study.slug
    token = m.participant_link_token(session, ms, SECRET)
    entry = participation.enter_with_invite(session, token, secret=SECRET)
    assert (
        participation.save_answers(
            session, slug, entry.token, step="seq:0", answers={"seq.q1": "6"}
        )
        == []
    )
    act(session, ms, "start-0002", "start", task_id=second)
    act(
        session,
        ms,
        "judge-0002",
        "outcome",
        task_id=second,
        outcome="partial",
        reason="needed a hint",
    )
    act(session, ms, "next-00004", "next", from_step="task:1")
    # Skipping the SEQ unanswered needs the moderator's word, and says so.
    with pytest.raises(m.UnansweredError, match="0 of 1 answered"):
        act(session, ms, "next-00005", "next", from_step="seq:1")
    skipped = act(
        session, ms, "next-00005", "next", from_step="seq:1", confirm_partial=True
    )
    assert skipped.applied
    act(session, ms, "start-0003", "start", task_id=third)
    act(session, ms, "judge-0003", "outcome", task_id=third, outcome="failure")
    act(session, ms, "next-00006", "next", from_step="task:2")
    session.expire_all()
    attempts = {a.task_id: a for a in session.exec(select(TaskAttempt)).all()}
    assert [attempts[t].outcome for t in (first, second, third)] == [
        Outcome.success,
        Outcome.partial,
        Outcome.failure,
    ]
    assert {a.judged_by for a in attempts.values()} == {JudgedBy.moderator}
    assert attempts[second].outcome_reason == "needed a hint"
    assert [attempts[t].position for t in (first, second, third)] == [1, 2, 3]
    session.refresh(participant)
    assert participant.step == "seq:2" == participant.moderator_step
    session.refresh(ms)
    # Every applied action (not the duplicate, not the stale one) is one version,
    # and so is each of the participant's own moves: arriving, consenting and
    # answering the first SEQ.
    assert ms.version == 10 + 3
    assert ms.started_at is not None


def test_outcomes_can_be_corrected_but_keep_the_end_time(
    session: Session, world: World
) -> None:
    participant = join(session, world.ms)
    first = participant.task_order[0]
    act(session, world.ms, "start-0001", "start", task_id=first)
    act(session, world.ms, "judge-0001", "outcome", task_id=first, outcome="success")
    attempt = session.exec(select(TaskAttempt)).one()
    ended = attempt.ended_at
    same = act(
        session, world.ms, "judge-0002", "outcome", task_id=first, outcome="success"
    )
    assert not same.applied
    act(
        session,
        world.ms,
        "judge-0003",
        "outcome",
        task_id=first,
        outcome="partial",
        reason="took a hint",
    )
    session.refresh(attempt)
    assert attempt.outcome == Outcome.partial and attempt.ended_at == ended
    with pytest.raises(m.ControlRefusedError, match="judged already"):
        act(session, world.ms, "start-0002", "start", task_id=first)


def test_skip_needs_no_start_but_other_outcomes_do(
    session: Session, world: World
) -> None:
    first, second, _ = join(session, world.ms).task_order
    with pytest.raises(m.ControlRefusedError, match="Start the task first"):
        act(
            session, world.ms, "judge-0001", "outcome", task_id=first, outcome="failure"
        )
    with pytest.raises(m.ControlRefusedError, match="not reached"):
        act(
            session,
            world.ms,
            "judge-0002",
            "outcome",
            task_id=second,
            outcome="skipped",
        )
    with pytest.raises(m.ControlRefusedError, match="not on this task"):
        act(session, world.ms, "start-0001", "start", task_id=second)
    act(session, world.ms, "judge-0003", "outcome", task_id=first, outcome="skipped")
    attempt = session.exec(select(TaskAttempt)).one()
    assert attempt.outcome == Outcome.skipped and attempt.started_at is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action_id": "short", "kind": "next"}, "action_id"),
        ({"action_id": "x" * 65, "kind": "next"}, "action_id"),
        ({"action_id": "ok-action-1", "kind": "jump"}, "must be one of"),
        (
            {
                "action_id": "ok-action-1",
                "kind": "outcome",
                "task_id": 1,
                "outcome": "abandoned",
            },
            "outcome",
        ),
        ({"action_id": "ok-action-1", "kind": "start", "task_id": "1"}, "task_id"),
        ({"action_id": "ok-action-1", "kind": "start", "task_id": True}, "task_id"),
        (
            {
                "action_id": "ok-action-1",
                "kind": "outcome",
                "task_id": 1,
                "outcome": "success",
                "reason": 5,
            },
            "reason",
        ),
    ],
)
def test_bad_control_input_is_refused_before_anything_is_read(
    session: Session, world: World, fields: dict[str, object], message: str
) -> None:
    assert world.ms.id is not None
    with pytest.raises(UxlabError, match=message):
        m.control(session, world.ms.id, **fields)


def test_unknown_task_is_not_found(session: Session, world: World) -> None:
    join(session, world.ms)
    with pytest.raises(NotFoundError):
        act(session, world.ms, "start-0001", "start", task_id=99999)


def test_end_session_once(session: Session, world: World) -> None:
    assert act(session, world.ms, "end-000001", "end").applied
    assert not act(session, world.ms, "end-000002", "end").applied
    session.refresh(world.ms)
    assert world.ms.ended_at is not None and world.ms.version == 1


# ------------------------------------------------------------------- notes


def test_notes_are_stored_once_by_their_id_and_stamped(
    session: Session, world: World
) -> None:
    participant = join(session, world.ms)
    first = participant.task_order[0]
    result = note(session, world, "note-00001", text="  I'd click the logo  ")
    assert result.changed and result.note["text"] == "I'd click the logo"
    assert result.note["task_id"] == first  # the participant's current task
    assert result.note["mine"] and result.note["author"] == "Mo"
    again = note(session, world, "note-00001", text="a resend, changed")
    assert not again.changed and again.note["text"] == "I'd click the logo"
    assert len(session.exec(select(SessionNote)).all()) == 1
    session.refresh(world.ms)
    assert world.ms.started_at is not None  # the first note started the clock
    start = int(world.ms.started_at.replace(tzinfo=UTC).timestamp() * 1000)
    stamped = note(session, world, "note-00002", at_ms=start + 61_000)
    assert stamped.note["session_ms"] <= 61_000  # never later than its arrival
    old = note(session, world, "note-00003", at_ms=start - 5_000)
    assert old.note["session_ms"] == 0
    absurd = note(session, world, "note-00004", at_ms=10**15, task_id=True)
    assert absurd.note["session_ms"] >= 0 and absurd.note["task_id"] == first


def test_note_edits_name_their_version_and_stale_ones_are_refused(
    session: Session, world: World
) -> None:
    note(session, world, "note-00001", text="first")
    edited = note(session, world, "note-00001", op="edit", version=1, text="second")
    assert edited.changed and edited.note["version"] == 2
    # The same edit sent again is absorbed; an edit of version 1 with other text
    # is stale and answered with the latest note.
    assert not note(
        session, world, "note-00001", op="edit", version=1, text="second"
    ).changed
    with pytest.raises(m.StaleNoteError) as stale:
        note(session, world, "note-00001", op="edit", version=1, text="other tab")
    assert stale.value.latest["text"] == "second"
    assert stale.value.status == 409
    with pytest.raises(m.StaleNoteError):
        note(session, world, "note-00001", op="delete", version=1)
    deleted = note(session, world, "note-00001", op="delete", version=2)
    assert deleted.changed and deleted.note["deleted"]
    assert not note(session, world, "note-00001", op="delete", version=2).changed
    assert m.build_state(session, world.ms, world.moderator)["notes"] == []
    # Re-creating a deleted note (a late resend) does not bring it back.
    assert not note(session, world, "note-00001", text="first").changed
    with pytest.raises(NotFoundError, match="deleted"):
        note(session, world, "note-00001", op="edit", version=3, text="back")


def test_only_the_author_changes_a_note(session: Session, world: World) -> None:
    link = m.observers(session, world.ms)[0]
    watcher = m.observer(link)
    note(session, world, "note-00001", text="moderator's")
    with pytest.raises(m.NotYourNoteError):
        note(
            session, world, "note-00001", op="edit", version=1, text="x", author=watcher
        )
    with pytest.raises(m.NotYourNoteError):
        note(session, world, "note-00001", text="same id", author=watcher)
    mine = note(session, world, "note-00002", tag="i", text="idea", author=watcher)
    assert mine.note["author"] == "Observers" and mine.note["author_kind"] == "observer"
    state = m.build_state(session, world.ms, world.moderator)
    assert [n["mine"] for n in state["notes"]] == [True, False]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tag": "z"}, "tag"),
        ({"tag": None}, "tag"),
        ({"text": "   "}, "needs some text"),
        ({"text": None}, "needs some text"),
        ({"text": "x" * (m.MAX_NOTE + 1)}, "at most"),
        ({"op": "upsert"}, "op"),
        ({"op": "edit", "version": "1"}, "version"),
    ],
)
def test_bad_notes_are_refused(
    session: Session, world: World, fields: dict[str, object], message: str
) -> None:
    if fields.get("op") == "edit":
        note(session, world, "note-00001")
    with pytest.raises(UxlabError, match=message):
        note(session, world, "note-00001", **fields)


def test_custom_tags_come_from_the_study_file(world: World) -> None:
    assert m.session_tags(world.study) == {
        "q": "quote",
        "c": "confusion",
        "e": "error",
        "i": "idea",
        "p": "positive",
    }


def test_concurrent_resends_store_one_note(app: Flask, world: World) -> None:
    engine = get_engine(app)
    assert world.ms.id is not None
    session_id = world.ms.id
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                m.write_note(
                    db,
                    session_id,
                    world.moderator,
                    op="create",
                    note_id="race-note-1",
                    tag="e",
                    text="crash",
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as db:
        assert len(db.exec(select(SessionNote)).all()) == 1
        assert db.get(ModeratedSession, session_id).version == 1  # type: ignore[union-attr]


# ------------------------------------------------------- state and timeline


def test_state_shows_the_participant_and_the_current_task(
    session: Session, world: World
) -> None:
    state = m.build_state(session, world.ms, world.moderator)
    assert state["participant"] == {
        "present": False,
        "connected": False,  # no page of theirs has reached the server
        "seen_ms": None,
    }
    assert state["current_task"] is None and state["next_step"] is None
    participant = join(session, world.ms)
    assert participant.id is not None
    session.add_all(
        [
            Event(
                event_id="ev-page-1",
                participant_id=participant.id,
                type="page_view",
                url="http://shop/jackets",
            ),
            Event(
                event_id="ev-click-1",
                participant_id=participant.id,
                type="click",
                url="http://shop/jackets",
                payload={"selector": "button.add", "text": "Add to cart"},
            ),
        ]
    )
    session.commit()
    state = m.build_state(session, world.ms, world.moderator)
    p = state["participant"]
    assert p["consented"] and p["step"] == "task:0"
    assert p["step_label"] == "Task 1: Browse the jackets"
    assert p["last_page"]["url"] == "http://shop/jackets"
    assert p["last_click"]["label"] == "Add to cart"
    assert state["current_task"] == 0 and state["tasks"][0]["current"]
    assert state["next_step"] == {"step": "seq:0", "label": "Questions after task 1"}
    assert m.follow_state(session, participant) == {
        "version": 2,  # the participant arrived, then agreed
        "step": "task:0",
        "phase": "waiting",
        "ended": False,
    }


def test_timeline_puts_attempts_moves_events_and_notes_in_order(
    session: Session, world: World
) -> None:
    participant = join(session, world.ms)
    first = participant.task_order[0]
    act(session, world.ms, "start-0001", "start", task_id=first)
    assert participant.id is not None
    session.add(
        Event(
            event_id="ev-click-1",
            participant_id=participant.id,
            type="click",
            payload={"selector": "a.jackets"},
        )
    )
    session.commit()
    note(session, world, "note-00001", tag="c", text="hesitates")
    act(session, world.ms, "judge-0001", "outcome", task_id=first, outcome="success")
    act(session, world.ms, "next-00001", "next", from_step="task:0")
    kinds = [item.kind for item in m.timeline(session, world.ms)]
    assert kinds == ["consent", "start", "click", "note", "outcome", "step"]
    items = m.timeline(session, world.ms)
    assert items[3].label == "Confusion" and items[3].task == "Browse the jackets"
    assert items[4].label == "Task 1: success (judged by moderator)"
    assert items[5].label == "Moved on to: Questions after task 1"
    assert [i.ms for i in items[1:]] == sorted(i.ms for i in items[1:])
    assert items[1].ms == 0  # the start of the first task started the clock


def test_notes_grouped_by_tag_and_task_and_exported(
    session: Session, world: World
) -> None:
    participant = join(session, world.ms)
    first, second, _ = participant.task_order
    note(
        session, world, "note-00001", tag="q", text="=cmd|' /C calc'!A0", task_id=second
    )
    note(session, world, "note-00002", tag="q", text="nice colours", task_id=first)
    note(session, world, "note-00003", tag="p", text="fast", task_id=first)
    note(session, world, "note-00004", tag="e", text="gone", task_id=first)
    note(session, world, "note-00004", op="delete", version=1)
    groups = m.notes_by_tag(session, world.study)
    assert [(g.tag, g.count) for g in groups] == [("q", 2), ("p", 1)]
    assert [t.task_title for t in groups[0].tasks] == [
        "Browse the jackets",
        "Add a jacket to your cart",
    ]
    rows = list(
        csv.DictReader(io.StringIO(m.notes_csv(m.study_notes(session, world.study))))
    )
    assert len(rows) == 3
    assert {r["text"] for r in rows} == {"'=cmd|' /C calc'!A0", "nice colours", "fast"}
    assert {r["participant"] for r in rows} == {participant.code}
    assert rows[0]["session_label"] == "P1 (Ana)"


def test_list_sessions_counts_judged_tasks_and_notes(
    session: Session, world: World
) -> None:
    later = m.schedule_session(
        session,
        world.study,
        label="P2",
        secret=SECRET,
        scheduled_at=datetime(2026, 12, 2, tzinfo=UTC),
    )
    participant = join(session, world.ms)
    act(
        session,
        world.ms,
        "judge-0001",
        "outcome",
        task_id=participant.task_order[0],
        outcome="skipped",
    )
    note(session, world, "note-00001")
    rows = m.list_sessions(session, world.study)
    assert [r.session.id for r in rows] == [world.ms.id, later.id]
    assert (rows[0].judged, rows[0].notes, rows[0].state) == (1, 1, "running")
    assert (rows[1].judged, rows[1].notes, rows[1].state) == (0, 0, "scheduled")


def test_deleting_a_draft_study_deletes_its_sessions(session: Session) -> None:
    from uxlab.management import delete_study

    study = moderated_study(session)
    study.status = StudyStatus.draft
    session.add(study)
    session.commit()
    ms = m.schedule_session(session, study, label="P", scheduled_at=None, secret=SECRET)
    note_world = World(study, ms, m.moderator(study.researcher_id), 0)
    note(session, note_world, "note-00001")
    delete_study(session, study)
    session.expire_all()
    assert session.exec(select(ModeratedSession)).all() == []
    assert session.exec(select(SessionNote)).all() == []


def test_changes_wake_waiting_streams() -> None:
    seen = m.CHANGES.count
    woke: list[int] = []
    waiter = threading.Thread(target=lambda: woke.append(m.CHANGES.wait(seen, 5.0)))
    waiter.start()
    m.CHANGES.notify()
    waiter.join(timeout=5)
    assert woke and woke[0] != seen
    started = utcnow()
    assert m.CHANGES.wait(m.CHANGES.count, 0.01) == m.CHANGES.count
    assert utcnow() - started < timedelta(seconds=2)


def test_tasks_a_moderator_judged_are_not_flagged_as_never_leaving_the_page(
    session: Session, world: World
) -> None:
    """The study records no site events: the moderator watched the task."""
    from uxlab.analysis import analyse_study

    participant = join(session, world.ms)
    first, second = participant.task_order[:2]
    act(session, world.ms, "start-0001", "start", task_id=first)
    act(session, world.ms, "judge-0001", "outcome", task_id=first, outcome="success")
    act(session, world.ms, "next-00001", "next", from_step="task:0")
    act(
        session,
        world.ms,
        "next-00002",
        "next",
        from_step="seq:0",
        confirm_partial=True,
    )
    act(session, world.ms, "skip-00001", "outcome", task_id=second, outcome="skipped")
    report = analyse_study(session, world.study)
    flags = {f.kind for p in report.flagged for f in p.flags}
    assert "never_left_task_page" not in flags


def test_a_participant_who_withdraws_leaves_no_moves_on_the_timeline(
    session: Session, world: World
) -> None:
    participant = join(session, world.ms)
    act(session, world.ms, "start-0001", "start", task_id=participant.task_order[0])
    act(session, world.ms, "judge-0001", "outcome", task_id=participant.task_order[0],
        outcome="success")  # fmt: skip
    act(session, world.ms, "next-00001", "next", from_step="task:0")
    token = m.participant_link_token(session, world.ms, SECRET)
    entry = participation.enter_with_invite(session, token, secret=SECRET)
    participation.save_answers(
        session, world.study.slug, entry.token, step="seq:0", answers={"seq.q1": "5"}
    )
    mine = [i.label for i in m.timeline(session, world.ms) if i.actor == "participant"]
    assert mine == ["Consent given", "Answered: Questions after task 1"]

    assert participation.withdraw(session, world.study.slug, entry.token)
    session.expire_all()
    left = m.timeline(session, world.ms)
    assert [i for i in left if i.actor == "participant"] == []
    assert [i.kind for i in left] == ["step"]  # the moderator's own move stays
