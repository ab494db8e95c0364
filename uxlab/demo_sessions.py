"""Two finished moderated sessions for the demo, run through the real controls.

Each session is driven as a moderator and a participant would drive it: the
participant opens the session's link and consents, the moderator starts and
judges each task and takes tagged notes, the participant answers SEQ and the
closing questionnaires, and the moderator ends the session. The moments are
then spread over a plausible half hour some days ago, so the timeline reads
as a real session's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlmodel import Session, col, select

from uxlab import coding, participation
from uxlab import moderation as m
from uxlab.coding import Codebook, SessionNoteCode
from uxlab.models import (
    ModeratedSession,
    Participant,
    Response,
    SessionAction,
    SessionMove,
    SessionNote,
    Study,
    TaskAttempt,
    utcnow,
)

__all__ = ["seed_sessions"]

#: Per session: its label, then per task the outcome, its reason, the seconds
#: it took, the SEQ answer and the notes (tag, text) taken during it.
_SESSIONS: Final = (
    (
        "P1 (Ana, returning customer)",
        [
            ("success", "", 140, 6, [("q", "“I'd filter by waterproof first.”"),
                                     ("p", "Found the jackets from the home page.")]),
            ("partial", "needed a hint to find the size picker", 210, 4,
             [("c", "Looked for sizes under the photo, not beside the price."),
              ("i", "Show the size picker next to Add to cart.")]),
            ("success", "", 180, 5, [("q", "“Do I really need an account?”")]),
        ],
        {"sus": [4, 2, 4, 2, 4, 1, 4, 2, 4, 2], "umux_lite": [6, 5]},
    ),
    (
        "P2 (Ben, first visit)",
        [
            ("success", "", 190, 5, [("p", "Read the details before choosing.")]),
            ("success", "", 120, 6, [("q", "“That was easy.”")]),
            ("failure", "gave up at the email field", 260, 2,
             [("e", "The order button stayed disabled with no message."),
              ("c", "Scrolled up and down looking for what was missing.")]),
        ],
        {"sus": [3, 3, 4, 2, 3, 3, 3, 2, 3, 3], "umux_lite": [4, 4]},
    ),
)  # fmt: skip

#: The codes a researcher gave some notes after the sessions, across tags.
_NOTE_CODES: Final = {
    "Looked for sizes under the photo, not beside the price.": "size picker",
    "Show the size picker next to Add to cart.": "size picker",
    "“Do I really need an account?”": "checkout form",
    "The order button stayed disabled with no message.": "checkout form",
    "Scrolled up and down looking for what was missing.": "checkout form",
}


def seed_sessions(
    session: Session, study: Study, researcher_id: int, secret: str
) -> list[ModeratedSession]:
    """Run the demo's two sessions of ``study`` (a moderated one) to the end."""
    done = []
    author = m.moderator(researcher_id, "Demo researcher")
    for n, (label, tasks, closing) in enumerate(_SESSIONS):
        ms = m.schedule_session(
            session, study, label=label, scheduled_at=None, secret=secret
        )
        assert ms.id is not None
        token = m.participant_link_token(session, ms, secret)
        entry = participation.enter_with_invite(session, token, secret=secret)
        participation.give_consent(session, entry.slug, entry.token, step="consent")
        person = m.session_participant(session, ms)
        assert person is not None

        def act(name: str, kind: str, sid: int = ms.id, **kw: object) -> None:
            m.control(session, sid, action_id=f"demo-{sid}-{name}", kind=kind, **kw)

        for i, (task_id, (outcome, reason, _s, seq, notes)) in enumerate(
            zip(person.task_order, tasks, strict=True)
        ):
            act(f"start-{i}", "start", task_id=task_id)
            for k, (tag, text) in enumerate(notes):
                m.write_note(
                    session,
                    ms.id,
                    author,
                    op="create",
                    note_id=f"demo-note-{ms.id}-{i}-{k}",
                    tag=tag,
                    text=text,
                    task_id=task_id,
                )
            act(
                f"judge-{i}", "outcome", task_id=task_id, outcome=outcome, reason=reason
            )
            act(f"next-{i}", "next", from_step=f"task:{i}")
            participation.save_answers(
                session, entry.slug, entry.token, step=f"seq:{i}",
                answers={"seq.q1": str(seq)},
            )  # fmt: skip
        for qid, values in closing.items():
            participation.save_answers(
                session, entry.slug, entry.token, step=f"q:{qid}",
                answers={f"{qid}.q{k}": str(v) for k, v in enumerate(values, 1)},
            )  # fmt: skip
        act("end", "end")
        session.refresh(ms)
        _spread(session, ms, person, tasks, utcnow() - timedelta(days=3 - n, hours=2))
        done.append(ms)
    _code_notes(session, study, [ms.id for ms in done if ms.id is not None])
    return done


def _code_notes(session: Session, study: Study, session_ids: list[int]) -> None:
    """Code some notes with the study's codebook of notes, as after analysis."""
    book = Codebook.notes(study)
    notes = session.exec(
        select(SessionNote).where(col(SessionNote.session_id).in_(session_ids))
    ).all()
    for note in notes:
        label = _NOTE_CODES.get(note.text)
        if label is not None and note.id is not None:
            code = coding.code_named(session, book, label)
            assert code.id is not None
            session.add(SessionNoteCode(subject_id=note.id, code_id=code.id))
    session.commit()


def _spread(
    session: Session,
    ms: ModeratedSession,
    person: Participant,
    tasks: list[tuple[str, str, int, int, list[tuple[str, str]]]],
    start: datetime,
) -> None:
    """Move the session's moments to ``start`` and the tasks' own durations."""
    session.refresh(person)
    attempts = sorted(
        session.exec(
            select(TaskAttempt).where(TaskAttempt.participant_id == person.id)
        ).all(),
        key=lambda a: a.position,
    )
    notes = session.exec(select(SessionNote).where(SessionNote.session_id == ms.id))
    actions = session.exec(
        select(SessionAction).where(SessionAction.session_id == ms.id)
    ).all()
    moves = session.exec(
        select(SessionMove).where(SessionMove.session_id == ms.id)
    ).all()
    person.created_at = start - timedelta(minutes=2)
    person.consented_at = start - timedelta(minutes=1)
    ms.started_at = clock = start
    windows: dict[int | None, tuple[datetime, datetime]] = {}
    for attempt, (_o, _r, seconds, _seq, _n) in zip(attempts, tasks, strict=True):
        clock += timedelta(seconds=90)  # reading the task, thinking aloud
        attempt.started_at = clock
        attempt.ended_at = clock + timedelta(seconds=seconds)
        windows[attempt.task_id] = (attempt.started_at, attempt.ended_at)
        clock = attempt.ended_at
        for action in actions:
            if (
                action.task_id == attempt.task_id
                or action.step == f"seq:{attempt.position - 1}"
            ):
                action.at = clock + timedelta(seconds=15)
        clock += timedelta(seconds=60)  # the SEQ
        for move in moves:
            if move.step == f"seq:{attempt.position - 1}":
                move.at = clock
        session.add(attempt)
    all_notes = list(notes)
    for note in all_notes:
        begin, end = windows[note.task_id]
        same = [x for x in all_notes if x.task_id == note.task_id]
        share = (same.index(note) + 1) / (len(same) + 1)
        moment = begin + (end - begin) * share
        note.session_ms = int((moment - start).total_seconds() * 1000)
        note.created_at = note.updated_at = moment
        session.add(note)
    clock += timedelta(minutes=4)  # the closing questionnaires
    for action in actions:
        if action.kind == "end":
            action.at = clock
        session.add(action)
    for move in moves:
        if not move.step.startswith("seq:"):
            move.at = clock  # the closing questionnaires and "Finished"
        session.add(move)
    ms.ended_at = person.finished_at = clock
    person.started_at = start
    for response in session.exec(
        select(Response).where(col(Response.participant_id) == person.id)
    ).all():
        response.answered_at = clock
        session.add(response)
    session.add_all([ms, person])
    session.commit()
