"""Case 11: one attempt recorded from two tabs or two devices at once."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.test_recorder import event, seed
from uxlab import recorder
from uxlab.models import Event

TAB_A = "tab-aaaaaaaa-0001"
TAB_B = "tab-bbbbbbbb-0002"


@pytest.mark.reliability
def test_each_tab_numbers_its_own_events_and_gaps_are_found_per_tab(
    session: Session,
) -> None:
    s = seed(session)[0]
    token = s.tokens["cart"]
    # Tab A lost its event 3; tab B (another device) sent all five.
    a = [event(seq=i, rec=TAB_A) for i in (1, 2, 4, 5)]
    b = [event(seq=i, rec=TAB_B) for i in (1, 2, 3, 4, 5)]
    result = recorder.ingest(session, token, [*a, *b])
    assert result.stored == 9 and not result.rejected
    session.commit()
    keys = [
        (e.recording, e.seq)
        for e in session.exec(
            select(Event).where(Event.attempt_id == s.attempts["cart"].id)
        )
    ]
    assert len(keys) == len(set(keys)) == 9  # seq unique per recording
    stats = recorder.completeness(session, [s.attempts["cart"].id])  # type: ignore[list-item]
    c = stats[s.attempts["cart"].id]  # type: ignore[index]
    assert c.missing == 1 and not c.complete


def test_a_bad_recording_id_costs_only_its_event(session: Session) -> None:
    s = seed(session)[0]
    good = event(seq=1, rec=TAB_A)
    bad = event(seq=2, rec="<script>")
    result = recorder.ingest(session, s.tokens["cart"], [good, bad])
    assert result.acked == [good["id"]]
    assert [(r.id, r.reason) for r in result.rejected] == [(bad["id"], "bad_rec")]
