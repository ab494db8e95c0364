"""Click analytics on known click sets, heatmap images by their data, and pages."""

from __future__ import annotations

import io
import uuid
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient
from matplotlib.image import imread
from sqlmodel import Session

from tests.test_recorder import seed
from uxlab import clicks, heatmaps
from uxlab.errors import NotEnoughDataError
from uxlab.models import Event, Outcome, Task

FIRST_CLICK = """
title: First click study
tasks:
  - id: cart
    title: Where is the cart?
    image: first-click/shop-home.png
    success:
      first_click: {x: 0.8, y: 0.0, width: 0.2, height: 0.2}
"""


def test_density_peaks_where_clicks_cluster() -> None:
    rng = np.random.default_rng(1)
    cluster = rng.normal((300, 120), 6, size=(40, 2))
    noise = rng.uniform((0, 0), (1000, 600), size=(10, 2))
    d = clicks.click_density(np.vstack([cluster, noise]), 1000, 600)
    x, y = d.peak
    assert abs(x - 300) < 25 and abs(y - 120) < 25
    assert d.grid.sum() == pytest.approx(1.0)
    assert d.grid.shape == (60, 100)
    assert d.clicks == 50


def test_density_needs_clicks_and_a_size() -> None:
    with pytest.raises(NotEnoughDataError):
        clicks.click_density([], 100, 100)
    with pytest.raises(ValueError, match="width"):
        clicks.click_density([(1, 1)], 0, 100)


def test_first_click_share_uses_adjusted_wald() -> None:
    r = clicks.first_click_success([True] * 8 + [False] * 2)
    # Agresti & Coull (1998) by hand: p = (8 + 1.92) / 13.84 = 0.7168,
    # se = sqrt(p (1 - p) / 13.84) = 0.1211, p -/+ 1.96 se = 0.4794 .. 0.9541
    assert (r.successes, r.trials) == (8, 10)
    assert r.ci.low == pytest.approx(0.4794, abs=1e-3)
    assert r.ci.high == pytest.approx(0.9541, abs=1e-3)
    with pytest.raises(NotEnoughDataError):
        clicks.first_click_success([])


def test_success_split_by_first_click() -> None:
    split = clicks.success_by_first_click(
        [True, True, True, False, False], [True, True, False, False, True]
    )
    assert split.correct is not None and split.incorrect is not None
    assert (split.correct.successes, split.correct.trials) == (2, 3)
    assert (split.incorrect.successes, split.incorrect.trials) == (1, 2)
    only = clicks.success_by_first_click([True], [True])
    assert only.incorrect is None


def test_paths_and_lostness() -> None:
    urls = [
        "http://s/index.html?uxlab_attempt=x",
        "http://s/index.html#top",
        "http://s/jackets.html",
        "http://s/help.html",
        "http://s/jackets.html",
        "http://s/cart.html",
    ]
    path = clicks.page_path(urls)
    assert path == (
        "/index.html",
        "/jackets.html",
        "/help.html",
        "/jackets.html",
        "/cart.html",
    )
    # N=4 unique, S=5 total, R=3: sqrt((4/5-1)^2 + (3/4-1)^2) = 0.3202
    assert clicks.path_lostness(path, 3) == pytest.approx(0.32016, abs=1e-4)
    assert clicks.path_lostness(("/a", "/b", "/c"), 3) == 0.0
    paths = [("/a", "/b"), ("/a", "/c", "/b"), ("/a", "/b"), ("/x",)]
    assert clicks.common_paths(paths, top=2) == [(("/a", "/b"), 2), (("/x",), 1)]
    assert clicks.shortest_successful_path(paths, [False, True, True, False]) == 2
    assert clicks.shortest_successful_path(paths, [False] * 4) is None


def test_misclick_rate() -> None:
    assert clicks.misclick_rate([True, True, False, False]) == 0.5
    with pytest.raises(NotEnoughDataError):
        clicks.misclick_rate([])


def test_heatmap_image_is_hot_where_clicks_cluster() -> None:
    background = np.ones((200, 400, 3))
    points = [(300 + dx, 50 + dy) for dx in range(-3, 4) for dy in range(-3, 4)]
    fig = heatmaps.draw_heatmap(
        points, 400, 200, background=background, participants=7, title="t"
    )
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [f"clicks ({len(points)})"]
    assert "7 participants, 49 clicks" in ax.get_title(loc="left")
    heat = np.asarray(ax.get_images()[1].get_array())
    row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
    ny, nx = heat.shape
    assert abs((col + 0.5) * 400 / nx - 300) < 10
    assert abs((row + 0.5) * 200 / ny - 50) < 10
    png = heatmaps.heatmap_png(points, 400, 200, background=background)
    image = imread(io.BytesIO(png))
    assert image.shape[2] == 4 and image.shape[0] > 100


def _event(
    attempt: Any, type_: str, seq: int, payload: dict[str, Any], url: str = ""
) -> Event:
    """An event the recorder sent for ``attempt``."""
    return Event(
        event_id=str(uuid.uuid4()),
        participant_id=attempt.participant_id,
        attempt_id=attempt.id,
        type=type_,
        seq=seq,
        url=url,
        payload=payload,
    )


def _first_clicks(session: Session, spec: Any, hits: int, misses: int) -> None:
    attempts = [s.attempts["cart"] for s in spec]
    for i, attempt in enumerate(attempts):
        inside = i < hits
        x, y = (0.9, 0.1) if inside else (0.2, 0.7)
        attempt.outcome = Outcome.success if inside else Outcome.failure
        session.add(attempt)
        session.add(_event(attempt, "first_click", 1, {"x": x, "y": y}))
    session.commit()


def test_first_click_task_report_and_heatmap(app: Any, session: Session) -> None:
    seeded = seed(session, text=FIRST_CLICK, participants=5)
    _first_clicks(session, seeded, hits=4, misses=1)
    task = session.get(Task, seeded[0].attempts["cart"].task_id)
    assert task is not None
    report = clicks.task_clicks(session, task)
    assert report.first_click is not None
    assert (report.first_click.successes, report.first_click.trials) == (4, 5)
    assert report.participants == 5 and report.clicks == 5
    data = heatmaps.task_heatmap_data(
        session,
        task,
        static_dir=clicks_static(app),
        own_origin="http://localhost",
    )
    assert len(data.points) == 5 and data.background is not None
    assert data.width == data.background.shape[1]
    xs = sorted(p[0] / data.width for p in data.points)
    assert xs[-1] == pytest.approx(0.9)


def clicks_static(app: Any) -> Any:
    from pathlib import Path

    return Path(app.static_folder)


def _site_events(session: Session, seeded: Any) -> None:
    pages = {
        0: ["/index.html", "/jackets.html", "/cart.html"],
        1: ["/index.html", "/help.html", "/index.html", "/jackets.html", "/cart.html"],
        2: ["/index.html", "/help.html"],
    }
    for i, s in enumerate(seeded):
        attempt = s.attempts["cart"]
        attempt.outcome = Outcome.success if i < 2 else Outcome.abandoned
        session.add(attempt)
        seq = 0
        for page in pages[i]:
            for kind, payload in (
                ("page_view", {"title": page}),
                (
                    "click",
                    {
                        "x": 100 + i,
                        "y": 40,
                        "vw": 1280,
                        "dh": 900,
                        "selector": "#to-jackets" if page == "/index.html" else "p",
                        "interactive": page == "/index.html",
                    },
                ),
            ):
                seq += 1
                session.add(
                    _event(
                        attempt, kind, seq, payload, f"http://shop.example.com{page}"
                    )
                )
        if i == 2:
            # seq + 2: one event never arrived.
            session.add(
                _event(
                    attempt,
                    "rage_click",
                    seq + 2,
                    {},
                    "http://shop.example.com/help.html",
                )
            )
    session.commit()


def test_site_task_paths_lostness_and_misclicks(session: Session) -> None:
    seeded = seed(session, participants=3)
    _site_events(session, seeded)
    task = session.get(Task, seeded[0].attempts["cart"].task_id)
    assert task is not None
    # No target named: no first-click figures (the success element is where
    # the task ends, not where its first click should land).
    assert clicks.task_clicks(session, task).first_click is None
    task.settings = {"first_click_selector": ["#nowhere", "#to-jackets"]}
    report = clicks.task_clicks(session, task)
    assert report.paths[0] == (("/index.html", "/help.html"), 1)
    assert report.shortest_path == 3
    assert report.shortest_path_source == "shortest successful path observed"
    by_code = {a.participant_code: a for a in report.attempts}
    first = by_code[seeded[0].participant.code]
    assert first.lostness == 0.0 and first.first_click_correct is True
    second = by_code[seeded[1].participant.code]
    # N=4, S=5, R=3
    assert second.lostness == pytest.approx(0.32016, abs=1e-4)
    assert report.mean_lostness == pytest.approx(0.32016 / 2, abs=1e-4)
    assert report.misclicks == pytest.approx(6 / 10)
    assert report.rage_clicks == 1
    third = by_code[seeded[2].participant.code].completeness
    assert third is not None and third.missing == 1
    assert report.split is not None


def _login(client: FlaskClient, session: Session, email: str) -> None:
    from uxlab.accounts import create_researcher

    create_researcher(session, email=email, password="long-enough-password")
    response = client.post(
        "/login", data={"email": email, "password": "long-enough-password"}
    )
    assert response.status_code == 302


def test_clicks_page_and_heatmap_for_the_owner_only(
    client: FlaskClient, session: Session
) -> None:
    seeded = seed(session, text=FIRST_CLICK, participants=3, email="own@example.org")
    _first_clicks(session, seeded, hits=2, misses=1)
    slug = seeded[0].study.slug
    assert client.get(f"/studies/{slug}/clicks").status_code == 302  # log in first
    _login(client, session, "other@example.org")
    assert client.get(f"/studies/{slug}/clicks").status_code == 404
    assert client.get(f"/studies/{slug}/tasks/cart/heatmap.png").status_code == 404
    client.post("/logout")
    session.commit()  # ends the snapshot from before logging out, which wrote
    owner = seeded[0].study.researcher_id
    from werkzeug.security import generate_password_hash

    from uxlab.models import Researcher

    researcher = session.get(Researcher, owner)
    assert researcher is not None
    researcher.password_hash = generate_password_hash("long-enough-password")
    session.add(researcher)
    session.commit()
    client.post(
        "/login", data={"email": "own@example.org", "password": "long-enough-password"}
    )
    # Reached by links: the study page (with the recorder snippet) and results.
    study_page = client.get(f"/studies/{slug}").get_data(as_text=True)
    assert f'href="/studies/{slug}/clicks"' in study_page
    assert (
        '&lt;script src="http://localhost/static/recorder.js" defer&gt;' in study_page
    )
    results = client.get(f"/studies/{slug}/results").get_data(as_text=True)
    assert f'href="/studies/{slug}/clicks"' in results
    assert f'src="/studies/{slug}/tasks/cart/heatmap.png"' in results
    page = client.get(f"/studies/{slug}/clicks")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "67 % (2/3" in html and "heatmap.png" in html
    png = client.get(f"/studies/{slug}/tasks/cart/heatmap.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert imread(io.BytesIO(png.data)).shape[0] > 100
    assert client.get(f"/studies/{slug}/tasks/nope/heatmap.png").status_code == 404


def test_heatmap_without_clicks_says_so(session: Session) -> None:
    seeded = seed(session)
    task = session.get(Task, seeded[0].attempts["returns"].task_id)
    assert task is not None
    png = heatmaps.task_heatmap_png(
        session,
        task,
        static_dir=clicks_static_dir(),
        own_origin="http://localhost",
    )
    assert imread(io.BytesIO(png)).shape[0] == 120


def clicks_static_dir() -> Any:
    from uxlab.paths import STATIC_DIR

    return STATIC_DIR


@pytest.mark.browser
def test_one_page_screenshotted_twice_at_once(live_server: Any) -> None:
    """Two heatmaps of one page drawn at once each get the page behind them."""
    import threading

    from sqlmodel import select

    from uxlab.db import get_engine
    from uxlab.models import Screenshot

    url = f"{live_server.url}/static/demo-shop/index.html"
    engine = get_engine(live_server.app)
    made: list[bytes] = []
    failed: list[BaseException] = []

    def take() -> None:
        try:
            with Session(engine) as own:
                made.append(heatmaps.screenshot(own, url, 640))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failed == [] and len(made) == 2 and made[0] == made[1]
    assert imread(io.BytesIO(made[0])).shape[1] == 640
    with Session(engine) as check:
        assert [s.url for s in check.exec(select(Screenshot)).all()] == [url]


@pytest.mark.browser
def test_another_process_draws_over_the_stored_screenshot(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screenshot taken through one app process is there for every other.

    The second engine stands for another process or host: with no Chromium it
    could start, it still gets the page, from the database.
    """
    from concurrent.futures import ThreadPoolExecutor

    from uxlab.db import get_engine, make_engine

    url = f"{live_server.url}/static/demo-shop/index.html"

    def take(engine: Any, width: int) -> bytes:
        # In a thread of its own, as a server thread would: Playwright's sync
        # API refuses the test thread, where the browser fixtures run a loop.
        with Session(engine) as own:
            return heatmaps.screenshot(own, url, width)

    other = make_engine(get_engine(live_server.app).url.render_as_string(False))
    try:
        with ThreadPoolExecutor(1) as pool:
            taken = pool.submit(take, get_engine(live_server.app), 480).result()
            monkeypatch.setenv("UXLAB_CHROMIUM", "/nonexistent/chromium")
            assert pool.submit(take, other, 480).result() == taken
            with pytest.raises(Exception, match="nonexistent"):
                pool.submit(take, other, 481).result()  # not stored: needs Chromium
    finally:
        other.dispose()


def test_element_success_is_not_a_first_click_target(session: Session) -> None:
    """A task judged by an element that shows at its end has no first-click figure."""
    seeded = seed(session)[0]
    attempt = seeded.attempts["confirm"]  # success: {element: "#order-confirmation"}
    attempt.outcome = Outcome.success
    session.add(attempt)
    click = {"x": 10, "y": 10, "selector": "main > form > p > button"}
    session.add(_event(attempt, "click", 1, click, "http://shop.example.com/cart.html"))
    session.commit()
    task = session.get(Task, attempt.task_id)
    assert task is not None
    report = clicks.task_clicks(session, task)
    assert report.first_click is None and report.split is None
    task.settings = {"first_click_selector": ["p > button"]}
    assert clicks.task_clicks(session, task).first_click is not None


def test_counts_on_the_clicks_page_say_what_they_count(
    client: FlaskClient, session: Session
) -> None:
    """One successful attempt with a page view but no clicks, and a shortest path
    of three pages set in the study file: the page says one attempt and no
    clicks, and gives no lostness above Smith's supremum for a recording that
    lacks page views."""
    seeded = seed(session, participants=1, email="counts@example.org")
    attempt = seeded[0].attempts["cart"]
    attempt.outcome = Outcome.success
    session.add(attempt)
    session.add(
        _event(attempt, "page_view", 1, {}, "http://shop.example.com/index.html")
    )
    task = session.get(Task, attempt.task_id)
    assert task is not None
    task.settings = {**task.settings, "shortest_path": 3}
    session.add(task)
    session.commit()

    report = clicks.task_clicks(session, task)
    assert report.paths == [(("/index.html",), 1)]
    assert report.clicks == 0 and report.participants == 0
    assert report.attempts[0].lostness is None
    assert report.mean_lostness is None

    from werkzeug.security import generate_password_hash

    from uxlab.models import Researcher

    owner = session.get(Researcher, seeded[0].study.researcher_id)
    assert owner is not None
    owner.password_hash = generate_password_hash("long-enough-password")
    session.add(owner)
    session.commit()
    client.post(
        "/login",
        data={"email": "counts@example.org", "password": "long-enough-password"},
    )
    html = client.get(f"/studies/{seeded[0].study.slug}/clicks").get_data(as_text=True)
    assert "1 attempt recorded; 0 clicks, by 0 participants who clicked" in html
    assert "mean over 0 of 1 successful attempt)" in html
    assert "2.00" not in html
    assert "has page views missing from its recording" in html
