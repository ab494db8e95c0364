"""Case 22: concurrent writers on one SQLite file, and the control that proves the check.

Writers that read, then write, under :func:`uxlab.db.begin_write` (``BEGIN
IMMEDIATE``) never fail and never lose an update. The same work in SQLite's
default deferred transactions, as uxlab did before, is reintroduced here to
show that this workload does catch the fault: some writers get "database is
locked" (a read snapshot cannot become a write after another commit, whatever
the busy timeout) or an update is lost. The full size, many participants and
a researcher exporting meanwhile, is benchmarks/load_bench.py in ``make bench``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from tests.conftest import only_sqlite
from tests.test_recorder import seed
from uxlab.db import begin_write, get_engine
from uxlab.models import ActivityEntry, Event, Researcher, Study
from uxlab.workspaces import record_export

pytestmark = [pytest.mark.reliability, only_sqlite]

WRITERS = 4
TIMES = 10


def _count_up(app: Flask, begin: Callable[[Session], None]) -> tuple[int, int]:
    """Each writer reads a counter and adds one: (final value, failed writers)."""
    engine = get_engine(app)
    with Session(engine) as session:
        session.add(Researcher(email="count@example.org", name="0", password_hash="x"))
        session.commit()
    barrier = threading.Barrier(WRITERS)
    failed: list[BaseException] = []

    def add_one() -> None:
        barrier.wait()
        for _ in range(TIMES):
            try:
                with Session(engine) as session:
                    begin(session)
                    row = session.exec(select(Researcher)).one()
                    time.sleep(0.002)  # the window between the read and the write
                    row.name = str(int(row.name) + 1)
                    session.add(row)
                    session.commit()
            except OperationalError as exc:
                failed.append(exc)

    threads = [threading.Thread(target=add_one) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with Session(engine) as session:
        return int(session.exec(select(Researcher.name)).one()), len(failed)


def test_read_then_write_under_begin_immediate_never_fails(app: Flask) -> None:
    assert _count_up(app, begin_write) == (WRITERS * TIMES, 0)


def test_the_deferred_read_then_write_of_old_is_caught(app: Flask) -> None:
    def deferred(_session: Session) -> None:
        pass  # SQLite's default: the write lock is asked for only at the write

    value, failed = _count_up(app, deferred)
    assert failed > 0 or value < WRITERS * TIMES


def test_an_export_is_logged_after_participants_wrote_meanwhile(app: Flask) -> None:
    """A researcher exporting under load got a 500: the export's read snapshot
    could not become the write that logs the export once a participant had
    committed meanwhile. (Found by benchmarks/load_bench.py.)"""
    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as session:
        study = seed(session)[0].study
    with Session(engine) as exporting:
        shown = exporting.get(Study, study.id)
        assert shown is not None
        exporting.exec(select(Event)).all()  # the export reads the study
        with Session(engine) as participant:  # a participant's batch commits
            begin_write(participant)
            participant.add(
                Researcher(email="meanwhile@example.org", password_hash="x")
            )
            participant.commit()
        record_export(exporting, shown, None, "zip")
    with Session(engine) as session:
        logged = session.exec(
            select(ActivityEntry).where(ActivityEntry.action == "exported")
        ).all()
    assert [e.detail for e in logged] == [{"format": "zip"}]
