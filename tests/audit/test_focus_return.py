"""Where the focus goes when a step of the journey closes a dialog.

``dialog-close`` hides its dialog and leaves the focus behind, on the page
itself; its clean twin puts the focus back on the button that opened the
dialog. Both are closed with the Close button and with Escape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from uxlab.audit import AuditReport, AuditScript, run_audit

pytestmark = pytest.mark.browser

CLOSES: dict[str, dict[str, Any]] = {
    "close button": {"click": {"role": "button", "name": "Close"}},
    "escape": {"press": "Escape"},
}


def journey(base: str, page: str, close: dict[str, Any]) -> AuditReport:
    """Open the page at desktop and mobile, open its dialog, close it."""
    script = AuditScript.model_validate(
        {
            "name": "Dialogs",
            "base_url": base,
            "viewports": ["desktop", "mobile"],
            "checks": ["keyboard", "screenshots"],
            "tasks": [
                {
                    "name": "Sign up",
                    "steps": [
                        {"goto": f"/{page}"},
                        {"click": {"role": "button", "name": "Sign up"}},
                        close,
                    ],
                }
            ],
        }
    )
    return run_audit(script)


@pytest.mark.parametrize("how", sorted(CLOSES))
def test_focus_left_behind_by_a_closed_dialog_is_found(
    site_url: Callable[[str], str], how: str
) -> None:
    report = journey(site_url("keyboard"), "dialog-close", CLOSES[how])
    assert [(f.rule, f.viewport) for f in report.findings] == [
        ("focus-lost", "desktop")
    ], [(f.rule, f.selector, f.message) for f in report.findings]
    (finding,) = report.findings
    step = 'click role=button "Close"' if how == "close button" else "press Escape"
    assert finding.state == f'after step 3 of "Sign up": {step}'
    assert finding.selector == "#dialog"
    assert finding.snippet is not None and 'role="dialog"' in finding.snippet
    assert "closed" in finding.message and "focus" in finding.message
    assert finding.wcag == ("2.4.3",)
    assert finding.screenshot is not None
    (issue,) = report.issues
    assert issue.states == (finding.state,)


@pytest.mark.parametrize("how", sorted(CLOSES))
def test_focus_returned_to_the_opener_is_not_a_finding(
    site_url: Callable[[str], str], how: str
) -> None:
    report = journey(site_url("keyboard"), "dialog-close-clean", CLOSES[how])
    assert [(f.rule, f.selector, f.state) for f in report.findings] == []
    assert all(run.success for run in report.tasks)


def test_a_dialog_closed_by_a_route_change_names_its_step(
    site_url: Callable[[str], str],
) -> None:
    # Done moves to /dialog-route/thanks with history.pushState as it closes
    done = {"click": {"role": "button", "name": "Done"}}
    report = journey(site_url("keyboard"), "dialog-route", done)
    lost = [f for f in report.findings if f.rule == "focus-lost"]
    assert [(f.state, f.url) for f in lost] == [
        (
            'after step 3 of "Sign up": click role=button "Done"',
            f"{site_url('keyboard')}/dialog-route/thanks",
        )
    ]
