"""The ingest service: exactly-once storage, binding, auto success, completeness."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from uxlab import recorder
from uxlab.db import dialect_name
from uxlab.errors import StudyStateError, TokenError
from uxlab.models import (
    Event,
    JudgedBy,
    Outcome,
    Participant,
    Researcher,
    Study,
    StudyStatus,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.recorder.base import _aware
from uxlab.studies import import_study, parse_study
from uxlab.tokens import hash_token, new_code, new_token

STATIC = Path(__file__).resolve().parent.parent / "static"

STUDY = """
title: Recorder study
tasks:
  - id: cart
    title: Find the cart
    start_url: /static/demo-shop/index.html
    success: {url_matches: "/static/demo-shop/cart\\\\.html"}
    time_limit_s: 300
  - id: confirm
    title: Place the order
    start_url: /static/demo-shop/cart.html
    success: {element: "#order-confirmation"}
  - id: returns
    title: Returns
    success: self_report
after_each_task: [seq]
allowed_origins: ["http://shop.example.com"]
"""


@dataclass(slots=True)
class Seeded:
    study: Study
    participant: Participant
    attempts: dict[str, TaskAttempt]
    tokens: dict[str, str]


def seed(
    session: Session,
    *,
    text: str = STUDY,
    participants: int = 1,
    email: str | None = None,
) -> list[Seeded]:
    """A live study and participants who have started every task."""
    # No password hashing here: scrypt would cost a second per test.
    owner = Researcher(
        email=email or f"r{uuid.uuid4().hex[:8]}@example.org", password_hash="x"
    )
    session.add(owner)
    session.flush()
    study = import_study(
        session, parse_study(text), owner=owner, source_text=text, publish=True
    )
    tasks = session.exec(
        select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
    ).all()
    out = []
    if participants == 0:
        session.commit()
        return [Seeded(study, Participant(), {}, {})]
    for _ in range(participants):
        participant = Participant(
            study_id=study.id,  # type: ignore[arg-type]
            token_hash=hash_token(new_token()),
            code=new_code(),
            task_order=[t.id for t in tasks],  # type: ignore[misc]
            consented_at=utcnow(),
            started_at=utcnow(),
            step="task:0",
        )
        session.add(participant)
        session.flush()
        attempts, tokens = {}, {}
        for position, task in enumerate(tasks, start=1):
            token = new_token()
            attempt = TaskAttempt(
                participant_id=participant.id,  # type: ignore[arg-type]
                task_id=task.id,  # type: ignore[arg-type]
                position=position,
                token_hash=hash_token(token),
                started_at=utcnow(),
            )
            session.add(attempt)
            attempts[task.key], tokens[task.key] = attempt, token
        out.append(Seeded(study, participant, attempts, tokens))
    session.commit()
    return out


def event(type_: str = "click", seq: int = 1, **extra: Any) -> dict[str, Any]:
    data = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "type": type_,
        "ts": 1_760_000_000_000 + seq,
        "url": "http://shop.example.com/index.html",
        "data": {"x": 10, "y": 20, "selector": "main > a"},
    }
    data.update(extra)
    return data


def count(session: Session, event_id: str) -> int:
    return session.exec(
        select(func.count()).select_from(Event).where(Event.event_id == event_id)
    ).one()


@pytest.mark.reliability
def test_batch_stored_once_and_resend_absorbed(session: Session) -> None:
    s = seed(session)[0]
    batch = [event(seq=i) for i in range(1, 21)]
    first = recorder.ingest(session, s.tokens["cart"], batch)
    assert first.stored == 20 and first.duplicates == 0
    assert sorted(first.acked) == sorted(e["id"] for e in batch)
    again = recorder.ingest(session, s.tokens["cart"], batch + [batch[0]])
    assert again.stored == 0 and again.duplicates == 21
    assert set(again.acked) == {e["id"] for e in batch}
    for e in batch:
        assert count(session, e["id"]) == 1
    stats = recorder.completeness(session, [s.attempts["cart"].id])  # type: ignore[list-item]
    c = stats[s.attempts["cart"].id]  # type: ignore[index]
    assert (c.events, c.missing, c.duplicates, c.rejected) == (20, 0, 21, 0)
    assert c.complete


@pytest.mark.reliability
def test_one_malformed_event_costs_only_itself(session: Session) -> None:
    s = seed(session)[0]
    good = [event(seq=i) for i in range(1, 50)]
    bad = event(seq=50, type="keystroke")
    result = recorder.ingest(session, s.tokens["cart"], [*good[:20], bad, *good[20:]])
    assert result.stored == 49
    assert [(r.id, r.reason) for r in result.rejected] == [(bad["id"], "bad_type")]
    assert count(session, bad["id"]) == 0


def test_a_nul_in_a_url_costs_only_its_event(session: Session) -> None:
    """PostgreSQL text cannot hold NUL: the event is refused, the rest stored."""
    s = seed(session)[0]
    good = [event(seq=i) for i in range(3)]
    bad = event(seq=3, url="https://shop.example.com/cart\x00.html")
    result = recorder.ingest(session, s.tokens["cart"], [*good, bad])
    assert result.stored == 3
    assert [(r.id, r.reason) for r in result.rejected] == [(bad["id"], "bad_url")]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "bad_id"),
        ({"id": "short"}, "bad_id"),
        ({"seq": -1}, "bad_seq"),
        ({"seq": "3"}, "bad_seq"),
        ({"seq": True}, "bad_seq"),
        ({"ts": "yesterday"}, "bad_ts"),
        ({"ts": 1e20}, "bad_ts"),
        ({"url": 5}, "bad_url"),
        ({"url": "https://shop.example.com/\x00"}, "bad_url"),
        ({"url": "x" * 2001}, "too_large"),
        ({"data": [1]}, "bad_data"),
        ({"data": {"selector": "div " * 2600}}, "too_large"),
        ({"data": {"blob": ["x" * 1000] * 10}}, "too_large"),
        ({"data": {"text": "caf\udce9"}}, "invalid_utf8"),
        ({"data": {"x": float("nan")}}, "bad_data"),
        ({"data": {"x": [float("-inf")]}}, "bad_data"),
        ({"keys": "hunter2"}, "unknown_field"),
    ],
)
@pytest.mark.reliability
def test_each_malformed_event_is_named(change: dict[str, Any], reason: str) -> None:
    raw = event()
    raw.update(change)
    checked = recorder.validate_event(raw)
    assert isinstance(checked, recorder.Rejected)
    assert checked.reason == reason


@pytest.mark.reliability
def test_invalid_utf8_bytes_reject_only_their_event() -> None:
    good = event()
    body = (
        b'{"events": [' + json.dumps(good).encode() + b', {"id": "abcdefgh-12", '
        b'"seq": 2, "type": "click", "data": {"text": "caf\xe9 \xff"}}]}'
    )
    events = recorder.parse_batch(body)
    checked = [recorder.validate_event(e, i) for i, e in enumerate(events)]
    assert not isinstance(checked[0], recorder.Rejected)
    assert isinstance(checked[1], recorder.Rejected)
    assert checked[1].reason == "invalid_utf8"


def test_nan_in_data_rejects_only_its_event(session: Session) -> None:
    """Python's parser reads NaN, which JSON and PostgreSQL's json type have not."""
    s = seed(session)[0]
    good = event(seq=1)
    body = (
        b'{"events": [' + json.dumps(good).encode() + b', {"id": "abcdefgh-12", '
        b'"seq": 2, "type": "click", "data": {"x": NaN}}]}'
    )
    result = recorder.ingest(session, s.tokens["cart"], recorder.parse_batch(body))
    assert result.acked == [good["id"]]
    assert [(r.id, r.reason) for r in result.rejected] == [("abcdefgh-12", "bad_data")]


@pytest.mark.reliability
def test_spoofed_ids_are_rejected_and_other_data_untouched(session: Session) -> None:
    a, b = seed(session, participants=2)
    theirs = event(seq=1)
    recorder.ingest(session, b.tokens["cart"], [theirs])
    own_ids = event(
        seq=1,
        participant_id=a.participant.id,
        attempt_id=a.attempts["cart"].id,
    )
    spoofed = [
        event(seq=2, participant_id=b.participant.id),
        event(seq=3, attempt_id=b.attempts["cart"].id),
        event(seq=4, study_id=a.study.id + 1),  # type: ignore[operator]
        dict(theirs, seq=5),  # another recording's event id
    ]
    result = recorder.ingest(session, a.tokens["cart"], [own_ids, *spoofed])
    assert result.acked == [own_ids["id"]]
    assert [r.reason for r in result.rejected] == ["foreign_id"] * 3 + ["id_conflict"]
    row = session.exec(select(Event).where(Event.event_id == theirs["id"])).one()
    assert row.attempt_id == b.attempts["cart"].id and row.seq == 1
    stored = session.exec(select(Event).where(Event.event_id == own_ids["id"])).one()
    assert stored.participant_id == a.participant.id
    assert stored.payload == own_ids["data"] and stored.client_ts is not None
    assert _aware(stored.client_ts).timestamp() == own_ids["ts"] / 1000
    session.refresh(a.attempts["cart"])
    assert a.attempts["cart"].rejected_events == 4


@pytest.mark.reliability
def test_bad_token_and_closed_study(session: Session) -> None:
    s = seed(session)[0]
    with pytest.raises(TokenError):
        recorder.ingest(session, "not-a-token", [event()])
    s.study.status = StudyStatus.closed
    session.add(s.study)
    session.commit()
    with pytest.raises(StudyStateError) as info:
        recorder.ingest(session, s.tokens["cart"], [event()])
    assert info.value.code == "study_closed"
    assert session.exec(select(func.count()).select_from(Event)).one() == 0


def test_url_success_is_verified_on_the_server(session: Session) -> None:
    s = seed(session)[0]
    token = s.tokens["cart"]
    claim = event("task_success", seq=1, url="http://shop.example.com/jackets.html")
    result = recorder.ingest(session, token, [claim])
    assert result.attempt.open  # the URL does not match: not a success
    real = event(
        "task_success", seq=2, url="http://shop.example.com/static/demo-shop/cart.html"
    )
    result = recorder.ingest(session, token, [real])
    assert not result.attempt.open
    attempt = session.get(TaskAttempt, s.attempts["cart"].id)
    session.refresh(attempt)
    assert attempt is not None
    assert attempt.outcome == Outcome.success and attempt.judged_by == JudgedBy.auto
    assert attempt.outcome_event_at is not None
    assert _aware(attempt.outcome_event_at).timestamp() == pytest.approx(
        real["ts"] / 1000
    )
    participant = session.get(Participant, s.participant.id)
    session.refresh(participant)
    assert participant is not None and participant.step == "seq:0"


def test_element_success_and_self_report_is_never_auto(session: Session) -> None:
    s = seed(session)[0]
    done = recorder.ingest(session, s.tokens["confirm"], [event("task_success")])
    assert done.attempt.outcome == "success"
    kept = recorder.ingest(session, s.tokens["returns"], [event("task_success")])
    assert kept.attempt.open


def test_time_limit_ends_the_attempt_as_timed_out(session: Session) -> None:
    s = seed(session)[0]
    attempt = s.attempts["cart"]
    attempt.started_at = utcnow() - timedelta(seconds=301)
    session.add(attempt)
    session.commit()
    state = recorder.attempt_state(session, s.tokens["cart"])
    assert not state.open and state.outcome == "timed_out"
    session.refresh(attempt)
    assert attempt.judged_by == JudgedBy.auto
    assert attempt.duration_s == pytest.approx(300, abs=1)
    # Leftovers still land for a while, then the token answers 410.
    late = recorder.ingest(session, s.tokens["cart"], [event()])
    assert late.stored == 1
    with pytest.raises(recorder.AttemptEndedError):
        recorder.ingest(
            session,
            s.tokens["cart"],
            [event()],
            now=utcnow() + recorder.ENDED_GRACE + timedelta(minutes=1),
        )


def test_state_carries_criterion_in_javascript_spelling(session: Session) -> None:
    text = STUDY.replace("cart\\\\.html", "(?P<page>cart)\\\\.html")
    s = seed(session, text=text)[0]
    state = recorder.attempt_state(session, s.tokens["cart"]).as_json()
    assert state["criterion"] == {
        "kind": "url_matches",
        "value": "/static/demo-shop/(?<page>cart)\\.html",
    }
    assert 0 < state["time_left_s"] <= 300
    assert (
        recorder.attempt_state(session, s.tokens["returns"]).as_json()["criterion"]
        is None
    )


def test_origin_check() -> None:
    recorder.check_origin(["http://shop.example.com"], None)
    recorder.check_origin(["http://shop.example.com"], "http://SHOP.example.com")
    recorder.check_origin([], "http://127.0.0.1:5000", own=["http://127.0.0.1:5000"])
    with pytest.raises(recorder.OriginNotAllowedError):
        recorder.check_origin(["http://shop.example.com"], "http://evil.example")
    with pytest.raises(recorder.OriginNotAllowedError):
        recorder.check_origin(["http://shop.example.com"], "null")


def test_completeness_reports_gaps(session: Session) -> None:
    s = seed(session)[0]
    recorder.ingest(session, s.tokens["cart"], [event(seq=i) for i in (1, 2, 5, 9)])
    c = recorder.completeness(session, [s.attempts["cart"].id])[  # type: ignore[list-item]
        s.attempts["cart"].id  # type: ignore[index]
    ]
    assert c.gaps == [(3, 4), (6, 8)] and c.missing == 5 and not c.complete


@pytest.mark.reliability
def test_concurrent_batches_never_lock(app: Any) -> None:
    from uxlab.db import get_engine

    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as session:
        seeded = seed(session, participants=8)
    sent: list[str] = []
    errors: list[BaseException] = []

    def participant(s: Seeded) -> None:
        try:
            with Session(engine, expire_on_commit=False) as own:
                for n in range(10):
                    batch = [event(seq=n * 20 + i) for i in range(1, 21)]
                    sent.extend(e["id"] for e in batch)
                    recorder.ingest(own, s.tokens["cart"], batch)
                    recorder.ingest(own, s.tokens["cart"], batch[:5])  # a resend
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=participant, args=(s,)) for s in seeded]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(Event)).one()
        distinct = session.exec(select(func.count(func.distinct(Event.event_id)))).one()
    assert total == distinct == len(sent) == 1600


@pytest.mark.reliability
def test_a_batch_sent_to_two_processes_at_once_is_stored_once(
    app: Any, database_url: str
) -> None:
    """A retry that lands on another app process while the first is storing it.

    Each process has its own engine (its own pool and write lock); both get
    every id acknowledged, and each event is stored once.
    """
    from uxlab.db import get_engine, make_engine

    engines = [get_engine(app), make_engine(database_url)]
    with Session(engines[0], expire_on_commit=False) as session:
        people = seed(session, participants=6)
    batches = {
        s.tokens["cart"]: [
            [event(seq=n * 50 + i) for i in range(1, 51)] for n in range(4)
        ]
        for s in people
    }
    results: dict[tuple[str, int, int], Any] = {}

    def process(k: int, token: str, turns: threading.Barrier) -> None:
        for n, batch in enumerate(batches[token]):
            turns.wait(timeout=30)
            try:
                # The second sends the events in the other order: writes that
                # took their ids' row locks in the order sent would deadlock.
                outcome = recorder.ingest_many(
                    engines[k], [recorder.Batch(token, batch[:: 1 - 2 * k])]
                )
                results[token, n, k] = outcome[0]
            except BaseException as exc:  # pragma: no cover - reported below
                results[token, n, k] = exc

    threads = []
    for token in batches:
        turns = threading.Barrier(2)
        threads += [
            threading.Thread(target=process, args=(k, token, turns)) for k in (0, 1)
        ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engines[1].dispose()

    for token, sent in batches.items():
        for n, batch in enumerate(sent):
            pair = [results[token, n, k] for k in (0, 1)]
            assert all(isinstance(r, recorder.IngestResult) for r in pair), pair
            ids = {e["id"] for e in batch}
            assert all(set(r.acked) == ids for r in pair)
            assert sum(r.stored for r in pair) == sum(r.duplicates for r in pair) == 50
    with Session(engines[0]) as session:
        total = session.exec(select(func.count()).select_from(Event)).one()
        distinct = session.exec(select(func.count(func.distinct(Event.event_id)))).one()
    assert total == distinct == 6 * 4 * 50


def test_an_id_stored_meanwhile_is_settled_by_the_attempt_that_holds_it(
    app: Any, database_url: str
) -> None:
    """Another process stores two of a batch's ids while this write waits for it.

    The one stored for the same attempt is acknowledged as a duplicate, the one
    stored for another attempt is rejected, and the rest of the batch is stored.
    """
    from uxlab.db import begin_write, get_engine, make_engine

    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as session:
        a, b = seed(session, participants=2)
    mine, theirs, new = event(seq=1), event(seq=2), event(seq=3)
    other = make_engine(database_url)
    outcome: list[Any] = []
    with Session(other) as held:
        if dialect_name(held) == "sqlite":
            begin_write(held)  # the write lock, as another process's write
        for raw, s in ((mine, a), (theirs, b)):
            held.add(
                Event(
                    event_id=raw["id"],
                    participant_id=s.participant.id,  # type: ignore[arg-type]
                    attempt_id=s.attempts["cart"].id,
                    type="click",
                    seq=raw["seq"],
                )
            )
        held.flush()
        writer = threading.Thread(
            target=lambda: outcome.append(
                recorder.ingest_many(
                    engine, [recorder.Batch(a.tokens["cart"], [new, theirs, mine])]
                )[0]
            )
        )
        writer.start()
        if dialect_name(held) == "postgresql":
            # The write now waits for this transaction's rows (on SQLite it
            # waits for the write lock, to begin).
            waiting = 0
            for _ in range(200):
                waiting = (
                    held.connection()
                    .exec_driver_sql("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    .scalar_one()
                )
                if waiting:
                    break
                writer.join(timeout=0.05)
            assert waiting
        held.commit()
    writer.join(timeout=30)
    other.dispose()

    [result] = outcome
    assert isinstance(result, recorder.IngestResult)
    assert (result.stored, result.duplicates) == (1, 1)
    assert result.acked == [new["id"], mine["id"]]
    assert [(r.id, r.reason) for r in result.rejected] == [
        (theirs["id"], "id_conflict")
    ]
    with Session(engine) as session:
        for raw, s in ((mine, a), (theirs, b), (new, a)):
            row = session.exec(select(Event).where(Event.event_id == raw["id"])).one()
            assert row.attempt_id == s.attempts["cart"].id


def test_stored_events_read_back_as_sent(session: Session) -> None:
    """Text that needs escaping, nested data and a missing client time."""
    s = seed(session)[0]
    odd = 'http://shop.example.com/a "b"\\c\n\td?q=\u00e9&x=\U0001f600<\x01>'
    data: dict[str, Any] = {
        "text": 'quote " backslash \\ newline \n tab \t \x7f \u2028',
        "nested": {"list": [1, 2.5, -3e-7, None, True, "\u00e9\U0001f600"]},
        "selector": "main > a[href='/x']",
        "empty": {},
        "nul": "a\x00b",  # PostgreSQL's json keeps it; its text types cannot
    }
    events = [  # markers: a click without a position would be refused
        event("marker", seq=1, url=odd, data=data),
        event("marker", seq=0, ts=None, url="", data={}),
        event("marker", seq=2**31 - 1, data=None),
    ]
    result = recorder.ingest(session, s.tokens["cart"], events)
    assert result.stored == 3 and not result.rejected
    rows = {
        row.event_id: row
        for row in session.exec(
            select(Event).where(col(Event.event_id).in_([e["id"] for e in events]))
        )
    }
    for raw in events:
        row = rows[raw["id"]]
        assert (row.url, row.seq, row.type) == (raw["url"], raw["seq"], raw["type"])
        assert row.payload == (raw["data"] or {})
        assert row.participant_id == s.participant.id
        if raw["ts"] is None:
            assert row.client_ts is None
        else:
            assert row.client_ts is not None
            assert _aware(row.client_ts).timestamp() == raw["ts"] / 1000


def test_batches_written_together_each_get_their_own_outcome(
    session: Session,
) -> None:
    """One transaction for many batches; each is answered as if it came alone."""
    a, b = seed(session, participants=2)
    closed = seed(session)[0]
    closed.study.status = StudyStatus.closed
    session.add(closed.study)
    session.commit()
    first = [event(seq=i) for i in (1, 2, 3)]
    resent = [first[0], event(seq=4)]  # a retry racing its own beacon
    theirs = dict(first[1])  # b names an id a has just stored
    engine = session.get_bind()

    outcomes = recorder.ingest_many(
        engine,  # type: ignore[arg-type]
        [
            recorder.Batch(a.tokens["cart"], first, origin="http://shop.example.com"),
            recorder.Batch("not-a-token", [event()]),
            recorder.Batch(a.tokens["cart"], resent),
            recorder.Batch(b.tokens["cart"], [theirs, event(seq=1)]),
            recorder.Batch(a.tokens["cart"], [event()], origin="http://evil.example"),
            recorder.Batch(closed.tokens["cart"], [event()]),
            recorder.Batch(b.tokens["confirm"], [{"id": "short"}, event()]),
        ],
    )

    ok_a, bad, again, ok_b, foreign, gone, mixed = outcomes
    assert isinstance(ok_a, recorder.IngestResult) and ok_a.stored == 3
    assert isinstance(bad, TokenError)
    assert isinstance(again, recorder.IngestResult)
    assert (again.stored, again.duplicates) == (1, 1)
    assert again.acked == [e["id"] for e in resent]
    assert isinstance(ok_b, recorder.IngestResult) and ok_b.stored == 1
    assert [r.reason for r in ok_b.rejected] == ["id_conflict"]
    assert isinstance(foreign, recorder.OriginNotAllowedError)
    assert isinstance(gone, StudyStateError)
    assert isinstance(mixed, recorder.IngestResult) and mixed.stored == 1
    assert [r.reason for r in mixed.rejected] == ["bad_id"]
    for e in [*first, *resent]:
        assert count(session, e["id"]) == 1
    stored = session.exec(
        select(Event.attempt_id).where(Event.event_id == theirs["id"])
    ).all()
    assert stored == [a.attempts["cart"].id]
    session.refresh(a.attempts["cart"])
    assert a.attempts["cart"].duplicate_events == 1


def test_an_attempt_in_two_batches_of_a_group_ends_once(session: Session) -> None:
    s = seed(session)[0]
    engine = session.get_bind()
    success = event(
        "task_success", url="http://shop.example.com/static/demo-shop/cart.html"
    )
    later = dict(success, id=str(uuid.uuid4()), seq=2)

    outcomes = recorder.ingest_many(
        engine,  # type: ignore[arg-type]
        [
            recorder.Batch(s.tokens["cart"], [success]),
            recorder.Batch(s.tokens["cart"], [later]),
        ],
    )

    states = [o.attempt for o in outcomes if isinstance(o, recorder.IngestResult)]
    assert [st.outcome for st in states] == ["success", "success"]
    assert not any(st.open for st in states)
    attempt = session.get(TaskAttempt, s.attempts["cart"].id)
    session.refresh(attempt)
    assert attempt is not None and attempt.judged_by == JudgedBy.auto


#: A trigger that refuses one URL, as a database fault only one batch meets.
REFUSING_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON event "
        "WHEN NEW.url = 'http://shop.example.com/boom' "
        "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.url = 'http://shop.example.com/boom' THEN "
        "RAISE EXCEPTION 'refused by a trigger'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON event "
        "FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


def test_a_batch_that_breaks_the_group_fails_alone(session: Session) -> None:
    """A database failure in one batch: the group is written again batch by batch."""
    people = seed(session, participants=3)
    for statement in REFUSING_TRIGGER[dialect_name(session)]:
        session.connection().exec_driver_sql(statement)
    session.commit()
    good = [[event(seq=1)], [event(seq=1)]]
    boom = [event(seq=1, url="http://shop.example.com/boom")]

    outcomes = recorder.ingest_many(
        session.get_bind(),  # type: ignore[arg-type]
        [
            recorder.Batch(people[0].tokens["cart"], good[0]),
            recorder.Batch(people[1].tokens["cart"], boom),
            recorder.Batch(people[2].tokens["cart"], good[1]),
        ],
    )

    assert isinstance(outcomes[1], DBAPIError)
    assert "refused by a trigger" in str(outcomes[1])
    for outcome, batch in zip(outcomes[::2], good, strict=True):
        assert isinstance(outcome, recorder.IngestResult) and outcome.stored == 1
        assert count(session, batch[0]["id"]) == 1
    assert count(session, boom[0]["id"]) == 0


def test_recorder_script_is_small_and_has_one_global() -> None:
    source = (STATIC / "recorder.js").read_text()
    size = len(minify(source).encode())
    # Whitespace and comments only; a mangling minifier (esbuild) gives ~6.9 KB.
    assert size < 10_000, size
    assert re.findall(r"\bw\.(\w+) =", source) == ["uxlabRecorder"]
    assert "keydown" not in source and ".value;" not in source


_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|\s+|[^\s"\']+')
_PUNCT = set("{}()[];,:=+-*/<>!&|?.%")


def minify(source: str) -> str:
    """Strip comments and the whitespace a JavaScript parser does not need."""
    lines = (line.strip() for line in source.splitlines())
    code = "\n".join(line for line in lines if line and not line.startswith("//"))
    parts = [" " if t.isspace() else t for t in _TOKEN.findall(code)]
    out = []
    for i, tok in enumerate(parts):
        if tok == " ":
            before = parts[i - 1] if i else ""
            after = parts[i + 1] if i + 1 < len(parts) else ""
            if (before and before[-1] in _PUNCT) or (after and after[0] in _PUNCT):
                continue
        out.append(tok)
    return "".join(out)
