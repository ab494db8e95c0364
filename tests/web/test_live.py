"""Live moderation across app processes: a change made through one process
reaches the pages following the session on another within a second.

This test process is one app process (it writes through the services, as its
views do); :func:`tests.appserver.app_process` runs a second one on the same
database, serving the event streams over real HTTP. Each change is made right
after the stream has sent its previous state, that is just after the serving
process read the session: a stream that only re-read on a timer would take the
whole period to show it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from tests.appserver import EventStream, Message, app_process, cookie_from
from tests.test_moderation import SECRET, moderated_study
from uxlab import moderation as m
from uxlab import participation as p
from uxlab.db import get_engine
from uxlab.models import Event, ModeratedSession

#: The goal: a change shows on another process's pages within a second. On a
#: quiet machine every change in these tests shows in about 205 ms (three runs
#: of each). A suite run shares two cores with browsers and has delayed one
#: change by 2 s, so the bound a single change is held to here is that it
#: arrives, within this many seconds; the median below is what tells a pushed
#: change from a page that re-reads now and then.
ARRIVES = 5.0
#: Typical latency must stay well under the one-second goal: a stream that
#: only re-reads every second has a median near a second in these trials.
TYPICAL = 0.5


@pytest.fixture(name="other_process")
def other_process_fixture(database_url: str) -> Iterator[str]:
    config = {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
    }
    with app_process(config) as url:
        yield url


def until(stream: EventStream, done: Callable[[Message], bool]) -> Message:
    """The first event for which ``done`` holds."""
    while True:
        message = stream.next()
        if done(message):
            return message


def report(latencies: list[float]) -> str:
    return ", ".join(f"{x * 1000:.0f} ms" for x in latencies)


def test_changes_reach_an_observer_on_another_process_within_a_second(
    app: Flask, session: Session, other_process: str
) -> None:
    study = moderated_study(session)
    ms = m.schedule_session(
        session, study, label="P1", scheduled_at=None, secret=SECRET
    )
    assert ms.id is not None
    link = m.observers(session, ms)[0]
    token = m.observer_token(link, SECRET)
    stream = EventStream(f"{other_process}/observe/{token}/stream")
    latencies: list[float] = []

    def timed(change: Callable[[], Any], seen: Callable[[Message], bool]) -> None:
        started = time.monotonic()
        change()
        latencies.append(until(stream, seen).at - started)

    try:
        first = stream.next()
        assert (
            first.event == "state" and first.json()["participant"]["present"] is False
        )
        engine = get_engine(app)

        # The participant opens their link and agrees, through this process.
        def arrive() -> None:
            with Session(engine, expire_on_commit=False) as db:
                entry = p.enter_with_invite(
                    db, m.participant_link_token(db, ms, SECRET), secret=SECRET
                )
                p.give_consent(db, entry.slug, entry.token, step="consent")

        timed(
            arrive,
            lambda e: e.event == "state" and e.json()["participant"].get("consented"),
        )
        # Notes typed by the moderator, one after another.
        moderator = m.moderator(study.researcher_id, "Mo")
        for i in range(8):

            def write(i: int = i) -> None:
                with Session(engine, expire_on_commit=False) as db:
                    assert ms.id is not None
                    m.write_note(
                        db,
                        ms.id,
                        moderator,
                        op="create",
                        note_id=f"note-live-{i:02d}",
                        tag="q",
                        text=f"said {i}",
                    )

            timed(
                write,
                lambda e, i=i: (
                    e.event == "state"  # type: ignore[misc]
                    and any(n["text"] == f"said {i}" for n in e.json()["notes"])
                ),
            )

        # The moderator revokes the link: the observer's stream ends.
        def revoke() -> None:
            with Session(engine, expire_on_commit=False) as db:
                current = db.get(ModeratedSession, ms.id)
                assert current is not None and link.id is not None
                m.revoke_observer(db, current, link.id)

        timed(revoke, lambda e: e.event == "bye")
    finally:
        stream.close()
    summary = report(latencies)
    assert max(latencies) < ARRIVES, summary
    assert statistics.median(latencies) < TYPICAL, summary


def test_the_moderator_moves_the_participant_on_another_process_within_a_second(
    app: Flask, session: Session, other_process: str
) -> None:
    study = moderated_study(session)
    ms = m.schedule_session(
        session, study, label="P1", scheduled_at=None, secret=SECRET
    )
    assert ms.id is not None
    session_id = ms.id
    # The participant's browser is served by the other process.
    link = m.participant_link_token(session, ms, SECRET)
    cookie = cookie_from(other_process, f"/s/{link}")
    entry = p.enter_with_invite(session, link, secret=SECRET)
    p.give_consent(session, entry.slug, entry.token, step="consent")
    participant = m.session_participant(session, ms)
    assert participant is not None
    stream = EventStream(f"{other_process}/take/{study.slug}/live", cookie=cookie)
    engine = get_engine(app)
    latencies: list[float] = []
    try:
        state = until(stream, lambda e: e.event == "state").json()
        assert state["step"] == "task:0" and state["phase"] == "waiting"
        task = participant.task_order[0]
        for number, (body, expect) in enumerate(
            [
                ({"kind": "start", "task_id": task}, ("task:0", "started")),
                (
                    {"kind": "outcome", "task_id": task, "outcome": "success"},
                    ("task:0", "judged"),
                ),
                ({"kind": "next", "from_step": "task:0"}, ("seq:0", None)),
                ({"kind": "end"}, ("seq:0", None)),
            ]
        ):
            started = time.monotonic()
            with Session(engine, expire_on_commit=False) as db:
                m.control(db, session_id, action_id=f"live-{number:04d}", **body)
            seen = until(
                stream,
                lambda e, expect=expect, number=number: (
                    e.event == "state"  # type: ignore[misc]
                    and (e.json()["step"], e.json()["phase"]) == expect
                    and (number < 3 or e.json()["ended"])
                ),
            )
            latencies.append(seen.at - started)
    finally:
        stream.close()
    summary = report(latencies)
    assert max(latencies) < ARRIVES, summary
    assert statistics.median(latencies) < TYPICAL, summary


def test_the_participants_latest_page_reaches_an_observer_within_a_second(
    app: Flask, session: Session, other_process: str
) -> None:
    """The recorder's events count on no version: the stream's periodic
    re-read must still show the participant's latest page within a second.
    """
    study = moderated_study(session)
    ms = m.schedule_session(
        session, study, label="P1", scheduled_at=None, secret=SECRET
    )
    assert ms.id is not None
    entry = p.enter_with_invite(
        session, m.participant_link_token(session, ms, SECRET), secret=SECRET
    )
    p.give_consent(session, entry.slug, entry.token, step="consent")
    participant = m.session_participant(session, ms)
    assert participant is not None and participant.id is not None
    token = m.observer_token(m.observers(session, ms)[0], SECRET)
    stream = EventStream(f"{other_process}/observe/{token}/stream")
    engine = get_engine(app)
    latencies: list[float] = []
    try:
        until(stream, lambda e: e.event == "state")
        for i in range(3):
            url = f"http://shop.example/page-{i}"
            started = time.monotonic()
            # What the recorder's ingest stores when a page view arrives.
            with Session(engine) as db:
                db.add(
                    Event(
                        event_id=f"page-view-{i:04d}",
                        participant_id=participant.id,
                        type="page_view",
                        url=url,
                    )
                )
                db.commit()
            seen = until(
                stream,
                lambda e, url=url: (
                    e.event == "state"  # type: ignore[misc]
                    and (e.json()["participant"].get("last_page") or {}).get("url")
                    == url
                ),
            )
            latencies.append(seen.at - started)
    finally:
        stream.close()
    assert max(latencies) < ARRIVES, report(latencies)
    # Re-read at least once a second: the typical page shows within the goal.
    assert statistics.median(latencies) < 1.0, report(latencies)
