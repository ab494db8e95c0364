"""Moderated sessions: scheduling, the moderator's controls, notes and timelines.

A moderated study has sessions (:class:`~uxlab.models.ModeratedSession`). Each
one owns a single-use invite: whoever opens it is the session's participant.
The moderator, a logged-in researcher who owns the study, drives the session
from a console; observers follow it through read-only links and take notes.

Every write starts with :func:`~uxlab.db.begin_write` and re-reads the session
under that lock, and every write a client can repeat carries an id the client
made, so a resend changes nothing:

* control actions (start, outcome, next, end) are stored once by ``action_id``
  and a "next" names the step it moves on from, so two tabs pressing it at once
  move the participant one step, not two;
* notes are inserted once by ``note_id`` (insert-or-ignore); an edit or a
  deletion names the note version it changes and is refused with
  :class:`StaleNoteError` (409) when that is no longer the latest.

The participant's place is :attr:`~uxlab.models.Participant.step`, the same
field the participant pages show, so a participant who reloads lands where the
moderator put them. The moderator's "next" follows the participant flow's own
step order (:mod:`uxlab.participation`), so the participant still answers SEQ
and SUS themselves.

``ModeratedSession.version`` goes up with every change to what the session's
pages show, made from the console, by an observer or by the participant
themselves (:mod:`uxlab.live`); clients keep the highest version they have seen
and ignore older states, and event streams in every app process poll it.

The parts: :mod:`~uxlab.moderation.core` (limits, errors, authors, steps),
:mod:`~uxlab.moderation.sessions` (scheduling, observer links),
:mod:`~uxlab.moderation.state` (what live pages show),
:mod:`~uxlab.moderation.controls`, :mod:`~uxlab.moderation.notes`,
:mod:`~uxlab.moderation.timeline` (the session page) and
:mod:`~uxlab.moderation.board` (notes across sessions).
"""

from __future__ import annotations

from uxlab.live import CHANGES
from uxlab.moderation.board import (
    NoteRow,
    TagNotes,
    TaskNotes,
    notes_by_tag,
    notes_csv,
    study_notes,
)
from uxlab.moderation.controls import (
    ControlResult,
    control,
)
from uxlab.moderation.core import (
    ACTIONS,
    DEFAULT_TAGS,
    MAX_NOTE,
    MODERATOR_OUTCOMES,
    Author,
    ControlRefusedError,
    NotYourNoteError,
    StaleNoteError,
    UnansweredError,
    clock,
    moderator,
    observer,
    session_participant,
    session_tags,
)
from uxlab.moderation.notes import (
    NoteResult,
    write_note,
)
from uxlab.moderation.sessions import (
    SessionRow,
    add_observer,
    list_sessions,
    observer_by_token,
    observer_token,
    observers,
    owned_session,
    participant_link_token,
    revoke_observer,
    schedule_session,
)
from uxlab.moderation.state import (
    build_state,
    follow_state,
)
from uxlab.moderation.timeline import (
    SessionSummary,
    TimelineItem,
    session_summary,
    timeline,
)

__all__ = [
    "ACTIONS",
    "CHANGES",
    "DEFAULT_TAGS",
    "MAX_NOTE",
    "MODERATOR_OUTCOMES",
    "Author",
    "ControlRefusedError",
    "ControlResult",
    "NoteResult",
    "NoteRow",
    "NotYourNoteError",
    "SessionRow",
    "SessionSummary",
    "StaleNoteError",
    "UnansweredError",
    "TagNotes",
    "TaskNotes",
    "TimelineItem",
    "add_observer",
    "build_state",
    "clock",
    "control",
    "follow_state",
    "list_sessions",
    "moderator",
    "notes_by_tag",
    "notes_csv",
    "observer",
    "observer_by_token",
    "observer_token",
    "observers",
    "owned_session",
    "participant_link_token",
    "revoke_observer",
    "schedule_session",
    "session_participant",
    "session_summary",
    "session_tags",
    "study_notes",
    "timeline",
    "write_note",
]
