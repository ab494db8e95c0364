"""Case 6: a batch over the ingest route's limit, and one event that can never fit.

In a real Chromium, the recorder queues more than the route takes at once
(``INGEST_MAX_BYTES`` lowered to 4 KiB for the test) and one event bigger than
the whole limit. The server answers 413; the recorder halves its batch until
it fits, and drops only the event that cannot fit, counting it. Every other
event is stored exactly once.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.test_recorder_browser import (  # noqa: F401 - fixtures
    World,
    base_url,
    world_fixture,
)

pytestmark = [pytest.mark.browser, pytest.mark.reliability]

LIMIT = 4096


def test_batches_halve_until_they_fit_and_only_the_giant_is_dropped(
    world: World, page: Page, live_server: Any
) -> None:
    live_server.app.config["INGEST_MAX_BYTES"] = LIMIT
    world.open(page)
    # 40 markers of ~300 bytes (~12 KiB together), then one of ~5.7 KiB.
    page.evaluate(
        "() => { for (let i = 0; i < 40; i++)"
        " window.uxlabRecorder.mark('step ' + i, {note: 'n'.repeat(250)}); }"
    )
    page.evaluate(
        "() => window.uxlabRecorder.mark('giant',"
        " {a: 'a'.repeat(1900), b: 'b'.repeat(1900), c: 'c'.repeat(1900)})"
    )
    created = world.created(page)
    deadline = time.monotonic() + 20
    while page.evaluate("window.uxlabRecorder.state().queued") > 0:
        assert time.monotonic() < deadline, page.evaluate(
            "window.uxlabRecorder.state()"
        )
        page.wait_for_timeout(100)
    state = page.evaluate("window.uxlabRecorder.state()")
    assert state["dropped"] == 1

    rows = world.rows()
    names = [r.payload.get("name") for r in rows if r.type == "marker"]
    assert "giant" not in names
    assert names == [f"step {i}" for i in range(40)]
    seqs = [r.seq for r in rows]
    assert len(seqs) == len(set(seqs)) == created - 1  # all but the giant, once
