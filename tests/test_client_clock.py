"""Case 10: a browser clock changed mid-task cannot leave an absurd duration."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, select

from tests.test_participation import SECRET, consented, participant
from uxlab import participation as p
from uxlab.export import export_csv_files
from uxlab.models import TaskAttempt


def _finish_first_task(session: Session, client_ms: str) -> TaskAttempt:
    study, entry = consented(session)
    first = participant(session, entry).task_order[0]
    p.start_task(
        session, entry.slug, entry.token, step="task:0", task_id=first, secret=SECRET
    )
    p.finish_task(
        session, entry.slug, entry.token, step="task:0", task_id=first,
        gave_up=False, client_duration_ms=client_ms,
    )  # fmt: skip
    session.commit()
    session.expire_all()
    return session.exec(select(TaskAttempt)).one()


@pytest.mark.reliability
def test_a_client_duration_far_from_the_servers_is_replaced_and_flagged(
    session: Session,
) -> None:
    # 10,801,950 ms: what a 3 h clock change and a reload gave for a 1.9 s task.
    attempt = _finish_first_task(session, "10801950")
    assert attempt.duration_s is not None and attempt.duration_s < 60
    assert attempt.client_clock_disagreed is True
    assert attempt.client_duration_ms == round(attempt.duration_s * 1000)
    text = export_csv_files(session, _study_of(session, attempt))["attempts.csv"]
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["client_clock_disagreed"] == "true"
    assert float(row["client_duration_s"]) < 60


@pytest.mark.reliability
def test_a_plausible_client_duration_is_kept(session: Session) -> None:
    attempt = _finish_first_task(session, "5")
    assert attempt.client_clock_disagreed is False
    assert attempt.client_duration_ms == 5


def _study_of(session: Session, attempt: TaskAttempt):  # type: ignore[no-untyped-def]
    from uxlab.models import Study, Task

    task = session.get(Task, attempt.task_id)
    assert task is not None
    return session.get(Study, task.study_id)
