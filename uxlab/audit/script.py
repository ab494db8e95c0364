"""Audit scripts: the journeys a designer wants replayed, read from YAML.

A script names a site, the screen sizes to use, the tasks (each a list of
steps), the checks to run on every page the tasks reach and the thresholds that
decide whether the run passes::

    name: Storefront smoke audit
    base_url: http://127.0.0.1:8000
    viewports: [desktop, mobile]
    tasks:
      - name: Find a jacket
        steps:
          - goto: /
          - click: {role: link, name: Jackets}
          - expect_visible: {text: Blue rain jacket}
        budget: {max_seconds: 8, max_steps: 8}
    checks: [accessibility, performance, console, links]
    thresholds:
      accessibility: {critical: 0, serious: 0}
      performance: {lcp_ms: 2500, cls: 0.1}
      task_success: 1.0

:func:`load_script` reads such a file; a mistake raises
:class:`~uxlab.errors.AuditScriptError` naming the line and the field. From
Python, build the same thing with ``AuditScript.model_validate({...})``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from uxlab.errors import AuditScriptError

__all__ = [
    "ALL_CHECKS",
    "PRESETS",
    "SEVERITIES",
    "STEP_KINDS",
    "AccessibilityThresholds",
    "AuditScript",
    "Budget",
    "CheckName",
    "ExpectText",
    "ExpectUrl",
    "FillArgs",
    "PerformanceThresholds",
    "PressArgs",
    "SelectArgs",
    "Step",
    "Target",
    "TaskSpec",
    "Thresholds",
    "Viewport",
    "WaitFor",
    "load_script",
    "parse_script",
    "resolve_url",
]

CheckName = Literal[
    "accessibility",
    "performance",
    "console",
    "links",
    "tap_targets",
    "overflow",
    "screenshots",
    "keyboard",
]
#: Every check, in the order they run on a page.
ALL_CHECKS: tuple[CheckName, ...] = (
    "accessibility",
    "performance",
    "console",
    "links",
    "tap_targets",
    "overflow",
    "screenshots",
    "keyboard",
)
#: Finding severities from worst to mildest (axe-core's impact levels).
SEVERITIES: tuple[str, ...] = ("critical", "serious", "moderate", "minor")

#: The step kinds, in the order the docs list them.
STEP_KINDS: tuple[str, ...] = (
    "goto",
    "click",
    "fill",
    "select",
    "check",
    "press",
    "hover",
    "wait_for",
    "expect_url",
    "expect_visible",
    "expect_text",
    "screenshot",
    "audit",
)

_LOCATOR_KEYS: tuple[str, ...] = (
    "selector",
    "role",
    "text",
    "css",
    "label",
    "placeholder",
    "testid",
    "alt",
    "title",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------ viewports


class Viewport(_Model):
    """A screen size; ``mobile`` also emulates a phone (touch, device viewport)."""

    name: str = ""
    width: int = Field(ge=200, le=4000)
    height: int = Field(ge=200, le=4000)
    mobile: bool = False
    touch: bool = False
    scale: float = Field(default=1.0, gt=0, le=4)

    @model_validator(mode="after")
    def _default_name(self) -> Self:
        if not self.name:
            object.__setattr__(self, "name", f"{self.width}x{self.height}")
        return self

    @property
    def narrow(self) -> bool:
        """True for phone-sized screens, where overflow and viewport meta matter."""
        return self.mobile or self.width < 600


#: Named viewports a script may use by name.
PRESETS: dict[str, Viewport] = {
    "desktop": Viewport(name="desktop", width=1366, height=768),
    "laptop": Viewport(name="laptop", width=1280, height=800),
    "tablet": Viewport(name="tablet", width=768, height=1024, mobile=True, touch=True),
    "mobile": Viewport(name="mobile", width=375, height=667, mobile=True, touch=True),
}


def _viewport(value: Any) -> Any:
    if isinstance(value, str):
        if value not in PRESETS:
            raise ValueError(
                f"unknown viewport {value!r}; use one of {sorted(PRESETS)} "
                "or {width: ..., height: ...}"
            )
        return PRESETS[value]
    return value


ViewportField = Annotated[Viewport, BeforeValidator(_viewport)]


# ------------------------------------------------------------------ targets


def _selector_string(value: Any) -> Any:
    if isinstance(value, str):
        return {"selector": value}
    return value


class Target(_Model):
    """Which element a step acts on.

    Exactly one of ``selector`` (any Playwright selector, e.g. ``text=Buy`` or
    ``#cart``; a bare string means this), ``role`` (with an optional ``name``),
    ``text``, ``css``, ``label``, ``placeholder``, ``testid``, ``alt`` or
    ``title``; ``nth`` picks one of several matches.
    """

    selector: str | None = None
    role: str | None = None
    name: str | None = None
    text: str | None = None
    css: str | None = None
    label: str | None = None
    placeholder: str | None = None
    testid: str | None = None
    alt: str | None = None
    title: str | None = None
    exact: bool = False
    nth: int | None = None

    @model_validator(mode="after")
    def _one_locator(self) -> Self:
        given = [key for key in _LOCATOR_KEYS if getattr(self, key) is not None]
        if len(given) > 1:
            raise ValueError(f"give one way to find the element, not {given}")
        if self.name is not None and self.role is None:
            raise ValueError("'name' goes with 'role' (e.g. {role: button, name: Buy})")
        for key in given:
            if not str(getattr(self, key)).strip():
                raise ValueError(f"{key!r} must not be empty")
        return self

    @property
    def has_locator(self) -> bool:
        """True when the target names an element (press/expect_text may not)."""
        return any(getattr(self, key) is not None for key in _LOCATOR_KEYS)

    def describe(self) -> str:
        """A short human description: ``role=button "Buy"``, ``text="Buy"``."""
        if self.role is not None:
            return f"role={self.role}" + (f' "{self.name}"' if self.name else "")
        for key in _LOCATOR_KEYS:
            value = getattr(self, key)
            if value is not None:
                return value if key == "selector" else f'{key}="{value}"'
        return "page"


class _RequiredTarget(Target):
    @model_validator(mode="after")
    def _needs_locator(self) -> Self:
        if not self.has_locator:
            raise ValueError(
                "say which element: role/name, text, label, css, selector, "
                "placeholder, testid, alt or title"
            )
        return self


TargetField = Annotated[_RequiredTarget, BeforeValidator(_selector_string)]


class FillArgs(_RequiredTarget):
    """``fill: {label: Search, value: blue}``."""

    value: str


class SelectArgs(_RequiredTarget):
    """``select: {label: Size, value: M}`` (option value or label)."""

    value: str | list[str]


def _key_string(value: Any) -> Any:
    return {"key": value} if isinstance(value, str) else value


class PressArgs(Target):
    """``press: Enter`` (focused element) or ``press: {label: Search, key: Enter}``."""

    key: str = Field(min_length=1)


class WaitFor(_RequiredTarget):
    """``wait_for: {text: Saved}``; ``state``: visible, hidden, attached, detached."""

    state: Literal["visible", "hidden", "attached", "detached"] = "visible"


def _expect_text(value: Any) -> Any:
    return {"contains": value} if isinstance(value, str) else value


class ExpectText(Target):
    """``expect_text: 1 item`` (anywhere) or ``{css: .total, contains: "€ 40"}``."""

    contains: str = Field(min_length=1)


def _expect_url(value: Any) -> Any:
    return {"url": value} if isinstance(value, str) else value


class ExpectUrl(_Model):
    """``expect_url: /cart`` (path, query optional) or ``{regex: "/cart\\?.*"}``."""

    url: str | None = None
    regex: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.url is None) == (self.regex is None):
            raise ValueError("give either a URL (/cart) or {regex: ...}")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"invalid regex: {exc}") from None
        return self


# ------------------------------------------------------------------- steps


class Step(_Model):
    """One thing the simulated user does or checks; exactly one key is set."""

    goto: str | None = None
    click: TargetField | None = None
    fill: FillArgs | None = None
    select: SelectArgs | None = None
    check: TargetField | None = None
    press: Annotated[PressArgs, BeforeValidator(_key_string)] | None = None
    hover: TargetField | None = None
    wait_for: Annotated[WaitFor, BeforeValidator(_selector_string)] | None = None
    expect_url: Annotated[ExpectUrl, BeforeValidator(_expect_url)] | None = None
    expect_visible: TargetField | None = None
    expect_text: Annotated[ExpectText, BeforeValidator(_expect_text)] | None = None
    screenshot: str | None = None
    #: Audit the state reached here, under this name ("" for none).
    audit: str | None = None
    timeout_ms: int | None = Field(default=None, gt=0, le=120_000)

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {data: None}
        if not isinstance(data, Mapping):
            raise ValueError(
                "a step is a mapping like 'goto: /' with one of "
                + ", ".join(STEP_KINDS)
            )
        kinds = [key for key in data if key in STEP_KINDS]
        unknown = [key for key in data if key not in STEP_KINDS and key != "timeout_ms"]
        if unknown:
            # Let pydantic's extra="forbid" name the field on its own line.
            return data
        if len(kinds) != 1:
            raise ValueError(
                f"a step has exactly one of {', '.join(STEP_KINDS)}; "
                f"got {kinds or 'none'}"
            )
        if kinds in (["screenshot"], ["audit"]) and data[kinds[0]] is None:
            data = {**data, kinds[0]: ""}
        return data

    @property
    def kind(self) -> str:
        for kind in STEP_KINDS:
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError(
            "unreachable: a validated step has one kind"
        )  # pragma: no cover

    @property
    def args(self) -> Any:
        return getattr(self, self.kind)

    def describe(self) -> str:
        """A one-line description, e.g. ``click role=link "Jackets"``."""
        args = self.args
        if isinstance(args, FillArgs | SelectArgs):
            return f"{self.kind} {args.describe()} = {args.value!r}"
        if isinstance(args, PressArgs):
            where = f" in {args.describe()}" if args.has_locator else ""
            return f"press {args.key}{where}"
        if isinstance(args, ExpectText):
            return f"expect_text {args.contains!r} in {args.describe()}"
        if isinstance(args, ExpectUrl):
            return f"expect_url {args.url or args.regex}"
        if isinstance(args, Target):
            return f"{self.kind} {args.describe()}"
        return f"{self.kind} {args}".rstrip()


class Budget(_Model):
    """Most seconds and steps a task may take before it counts as over budget."""

    max_seconds: float | None = Field(default=None, gt=0)
    max_steps: int | None = Field(default=None, gt=0)


class TaskSpec(_Model):
    """A task: a name and the steps a user takes to complete it."""

    name: str = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    budget: Budget | None = None


# -------------------------------------------------------------- thresholds


class AccessibilityThresholds(_Model):
    """Most axe violations (counted per element) allowed at each impact."""

    critical: int | None = Field(default=None, ge=0)
    serious: int | None = Field(default=None, ge=0)
    moderate: int | None = Field(default=None, ge=0)
    minor: int | None = Field(default=None, ge=0)


class PerformanceThresholds(_Model):
    """Slowest values allowed on any page (the worst page decides)."""

    lcp_ms: float | None = Field(default=None, gt=0)
    fcp_ms: float | None = Field(default=None, gt=0)
    cls: float | None = Field(default=None, ge=0)
    ttfb_ms: float | None = Field(default=None, gt=0)


class Thresholds(_Model):
    """What must hold for the run to pass (exit status 0).

    ``origin`` says where they came from: the script's ``thresholds``
    (``script``), none given (``default``: the run fails on any critical
    accessibility issue or failed task), or ``thresholds: none`` (``none``:
    nothing is held to a threshold).
    """

    accessibility: AccessibilityThresholds = AccessibilityThresholds()
    performance: PerformanceThresholds = PerformanceThresholds()
    #: Share of task × viewport runs that must succeed.
    task_success: float = Field(default=1.0, ge=0, le=1)
    #: Whether axe's undecided results (Needs review) count like violations.
    needs_review: bool = False
    origin: Literal["script", "default", "none"] = "script"


# ------------------------------------------------------------------ script


class AuditScript(_Model):
    """A whole audit: site, screen sizes, tasks, checks and thresholds."""

    name: str = "uxlab audit"
    base_url: str | None = None
    viewports: list[ViewportField] = Field(
        default_factory=lambda: [PRESETS["desktop"], PRESETS["mobile"]], min_length=1
    )
    tasks: list[TaskSpec] = Field(min_length=1)
    checks: list[CheckName] = Field(default_factory=lambda: list(ALL_CHECKS))
    thresholds: Thresholds = Thresholds()
    #: How long a step may wait for its element, URL or text.
    step_timeout_ms: int = Field(default=5_000, gt=0, le=120_000)

    @model_validator(mode="before")
    @classmethod
    def _threshold_origin(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            if "thresholds" not in data:
                data = {**data, "thresholds": {"origin": "default"}}
            elif data["thresholds"] is None or data["thresholds"] == "none":
                data = {**data, "thresholds": {"origin": "none", "task_success": 0}}
        return data

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(
                    f"base_url ({value!r}) must be an absolute http(s) URL"
                )
        return value

    @field_validator("viewports")
    @classmethod
    def _unique_viewports(cls, value: list[Viewport]) -> list[Viewport]:
        names = [viewport.name for viewport in value]
        if len(set(names)) != len(names):
            raise ValueError(f"viewport names must be unique, got {names}")
        return value

    def relative_gotos(self) -> list[str]:
        """Where a relative ``goto`` cannot be resolved for want of a base_url."""
        if self.base_url is not None:
            return []
        return [
            f"tasks[{t}].steps[{i}] ({task.name!r}): goto {step.goto!r}"
            for t, task in enumerate(self.tasks)
            for i, step in enumerate(task.steps)
            if step.goto is not None and not urlsplit(step.goto).scheme
        ]

    def with_overrides(
        self,
        *,
        base_url: str | None = None,
        viewports: Sequence[str | Viewport] | None = None,
    ) -> AuditScript:
        """A copy with the command line's --base-url / --viewport applied."""
        data = self.model_dump(exclude_none=True)
        if base_url is not None:
            data["base_url"] = base_url
        if viewports:
            data["viewports"] = list(viewports)
        return AuditScript.model_validate(data)


def resolve_url(url: str, base_url: str | None) -> str:
    """Resolve a step URL against the base URL, keeping the base's path prefix.

    >>> resolve_url("/cart", "http://127.0.0.1:8000/shop/")
    'http://127.0.0.1:8000/shop/cart'
    >>> resolve_url("https://example.org/a", "http://127.0.0.1:8000")
    'https://example.org/a'
    """
    if urlsplit(url).scheme or base_url is None:
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/")


# ----------------------------------------------------------------- loading


def load_script(path: str | Path) -> AuditScript:
    """Read and validate an audit script file (YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuditScriptError(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_script(text, source=str(path))


def parse_script(text: str, *, source: str = "<script>") -> AuditScript:
    """Validate an audit script given as YAML text."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise AuditScriptError(
            f"{source} line {line}: YAML syntax error: {exc.problem or exc}"
        ) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked YAML errors are rare
        raise AuditScriptError(f"{source}: YAML error: {exc}") from exc
    if not isinstance(data, dict):
        raise AuditScriptError(
            f"{source} line 1: the script must be a mapping with 'name' and 'tasks'"
        )
    try:
        return AuditScript.model_validate(data)
    except ValidationError as exc:
        problems = [_describe_error(error, node, source) for error in exc.errors()]
        raise AuditScriptError("\n".join(problems)) from None


def _describe_error(error: Any, root: yaml.Node | None, source: str) -> str:
    loc: tuple[int | str, ...] = tuple(error["loc"])
    node = root
    path: list[int | str] = []
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        path.append(part)
    line = node.start_mark.line + 1 if node is not None else 1
    # Name the whole field, also the part the file lacks (a required key).
    rest = loc[len(path) :]
    named = [*path, *(p for p in rest if isinstance(p, int) or p.isidentifier())]
    field = _format_path(named) or "(top level)"
    if error["type"] == "extra_forbidden":
        if len(path) >= 4 and path[-3] == "steps":
            message = f"unknown step {path[-1]!r}; steps are {', '.join(STEP_KINDS)}"
        else:
            message = f"unknown field {path[-1]!r}"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return f"{source} line {line}: {field}: {message}"


def _child(node: yaml.Node | None, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                found: yaml.Node = value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            child: yaml.Node = node.value[part]
            return child
    return None


def _format_path(path: Sequence[int | str]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
