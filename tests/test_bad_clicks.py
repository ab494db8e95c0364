"""A participant's malformed click never reaches, nor breaks, a researcher's page."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from matplotlib.image import imread
from sqlmodel import Session

from tests.test_recorder import event, seed
from uxlab import heatmaps, recorder
from uxlab.models import Event, Task
from uxlab.paths import STATIC_DIR


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"y": 20, "selector": "a"}, "x is missing"),
        ({"x": "left", "y": 20}, "x is not a number"),
        ({"x": True, "y": 20}, "x is a boolean"),
        ({"x": 10, "y": 20, "vw": "wide"}, "vw is not a number"),
        ({"x": 10, "y": [1]}, "y is a list"),
        ({"x": 1e308 * 10, "y": 20}, "x is infinite"),
    ],
)
@pytest.mark.parametrize("kind", ["click", "rage_click", "dead_click"])
def test_a_click_without_a_good_position_is_rejected(
    session: Session, kind: str, data: dict[str, Any], why: str
) -> None:
    s = seed(session)[0]
    good = event(seq=1)
    bad = event(kind, seq=2, data=data)
    result = recorder.ingest(session, s.tokens["cart"], [good, bad])
    assert result.acked == [good["id"]], why
    assert [(r.id, r.reason) for r in result.rejected] == [(bad["id"], "bad_data")]


def test_nan_and_infinity_anywhere_are_rejected(session: Session) -> None:
    s = seed(session)[0]
    body = (
        b'{"events": [{"id": "abcdefgh-01", "seq": 1, "type": "scroll",'
        b' "data": {"depth": Infinity}},'
        b' {"id": "abcdefgh-02", "seq": NaN, "type": "click",'
        b' "data": {"x": 1, "y": 2}},'
        b' {"id": "abcdefgh-03", "seq": 3, "type": "click", "ts": -Infinity,'
        b' "data": {"x": 1, "y": 2}}]}'
    )
    result = recorder.ingest(session, s.tokens["cart"], recorder.parse_batch(body))
    assert result.acked == []
    assert len(result.rejected) == 3


def test_the_heatmap_draws_around_bad_rows_stored_before(session: Session) -> None:
    s = seed(session)[0]
    attempt = s.attempts["cart"]
    task = session.get(Task, attempt.task_id)
    assert task is not None
    url = "http://unlisted.example/index.html"
    payloads: list[dict[str, Any]] = [
        {"y": 5},
        {"x": "left", "y": 5},
        {"x": 5, "y": 5, "vw": "wide"},
        {"x": None, "y": 5, "vw": 1280},
        {"x": 5, "y": 5, "vw": 1280, "dh": "tall"},
        {"x": 100, "y": 50, "vw": 1280},
        {"x": 110, "y": 60, "vw": 1280},
    ]
    for seq, payload in enumerate(payloads):
        session.add(
            Event(
                event_id=str(uuid.uuid4()),
                participant_id=s.participant.id,
                attempt_id=attempt.id,
                type="click",
                seq=seq,
                url=url,
                payload=payload,
            )
        )
    session.commit()
    data = heatmaps.task_heatmap_data(
        session, task, static_dir=STATIC_DIR, own_origin="http://localhost"
    )
    assert sorted(data.points) == [(5.0, 5.0), (100.0, 50.0), (110.0, 60.0)]
    assert data.width == 1280
    png = heatmaps.task_heatmap_png(
        session, task, static_dir=STATIC_DIR, own_origin="http://localhost"
    )
    assert imread(io.BytesIO(png)).shape[0] > 100
