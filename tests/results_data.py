"""Studies with exactly the answers a results test needs, written as database rows.

Each participant is a dict: ``outcome`` ("success", "abandoned", …) of the one
task, ``seconds`` it took, ``seq`` (1-7), ``sus`` (ten answers 1-5, ``None``
for a skipped item), ``nps`` (0-10) and ``variant``.  Missing keys leave the
row out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page
from sqlmodel import Session, col, select

from uxlab.accounts import create_researcher
from uxlab.models import (
    Outcome,
    Participant,
    Response,
    Study,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.studies import import_study, parse_study

PASSWORD = "long-enough"

ONE_TASK = """\
title: {title}
{extra}
tasks:
  - id: find
    title: Find it
    prompt: Find it.
after_each_task: [seq]
questionnaires: [{questionnaires}]
"""


def owner(session: Session, email: str = "r@example.org") -> Any:
    """A researcher (with a personal workspace) who owns the studies made here."""
    return create_researcher(session, email=email, password=PASSWORD)


def make_study(
    session: Session,
    researcher: Any,
    title: str,
    people: Sequence[dict[str, Any]],
    *,
    extra: str = "",
    questionnaires: str = "sus",
    study_text: str | None = None,
) -> Study:
    """Import a one-task study and add one participant per entry of ``people``."""
    text = study_text or ONE_TASK.format(
        title=title, extra=extra, questionnaires=questionnaires
    )
    study = import_study(session, parse_study(text), owner=researcher, source_text="")
    task = session.exec(
        select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
    ).first()
    assert task is not None
    start = utcnow() - timedelta(hours=1)
    for i, person in enumerate(people):
        p = Participant(
            study_id=study.id,
            token_hash=f"{study.slug}-{i}".ljust(64, "x")[:64],
            code=f"{study.id:02d}P{i:04d}",
            variant=person.get("variant"),
            started_at=start,
            finished_at=start + timedelta(minutes=5),
            step="done",
        )
        session.add(p)
        session.flush()
        if "outcome" in person:
            seconds = float(person.get("seconds", 30))
            session.add(
                TaskAttempt(
                    participant_id=p.id,
                    task_id=task.id,
                    position=1,
                    started_at=start,
                    ended_at=start + timedelta(seconds=seconds),
                    outcome=Outcome(person["outcome"]),
                    **person.get("attempt", {}),
                )
            )
        if "seq" in person:
            session.add(
                Response(
                    participant_id=p.id, questionnaire="seq", scope="task",
                    task_id=task.id, item="q1", value_num=person["seq"],
                )
            )  # fmt: skip
        for k, value in enumerate(person.get("sus") or (), start=1):
            if value is not None:
                session.add(
                    Response(
                        participant_id=p.id, questionnaire="sus", item=f"q{k}",
                        value_num=value,
                    )
                )  # fmt: skip
        if "nps" in person:
            session.add(
                Response(
                    participant_id=p.id, questionnaire="nps", item="q1",
                    value_num=person["nps"],
                )
            )  # fmt: skip
    session.commit()
    return study


def with_outcomes(
    session: Session, researcher: Any, title: str, wins: int, n: int, **kw: Any
) -> Study:
    """A study whose one task ``wins`` of ``n`` participants completed."""
    people = [
        {"outcome": "success" if i < wins else "abandoned", "seconds": 30 + i % 7}
        for i in range(n)
    ]
    return make_study(session, researcher, title, people, **kw)


def log_in(page: Page, base: str, email: str = "r@example.org") -> None:
    """Log in through the login form."""
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
