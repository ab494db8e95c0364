"""What an audit found: findings, task runs, page audits and the verdict.

Everything here is a frozen dataclass built by :mod:`uxlab.audit.runner` and
read by :mod:`uxlab.audit.report`; nothing here touches a browser.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uxlab.audit.script import AuditScript

if TYPE_CHECKING:
    from uxlab.audit.issues import Issue

__all__ = [
    "ACCESSIBILITY_CHECKS",
    "DEFAULT_VERDICT",
    "FAIL_ON_LEVELS",
    "REVIEW_CHECK",
    "AuditReport",
    "Finding",
    "PageAudit",
    "PerfMetrics",
    "Screenshot",
    "Severity",
    "StepResult",
    "TaskRun",
    "ThresholdResult",
    "evaluate_thresholds",
]


class Severity(enum.StrEnum):
    """How bad a finding is; the same four levels as axe-core's impact."""

    critical = "critical"
    serious = "serious"
    moderate = "moderate"
    minor = "minor"

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for minor, so sorting puts the worst first.

        >>> sorted([Severity.minor, Severity.critical], key=lambda s: s.rank)
        [<Severity.critical: 'critical'>, <Severity.minor: 'minor'>]
        """
        return _RANK[self]

    def at_least(self, level: Severity) -> bool:
        """True when this severity is ``level`` or worse."""
        return self.rank <= level.rank


#: The check of axe-core's undecided ("incomplete") results.
REVIEW_CHECK = "needs_review"

_RANK = {
    Severity.critical: 0,
    Severity.serious: 1,
    Severity.moderate: 2,
    Severity.minor: 3,
}
#: Values ``--fail-on`` accepts.
FAIL_ON_LEVELS: tuple[str, ...] = (*(s.value for s in Severity), "none")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, where it is and how to fix it."""

    #: Rule id: an axe-core rule (``image-alt``) or a uxlab one (``broken-link``).
    rule: str
    #: The check that found it (``accessibility``, ``links``, ...).
    check: str
    severity: Severity
    url: str
    viewport: str
    #: CSS selector of the element, when the finding is about one.
    selector: str | None
    message: str
    #: One line on how to fix it.
    hint: str
    help_url: str | None = None
    tags: tuple[str, ...] = ()
    #: The element's HTML, shortened, when the check saw it.
    snippet: str | None = None
    #: The element outlined in its surroundings, when the check took one.
    screenshot: Screenshot | None = None
    #: The page state it was found in, when not the page as loaded.
    state: str | None = None

    @property
    def wcag(self) -> tuple[str, ...]:
        """WCAG success criteria from the tags (``wcag111`` -> ``1.1.1``).

        >>> Finding("r", "keyboard", Severity.minor, "u", "v", None, "m", "h",
        ...         tags=("wcag2a", "wcag211", "wcag1410")).wcag
        ('2.1.1', '1.4.10')
        """
        found = []
        for tag in self.tags:
            digits = tag[4:]
            if tag.startswith("wcag") and digits.isdigit() and len(digits) >= 3:
                found.append(f"{digits[0]}.{digits[1]}.{digits[2:]}")
        return tuple(found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "check": self.check,
            "severity": self.severity.value,
            "url": self.url,
            "viewport": self.viewport,
            "selector": self.selector,
            "message": self.message,
            "hint": self.hint,
            "help_url": self.help_url,
            "tags": list(self.tags),
            "snippet": self.snippet,
            "screenshot": (
                None
                if self.screenshot is None
                else f"screenshots/{self.screenshot.filename}"
            ),
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class Screenshot:
    """An image the run took; ``name`` is unique within the run."""

    name: str
    data: bytes
    mime: str = "image/jpeg"

    @property
    def filename(self) -> str:
        return f"{self.name}.{'png' if self.mime == 'image/png' else 'jpg'}"


@dataclass(frozen=True, slots=True)
class StepResult:
    """How one step of one task went at one viewport."""

    index: int
    kind: str
    description: str
    ok: bool
    seconds: float
    url: str
    error: str | None = None
    screenshot: Screenshot | None = None
    #: When the step reached a page state already audited at this viewport:
    #: the task and step number (from 1) that reached it first, where its
    #: findings are listed.
    same_state_as: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class TaskRun:
    """One task replayed at one viewport."""

    task: str
    task_index: int
    viewport: str
    success: bool
    steps: tuple[StepResult, ...]
    seconds: float
    #: The distinct URLs the task visited, in order.
    pages: tuple[str, ...]
    #: Index of the failed step, when the task failed.
    failed_step: int | None = None
    error: str | None = None
    #: Budget overruns ("took 9.1 s > 8 s"); empty when within budget or none set.
    over_budget: tuple[str, ...] = ()

    @property
    def step_count(self) -> int:
        """Steps actually run (a failed task stops at its failed step)."""
        return len(self.steps)

    @property
    def screenshots(self) -> tuple[Screenshot, ...]:
        return tuple(s.screenshot for s in self.steps if s.screenshot is not None)


@dataclass(frozen=True, slots=True)
class PerfMetrics:
    """Timings of a page load in milliseconds, from the page's own timeline."""

    ttfb_ms: float | None
    fcp_ms: float | None
    lcp_ms: float | None
    cls: float | None
    dom_content_loaded_ms: float | None
    load_ms: float | None
    requests: int
    transfer_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "ttfb_ms": self.ttfb_ms,
            "fcp_ms": self.fcp_ms,
            "lcp_ms": self.lcp_ms,
            "cls": self.cls,
            "dom_content_loaded_ms": self.dom_content_loaded_ms,
            "load_ms": self.load_ms,
            "requests": self.requests,
            "transfer_bytes": self.transfer_bytes,
        }


@dataclass(frozen=True, slots=True)
class PageAudit:
    """A page audited at one viewport (each URL × viewport once per run)."""

    url: str
    viewport: str
    title: str
    perf: PerfMetrics | None
    screenshot: Screenshot | None
    seconds: float
    #: Where the page came first in the run: (task index, viewport index, step).
    order: tuple[int, int, int] = (0, 0, 0)
    #: The state reached within the page (a dialog, errors, a route), named by
    #: the step that led there; None for a page a task opened with ``goto``.
    state: str | None = None


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    """One threshold of the script (or ``--fail-on``) and whether it held."""

    name: str
    limit: float | str
    actual: float | str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "limit": self.limit,
            "actual": self.actual,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Everything one audit run produced, and its verdict."""

    script: AuditScript
    started_at: str
    seconds: float
    axe_version: str
    browser_version: str
    workers: int
    tasks: tuple[TaskRun, ...]
    pages: tuple[PageAudit, ...]
    findings: tuple[Finding, ...]
    thresholds: tuple[ThresholdResult, ...] = field(default=())
    fail_on: str = "none"
    #: Issue id -> why it is accepted (from a baseline file).
    accepted: Mapping[str, str] = field(default_factory=dict)
    #: Issue id -> the baseline entry that no longer holds (expired on ...).
    expired: Mapping[str, str] = field(default_factory=dict)
    #: The findings grouped into issues, worst first.
    issues: tuple[Issue, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        from uxlab.audit.issues import group_issues

        object.__setattr__(self, "issues", tuple(group_issues(self.findings)))

    @property
    def verdict(self) -> str:
        """One sentence: passed or failed, and why."""
        if self.script.thresholds.origin == "none":
            return "Passed: the script opts out of thresholds (thresholds: none)."
        failed = self.failed_thresholds
        if not failed:
            return "Passed: every threshold holds."
        names = ", ".join(t.name for t in failed)
        default = (
            " " + DEFAULT_VERDICT if self.script.thresholds.origin == "default" else ""
        )
        return f"Failed: {names}.{default}"

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.thresholds)

    @property
    def exit_code(self) -> int:
        """0 when every threshold holds, 1 when one fails."""
        return 0 if self.passed else 1

    @property
    def failed_thresholds(self) -> tuple[ThresholdResult, ...]:
        return tuple(t for t in self.thresholds if not t.passed)

    @property
    def task_success_rate(self) -> float:
        if not self.tasks:
            return 1.0
        return sum(run.success for run in self.tasks) / len(self.tasks)

    @property
    def open_issues(self) -> tuple[Issue, ...]:
        """Issues the thresholds count: not accepted, and not Needs review
        unless the script counts those."""
        counted = self.script.thresholds.needs_review
        return tuple(
            i
            for i in self.issues
            if i.id not in self.accepted and (counted or i.check != REVIEW_CHECK)
        )

    @property
    def review_issues(self) -> tuple[Issue, ...]:
        """Needs review: what axe-core could not decide, when not counted."""
        if self.script.thresholds.needs_review:
            return ()
        return tuple(
            i
            for i in self.issues
            if i.check == REVIEW_CHECK and i.id not in self.accepted
        )

    @property
    def accepted_issues(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.id in self.accepted)

    def severity_counts(self) -> dict[str, int]:
        """Open issues per severity, every level present (worst first)."""
        counts = Counter(i.severity for i in self.open_issues)
        return {s.value: counts.get(s, 0) for s in Severity}

    def rule_counts(self) -> list[tuple[str, Severity, int]]:
        """(rule, severity, count), most frequent first."""
        counts = Counter((f.rule, f.severity) for f in self.findings)
        rows = [(rule, sev, n) for (rule, sev), n in counts.items()]
        return sorted(rows, key=lambda r: (-r[2], r[1].rank, r[0]))

    def findings_for(self, url: str, viewport: str) -> list[Finding]:
        return [f for f in self.findings if f.url == url and f.viewport == viewport]


# --------------------------------------------------------------- thresholds


#: Checks whose issues the ``accessibility.*`` thresholds count.
ACCESSIBILITY_CHECKS: frozenset[str] = frozenset(
    {"accessibility", "keyboard", "needs_review"}
)
#: The verdict of a script with no ``thresholds``.
DEFAULT_VERDICT = (
    "The script sets no thresholds, so the run fails on any critical "
    "accessibility issue or failed task (thresholds: none opts out)."
)


def evaluate_thresholds(
    script: AuditScript,
    tasks: Sequence[TaskRun],
    pages: Sequence[PageAudit],
    findings: Iterable[Finding],
    *,
    fail_on: str = "none",
    accepted: Iterable[str] = (),
) -> tuple[ThresholdResult, ...]:
    """Check the script's thresholds, task budgets and ``--fail-on`` level.

    Findings are counted as issues (see :mod:`uxlab.audit.issues`); issues
    whose id is in ``accepted`` (a baseline) count toward nothing.
    """
    from uxlab.audit.issues import group_issues

    if fail_on not in FAIL_ON_LEVELS:
        raise ValueError(f"fail_on ({fail_on!r}) must be one of {list(FAIL_ON_LEVELS)}")
    skip = set(accepted)
    issues = [
        i
        for i in group_issues(findings)
        if i.id not in skip
        and (script.thresholds.needs_review or i.check != REVIEW_CHECK)
    ]
    results: list[ThresholdResult] = []
    limits = script.thresholds
    origin = limits.origin

    rate = sum(run.success for run in tasks) / len(tasks) if tasks else 1.0
    failed = [f"{run.task} @ {run.viewport}" for run in tasks if not run.success]
    if origin != "none":
        results.append(
            ThresholdResult(
                "task_success",
                limits.task_success,
                round(rate, 4),
                rate >= limits.task_success,
                ("failed: " + "; ".join(failed)) if failed else "",
            )
        )

    axe = [i for i in issues if i.check in ACCESSIBILITY_CHECKS]
    levels = {s: getattr(limits.accessibility, s.value) for s in Severity}
    if origin == "default":
        levels[Severity.critical] = 0
    for severity in Severity:
        limit = levels[severity]
        if limit is None:
            continue
        matching = [i for i in axe if i.severity == severity]
        results.append(
            ThresholdResult(
                f"accessibility.{severity.value}",
                limit,
                len(matching),
                len(matching) <= limit,
                (DEFAULT_VERDICT + " " if origin == "default" else "")
                + ", ".join(sorted({i.rule for i in matching})),
            )
        )

    for metric in ("lcp_ms", "fcp_ms", "cls", "ttfb_ms"):
        limit = getattr(limits.performance, metric)
        if limit is None:
            continue
        measured = [
            (value, page)
            for page in pages
            if page.perf is not None
            and (value := getattr(page.perf, metric)) is not None
        ]
        worst = max((value for value, _ in measured), default=0.0)
        over = [f"{p.url} [{p.viewport}] {v:g}" for v, p in measured if v > limit]
        results.append(
            ThresholdResult(
                f"performance.{metric}",
                limit,
                round(worst, 4),
                not over,
                ("over: " + "; ".join(over)) if over else "",
            )
        )

    for run in tasks:
        if script.tasks[run.task_index].budget is None:
            continue
        results.append(
            ThresholdResult(
                f"budget: {run.task} @ {run.viewport}",
                "within budget",
                "; ".join(run.over_budget) or "within budget",
                not run.over_budget,
                "; ".join(run.over_budget),
            )
        )

    if fail_on != "none":
        level = Severity(fail_on)
        at_or_above = [i for i in issues if i.severity.at_least(level)]
        rules = sorted({i.rule for i in at_or_above})
        results.append(
            ThresholdResult(
                f"fail_on.{fail_on}",
                0,
                len(at_or_above),
                not at_or_above,
                ", ".join(rules),
            )
        )
    return tuple(results)
