"""Taking part in a study: links, consent, tasks, answers, resuming.

Every function takes a :class:`~sqlmodel.Session`, and every one that writes
starts with :func:`~uxlab.db.begin_write`, so the participant's current step is
read and changed while holding the database's write lock (``BEGIN IMMEDIATE``
on SQLite, an advisory lock on PostgreSQL): two copies of the same submit (a
double click, Enter plus click, a retry, from one app process or two) are
serialised, and the second finds the step already passed and changes nothing.

A participant's place is :attr:`Participant.step`, one of::

    consent -> task:0 [-> seq:0] -> task:1 [-> seq:1] ... -> q:<id> ... -> done

``task:<i>`` is the i-th task in the participant's own order, ``seq:<i>`` the
after-task questionnaires for it (all on one page), ``q:<id>`` one end-of-study
questionnaire; the study's kind (:mod:`uxlab.kinds`) decides the list, and
:class:`uxlab.kinds.Step` reads and writes the stored form. Every form
carries the step it was shown for; a submit for any other step is stale and
is ignored.

The package: :mod:`.base` (steps, loading, write transactions), :mod:`.entry`
(links), :mod:`.pages` (the current step's page, consent, withdrawing),
:mod:`.tasks` (tasks and first clicks) and :mod:`.answers` (questionnaires).
"""

from __future__ import annotations

from uxlab.errors import AlreadyFinishedError, ConsentRequiredError, LinkExpiredError
from uxlab.participation.answers import save_answer, save_answers, step_questionnaires
from uxlab.participation.base import (
    CLOCK_TOLERANCE_MS,
    MAX_CLIENT_DURATION_MS,
    Entry,
    QuestionnairePage,
    StepPage,
    advance_step,
    load_participant,
    study_steps,
)
from uxlab.participation.entry import (
    enter_preview,
    enter_with_invite,
    enter_with_resume_token,
)
from uxlab.participation.pages import (
    decline,
    give_consent,
    step_page,
    submit_step,
    withdraw,
)
from uxlab.participation.tasks import finish_task, record_first_click, start_task

__all__ = [
    "CLOCK_TOLERANCE_MS",
    "MAX_CLIENT_DURATION_MS",
    "AlreadyFinishedError",
    "ConsentRequiredError",
    "Entry",
    "LinkExpiredError",
    "QuestionnairePage",
    "StepPage",
    "advance_step",
    "decline",
    "enter_with_invite",
    "enter_with_resume_token",
    "finish_task",
    "give_consent",
    "load_participant",
    "record_first_click",
    "save_answer",
    "enter_preview",
    "save_answers",
    "start_task",
    "step_page",
    "submit_step",
    "step_questionnaires",
    "study_steps",
    "withdraw",
]
