"""Every state a journey reaches is audited, not only the page as loaded.

Each fixture changes the page without a new URL: a dialog opened by a click,
a form's error messages, a hash-routed view. The barrier is planted in the
new state only, so an audit of the loaded page alone finds nothing; each has
a clean twin on which the same journey must find nothing.

Others change the URL: a single-page app's ``history.pushState`` route, a
link to another page, a form submitted to another page. Their findings name
the step that led there too, as the page a task opens with ``goto`` does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from uxlab.audit import AuditReport, AuditScript, run_audit

pytestmark = pytest.mark.browser

JOURNEYS: dict[str, list[dict[str, Any]]] = {
    "dialog": [{"click": {"role": "button", "name": "Sign up"}}],
    "form": [{"click": {"role": "button", "name": "Send"}}],
    "route": [{"click": {"role": "link", "name": "Settings"}}],
}
# page -> (rule, selector) planted in the state its step reaches
PLANTED = {
    "dialog": {("image-alt", "img"), ("label", "input")},
    "form": {("color-contrast", "#email-error")},
    "route": {("label", "input")},
}
STEP = {
    "dialog": 'after step 2 of "Journey": click role=button "Sign up"',
    "form": 'after step 2 of "Journey": click role=button "Send"',
    "route": 'after step 2 of "Journey": click role=link "Settings"',
}


def audit(base: str, page: str, steps: list[dict[str, Any]]) -> AuditReport:
    script = AuditScript.model_validate(
        {
            "name": "States",
            "base_url": base,
            "viewports": ["desktop"],
            "checks": ["accessibility", "screenshots"],
            "tasks": [{"name": "Journey", "steps": [{"goto": f"/{page}"}, *steps]}],
        }
    )
    return run_audit(script)


@pytest.mark.parametrize("name", sorted(JOURNEYS))
def test_barrier_in_a_reached_state_is_found_and_names_the_state(
    site_url: Callable[[str], str], name: str
) -> None:
    report = audit(site_url("states"), name, JOURNEYS[name])
    assert {(f.rule, f.selector) for f in report.findings} == PLANTED[name]
    assert {f.state for f in report.findings} == {STEP[name]}
    # two states of one URL: the page as loaded, and the state the step reached
    assert [(p.state, p.screenshot is not None) for p in report.pages] == [
        (None, True),
        (STEP[name], True),
    ]
    assert {p.url for p in report.pages} == {f"{site_url('states')}/{name}"}
    (issue, *_) = report.issues
    assert issue.states == (STEP[name],)


@pytest.mark.parametrize("name", sorted(JOURNEYS))
def test_clean_twin_state_has_no_findings(
    site_url: Callable[[str], str], name: str
) -> None:
    report = audit(site_url("states"), f"{name}-clean", JOURNEYS[name])
    assert [(f.rule, f.selector, f.state) for f in report.findings] == []
    assert len(report.pages) == 2


def test_a_step_that_changes_nothing_visible_is_not_audited_again(
    site_url: Callable[[str], str],
) -> None:
    # hovering the heading and typing into the field leave the same state
    steps = [
        {"hover": {"role": "heading", "name": "Contact"}},
        {"fill": {"label": "Email", "value": "sam@example.org"}},
    ]
    report = audit(site_url("states"), "form-clean", steps)
    assert len(report.pages) == 1


def test_an_audit_step_audits_a_state_once(site_url: Callable[[str], str]) -> None:
    steps = [*JOURNEYS["dialog"], {"audit": "Sign-up dialog"}]
    report = audit(site_url("states"), "dialog", steps)
    # the click reached the state first; the audit step's state is the same
    assert len(report.pages) == 2
    script = AuditScript.model_validate(
        {
            "base_url": site_url("states"),
            "viewports": ["desktop"],
            "checks": ["accessibility"],
            "tasks": [
                {
                    "name": "Journey",
                    "steps": [
                        {"goto": "/dialog"},
                        {"audit": "Loaded"},
                    ],
                }
            ],
        }
    )
    assert run_audit(script).pages[0].state is None
    named = AuditScript.model_validate(
        {"tasks": [{"name": "T", "steps": [{"goto": "http://x.test/"}, "audit"]}]}
    )
    assert named.tasks[0].steps[1].kind == "audit"
    assert named.tasks[0].steps[1].describe() == "audit"


def test_a_later_step_reaching_an_audited_state_names_the_first_step(
    site_url: Callable[[str], str], tmp_path: Path
) -> None:
    from lxml import html as lxml_html

    from tests.audit.test_report import SCHEMA, validate
    from uxlab.audit.report import write_reports

    script = AuditScript.model_validate(
        {
            "name": "States",
            "base_url": site_url("states"),
            "viewports": ["desktop"],
            "checks": ["accessibility"],
            "tasks": [
                {
                    "name": "Journey",
                    "steps": [
                        {"goto": "/dialog"},
                        *JOURNEYS["dialog"],
                        {"audit": "Sign-up dialog"},
                    ],
                },
                {"name": "Again", "steps": [{"goto": "/dialog"}]},
            ],
        }
    )
    report = run_audit(script)
    # the findings stay with the step that first led to the dialog
    assert {f.state for f in report.findings} == {STEP["dialog"]}
    journey, again = report.tasks
    assert [s.same_state_as for s in journey.steps] == [None, None, ("Journey", 2)]
    assert [s.same_state_as for s in again.steps] == [("Journey", 1)]
    write_reports(report, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert validate(data, SCHEMA) == []
    steps = [t["steps"] for t in data["tasks"]]
    assert steps[0][2]["same_state_as"] == {"task": "Journey", "step": 2}
    assert steps[1][0]["same_state_as"] == {"task": "Journey", "step": 1}
    tree = lxml_html.fromstring((tmp_path / "report.html").read_text())
    rows = [
        " ".join(row.text_content().split())
        for row in tree.xpath("//details[starts-with(@id, 'task-')]//tbody/tr")
    ]
    assert "same state as step 2, audited there" in rows[2]
    assert 'same state as step 1 of "Journey", audited there' in rows[3]
    # The Pages table says which later steps reached each state again.
    pages = [
        " ".join(row.text_content().split())
        for row in tree.xpath("//section[@aria-labelledby='pages']//tbody/tr")
    ]
    dialog = next(p for p in pages if STEP["dialog"] in p)
    assert "Reached again by step 3 of “Journey”" in dialog
    loaded = next(p for p in pages if STEP["dialog"] not in p)
    assert "Reached again by step 1 of “Again”" in loaded


# page -> the steps after its goto that lead to a new URL
NAVIGATIONS: dict[str, list[dict[str, Any]]] = {
    # a link whose click handler calls history.pushState and draws the view
    "spa": [{"click": {"role": "link", "name": "Settings"}}],
    # a plain link to another page
    "shop": [{"click": {"role": "link", "name": "Jackets"}}],
    # a search form submitted (GET) to a results page
    "search": [
        {"fill": {"label": "Search", "value": "rain"}},
        {"click": {"role": "button", "name": "Search"}},
    ],
}
# page -> (path reached, {(rule, selector)} planted there, the step's label)
REACHED = {
    "spa": (
        "/spa/settings",
        {("label", "input")},
        'after step 2 of "Journey": click role=link "Settings"',
    ),
    "shop": (
        "/shop-jackets",
        {("image-alt", "img")},
        'after step 2 of "Journey": click role=link "Jackets"',
    ),
    "search": (
        "/search-results",
        {("button-name", "button")},
        'after step 3 of "Journey": click role=button "Search"',
    ),
}


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


@pytest.mark.parametrize("name", sorted(NAVIGATIONS))
def test_barrier_on_a_new_url_names_the_step_that_led_there(
    site_url: Callable[[str], str], name: str
) -> None:
    path, planted, step = REACHED[name]
    report = audit(site_url("states"), name, NAVIGATIONS[name])
    assert {(f.rule, f.selector) for f in report.findings} == planted
    assert {(_path(f.url), f.state) for f in report.findings} == {(path, step)}
    # the page the task opened with goto keeps no label; the new URL is named
    # by its step, with a screenshot of it
    assert [
        (_path(p.url), p.state, p.screenshot is not None) for p in report.pages
    ] == [(f"/{name}", None, True), (path, step, True)]
    (issue,) = report.issues
    assert issue.states == (step,)
    assert [_path(url) for url in issue.pages] == [path]


@pytest.mark.parametrize("name", sorted(NAVIGATIONS))
def test_clean_twin_of_a_new_url_has_no_findings(
    site_url: Callable[[str], str], name: str
) -> None:
    report = audit(site_url("states"), f"{name}-clean", NAVIGATIONS[name])
    assert [(f.rule, f.selector, f.state) for f in report.findings] == []
    assert [(_path(p.url), p.state) for p in report.pages] == [
        (f"/{name}-clean", None),
        (
            REACHED[name][0].replace(name, f"{name}-clean", 1),
            REACHED[name][2],
        ),
    ]


def test_a_new_url_keeps_its_load_timings_and_its_console_errors(
    site_url: Callable[[str], str],
) -> None:
    """A page loaded by a link is measured as loaded; a pushState route is not.

    Errors the page logs are listed under the state its step reached.
    """
    base = site_url("states")
    script = AuditScript.model_validate(
        {
            "base_url": base,
            "viewports": ["desktop"],
            "checks": ["performance", "console"],
            "tasks": [
                {"name": "Shop", "steps": [{"goto": "/shop"}, *NAVIGATIONS["shop"]]},
                {"name": "App", "steps": [{"goto": "/spa"}, *NAVIGATIONS["spa"]]},
            ],
        }
    )
    report = run_audit(script, fail_on="none")
    pages = {_path(p.url): p for p in report.pages}
    assert set(pages) == {"/shop", "/shop-jackets", "/spa", "/spa/settings"}
    shop_step = 'after step 2 of "Shop": click role=link "Jackets"'
    app_step = 'after step 2 of "App": click role=link "Settings"'
    assert pages["/shop-jackets"].state == shop_step
    assert pages["/spa/settings"].state == app_step
    # a new document: its own timings; the route drew a view in the same one
    assert pages["/shop"].perf is not None and pages["/spa"].perf is not None
    assert pages["/shop-jackets"].perf is not None
    assert pages["/shop-jackets"].perf.fcp_ms is not None
    assert pages["/spa/settings"].perf is None
    console = [f for f in report.findings if f.check == "console"]
    assert [(_path(f.url), f.state) for f in console] == [
        ("/shop-jackets", shop_step)
    ], [(f.url, f.state, f.message) for f in console]


def frame_audit(base: str, page: str) -> AuditReport:
    script = AuditScript.model_validate(
        {
            "base_url": base,
            "viewports": ["desktop"],
            "checks": ["accessibility"],
            "tasks": [{"name": "Journey", "steps": [{"goto": page}]}],
        }
    )
    return run_audit(script)


def test_content_in_a_same_origin_frame_is_audited(
    site_url: Callable[[str], str],
) -> None:
    report = frame_audit(site_url("states"), "/frame")
    assert [(f.rule, f.selector) for f in report.findings] == [
        ("image-alt", "iframe, img")
    ]
    clean = frame_audit(site_url("states"), "/frame-clean")
    assert [(f.rule, f.selector) for f in clean.findings] == []


def test_a_cross_origin_frame_is_listed_as_not_audited(
    site_url: Callable[[str], str], tmp_path: Path
) -> None:
    other = site_url("review")  # another port: another origin
    page = tmp_path / "cross.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><title>Cross</title></head><body>'
        f'<main><h1>Cross</h1><iframe src="{other}/clean" title="Offer"></iframe>'
        "</main></body></html>"
    )
    from tests.audit.conftest import serve

    server, thread = serve(tmp_path)
    try:
        report = frame_audit(f"http://127.0.0.1:{server.server_address[1]}", "/cross")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert [(i.rule, i.check) for i in report.issues] == [
        ("frame-tested", "needs_review")
    ]
