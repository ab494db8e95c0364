"""Case 12: progress moves with every saved answer, not only with every page."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.test_participation import SECRET, consented, participant
from uxlab import participation as p


@pytest.mark.reliability
def test_progress_counts_each_saved_answer(session: Session) -> None:
    _study, entry = consented(session)
    first, second = participant(session, entry).task_order
    for i, task_id in enumerate((first, second)):
        p.start_task(
            session, entry.slug, entry.token, step=f"task:{i}", task_id=task_id,
            secret=SECRET,
        )  # fmt: skip
        p.finish_task(
            session, entry.slug, entry.token, step=f"task:{i}", task_id=task_id,
            gave_up=True,
        )  # fmt: skip
        p.save_answers(
            session, entry.slug, entry.token, step=f"seq:{i}",
            answers={"seq.q1": "5"},
        )  # fmt: skip
    at_sus = participant(session, entry)
    assert at_sus.step == "q:sus"
    # consent, 2 tasks with a SEQ each, SUS, done: 7 steps, 5 of 6 passed.
    assert at_sus.progress == round(100 * 5 / 6)
    seen = []
    for i in range(1, 7):  # a reload after item 6 finds this progress
        p.save_answer(
            session, entry.slug, entry.token, step="q:sus", questionnaire="sus",
            item=f"q{i}", value=4,
        )  # fmt: skip
        seen.append(participant(session, entry).progress)
    # 5 steps and 6 of the SUS's 10 items of 6 steps: (5 + 0.6) / 6 = 93%.
    assert seen[-1] == round(100 * 5.6 / 6)
    assert seen == sorted(seen) and len(set(seen)) == 6  # each answer moved it
    # The same answer again moves nothing.
    p.save_answer(
        session, entry.slug, entry.token, step="q:sus", questionnaire="sus",
        item="q6", value=5,
    )  # fmt: skip
    assert participant(session, entry).progress == seen[-1]
    # A page sent with answers that are not all there yet counts them too.
    p.save_answers(
        session, entry.slug, entry.token, step="q:sus", answers={"sus.q7": "3"}
    )
    assert participant(session, entry).progress == round(100 * 5.7 / 6)
