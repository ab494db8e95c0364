"""Audit scripts: the documented format parses; mistakes name line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from uxlab.audit.script import (
    ALL_CHECKS,
    PRESETS,
    AuditScript,
    ExpectUrl,
    FillArgs,
    PressArgs,
    load_script,
    parse_script,
    resolve_url,
)
from uxlab.errors import AuditScriptError

SCRIPTS = Path(__file__).parent / "scripts"

ISSUE_EXAMPLE = """\
name: Storefront smoke audit
base_url: http://127.0.0.1:8000
viewports: [desktop, mobile]        # named presets or {width, height}
tasks:
  - name: Find a jacket and add it to the cart
    steps:
      - goto: /
      - click: {role: link, name: Jackets}
      - fill: {label: Search, value: blue}
      - press: Enter
      - click: "text=Blue rain jacket"
      - click: {role: button, name: Add to cart}
      - expect_url: /cart
      - expect_visible: {text: "1 item"}
    budget: {max_seconds: 8, max_steps: 8}
checks: [accessibility, performance, console, links, tap_targets, overflow, screenshots]
thresholds:
  accessibility: {critical: 0, serious: 0}
  performance: {lcp_ms: 2500, cls: 0.1}
  task_success: 1.0
"""


def test_issue_example_parses() -> None:
    script = parse_script(ISSUE_EXAMPLE)
    assert script.name == "Storefront smoke audit"
    assert [v.name for v in script.viewports] == ["desktop", "mobile"]
    assert (script.viewports[1].width, script.viewports[1].height) == (375, 667)
    assert script.viewports[1].touch and script.viewports[1].mobile
    steps = script.tasks[0].steps
    assert [s.kind for s in steps] == [
        "goto",
        "click",
        "fill",
        "press",
        "click",
        "click",
        "expect_url",
        "expect_visible",
    ]
    assert steps[1].click is not None
    assert (steps[1].click.role, steps[1].click.name) == ("link", "Jackets")
    assert steps[2].fill == FillArgs(label="Search", value="blue")
    assert steps[3].press == PressArgs(key="Enter")
    assert steps[4].click is not None
    assert steps[4].click.selector == "text=Blue rain jacket"
    assert steps[6].expect_url == ExpectUrl(url="/cart")
    assert steps[1].describe() == 'click role=link "Jackets"'
    assert script.tasks[0].budget is not None
    assert script.tasks[0].budget.max_steps == 8
    assert script.thresholds.accessibility.serious == 0
    assert script.thresholds.performance.cls == 0.1
    # the example names every check but the keyboard walk
    assert tuple(script.checks) == tuple(c for c in ALL_CHECKS if c != "keyboard")


def test_defaults_and_python_use() -> None:
    script = AuditScript.model_validate(
        {
            "base_url": "http://127.0.0.1:8000/shop/",
            "viewports": ["tablet", {"width": 800, "height": 600}],
            "tasks": [{"name": "Home", "steps": [{"goto": "/"}, {"screenshot": None}]}],
        }
    )
    assert [v.name for v in script.viewports] == ["tablet", "800x600"]
    assert script.thresholds.task_success == 1.0
    assert tuple(script.checks) == ALL_CHECKS
    assert script.tasks[0].steps[1].kind == "screenshot"
    assert resolve_url("/cart", script.base_url) == "http://127.0.0.1:8000/shop/cart"


def test_overrides_keep_the_rest() -> None:
    script = parse_script(ISSUE_EXAMPLE)
    changed = script.with_overrides(
        base_url="http://127.0.0.1:9/", viewports=["mobile"]
    )
    assert changed.base_url == "http://127.0.0.1:9/"
    assert changed.viewports == [PRESETS["mobile"]]
    assert changed.tasks == script.tasks
    assert changed.thresholds == script.thresholds


def test_relative_goto_without_base_url_loads_but_is_reported() -> None:
    script = parse_script("tasks:\n  - name: t\n    steps: [{goto: /}]\n")
    assert script.relative_gotos() == ["tasks[0].steps[0] ('t'): goto '/'"]
    assert script.with_overrides(base_url="http://x.test").relative_gotos() == []


def test_shipped_fixture_scripts_load() -> None:
    for path in sorted(SCRIPTS.glob("*.yaml")):
        assert load_script(path).tasks


HEAD = "name: x\nbase_url: http://127.0.0.1:1\n"


@pytest.mark.parametrize(
    ("body", "line", "field", "message"),
    [
        (
            "tasks:\n  - name: t\n    steps:\n      - goto: /\n      - clik: {text: Buy}\n",
            7,
            "tasks[0].steps[1].clik",
            "unknown step 'clik'",
        ),
        (
            "tasks:\n  - steps:\n      - goto: /\n",
            4,
            "tasks[0].name",
            "Field required",
        ),
        (
            "viewports: [desktop, phone]\ntasks:\n  - name: t\n    steps: [{goto: /}]\n",
            3,
            "viewports[1]",
            "unknown viewport 'phone'",
        ),
        (
            "tasks:\n  - name: t\n    steps: [{goto: /}]\nthresholds:\n"
            "  accessibility: {critical: 0}\n  task_success: lots\n",
            8,
            "thresholds.task_success",
            "valid number",
        ),
        (
            "tasks:\n  - name: t\n    steps:\n      - goto: /\n      - click:\n"
            "          role: button\n          text: Buy\n",
            8,
            "tasks[0].steps[1].click",
            "give one way to find the element, not ['role', 'text']",
        ),
        (
            "tasks:\n  - name: t\n    steps:\n      - fill: {label: Search}\n",
            6,
            "tasks[0].steps[0].fill.value",
            "Field required",
        ),
        (
            "tasks:\n  - name: t\n    steps:\n      - goto: /\n        click: Buy\n",
            6,
            "tasks[0].steps[0]",
            "exactly one of",
        ),
        (
            "tasks:\n  - name: t\n    steps: [{goto: /}]\nchecks: [accessibility, speed]\n",
            6,
            "checks[1]",
            "Input should be 'accessibility'",
        ),
        (
            "tasks:\n  - name: t\n    steps: [{goto: /}]\n    budget: {max_seconds: -1}\n",
            6,
            "tasks[0].budget.max_seconds",
            "greater than 0",
        ),
    ],
)
def test_errors_name_line_and_field(
    body: str, line: int, field: str, message: str
) -> None:
    with pytest.raises(AuditScriptError) as caught:
        parse_script(HEAD + body, source="shop.yaml")
    text = str(caught.value)
    assert text.startswith(f"shop.yaml line {line}: {field}: "), text
    assert message in text


def test_yaml_syntax_error_names_the_line() -> None:
    text = HEAD + "tasks:\n  - name: t\n    steps: [{goto: /}\n"
    with pytest.raises(AuditScriptError, match=r"^s\.yaml line 6: YAML syntax error"):
        parse_script(text, source="s.yaml")


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AuditScriptError, match="line 1: the script must be a mapping"):
        parse_script("- goto: /\n")
    with pytest.raises(AuditScriptError, match="cannot read"):
        load_script(tmp_path / "nope.yaml")


def test_every_error_is_reported_at_once() -> None:
    body = textwrap.dedent(
        """\
        viewports: [watch]
        tasks:
          - name: t
            steps: [{goto: /}, {jump: x}]
        """
    )
    with pytest.raises(AuditScriptError) as caught:
        parse_script(HEAD + body, source="s.yaml")
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("s.yaml line 3: viewports[0]:")
    assert lines[1].startswith("s.yaml line 6: tasks[0].steps[1].jump:")
