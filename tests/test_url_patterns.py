"""A study's url_matches pattern can never stall recording, its own or others'."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from tests.test_recorder import STUDY, event, seed
from uxlab import recorder
from uxlab.errors import StudyFileError
from uxlab.studies import parse_study

#: Nested quantifiers: a backtracking engine takes 2^n steps on n letters
#: followed by a mismatch (the classic ReDoS shape).
CRAFTED = STUDY.replace(
    'success: {url_matches: "/static/demo-shop/cart\\\\.html"}',
    'success: {url_matches: "^http://shop[.]example[.]com/(a+)+$"}',
)


def test_a_crafted_url_is_judged_at_once_and_stalls_no_other_study(
    session: Session,
) -> None:
    assert CRAFTED != STUDY
    victim = seed(session, text=CRAFTED)[0]
    other = seed(session)[0]
    url = "http://shop.example.com/" + "a" * 30 + "!"
    results: list[recorder.IngestResult] = []
    worker = threading.Thread(
        target=lambda: results.append(
            recorder.ingest(
                session.get_bind(),  # type: ignore[arg-type]
                victim.tokens["cart"],
                [event("task_success", seq=1, url=url)],
            )
        ),
        daemon=True,
    )
    worker.start()
    # Meanwhile another study records as usual.
    mine = recorder.ingest(session, other.tokens["cart"], [event(seq=1)])
    assert mine.stored == 1
    # A liveness bound, generous by far: backtracking needs minutes here.
    worker.join(timeout=30)
    assert not worker.is_alive(), "the crafted URL is still being matched"
    assert results[0].acked  # stored, and not judged a success
    assert results[0].attempt.outcome is None


def test_a_pattern_that_needs_backtracking_is_refused_at_import() -> None:
    text = STUDY.replace(
        'success: {url_matches: "/static/demo-shop/cart\\\\.html"}',
        'success: {url_matches: "(cart)\\\\1"}',
    )
    with pytest.raises(StudyFileError, match="backreference|lookaround"):
        parse_study(text)


def test_an_overlong_pattern_is_refused_at_import() -> None:
    text = STUDY.replace(
        'success: {url_matches: "/static/demo-shop/cart\\\\.html"}',
        'success: {url_matches: "' + "a" * 600 + '"}',
    )
    with pytest.raises(StudyFileError, match="at most 500"):
        parse_study(text)


def test_an_ordinary_pattern_still_ends_the_task(session: Session) -> None:
    s = seed(session)[0]
    result = recorder.ingest(
        session,
        s.tokens["cart"],
        [
            event(
                "task_success", url="http://shop.example.com/static/demo-shop/cart.html"
            )
        ],
    )
    assert result.attempt.outcome is not None
    assert str(result.attempt.outcome) == "success"
