"""Findings grouped into issues: one problem, however many pages show it.

A finding is one element on one page at one viewport. The same missing label
in a site-wide header is found on every page at every viewport; designers fix
it once. An issue gathers the findings that share a rule, a normalised
selector (``:nth-of-type(3)`` and ``:nth-child(2)`` dropped, so the same
element in a repeated list or on a page with one more item counts once) and a
message, and says where they were seen.

Issues are what the summary, the thresholds, the baseline and CI annotations
count; the per-page findings stay in the report for detail.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from uxlab.audit.findings import Finding, Screenshot, Severity

__all__ = ["Issue", "fingerprint", "group_issues", "normalise_selector"]

_NTH = re.compile(r":nth-(?:of-type|child)\(\d+\)")


def normalise_selector(selector: str | None) -> str:
    """The selector without positional parts and extra spaces.

    >>> normalise_selector("body > ul > li:nth-of-type(3) >  a")
    'body > ul > li > a'
    """
    if not selector:
        return ""
    return " ".join(_NTH.sub("", selector).split())


def fingerprint(rule: str, selector: str | None, message: str) -> str:
    """A stable id for an issue (12 hex digits), used by baselines.

    >>> fingerprint("image-alt", "img.logo", "Element has no alt")
    'fc96d550e7dd'
    """
    text = "\x1f".join((rule, normalise_selector(selector), message.strip()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Issue:
    """Findings that are one problem: same rule, element and message."""

    id: str
    rule: str
    check: str
    severity: Severity
    #: WCAG success criteria (``1.1.1``), from the findings' tags.
    wcag: tuple[str, ...]
    #: The selector of the first finding (a real one, not normalised).
    selector: str | None
    snippet: str | None
    message: str
    hint: str
    help_url: str | None
    #: Distinct page URLs, in the order the run met them.
    pages: tuple[str, ...]
    #: Distinct page states (a page, or a state reached on it) where it was seen.
    states: tuple[str, ...]
    viewports: tuple[str, ...]
    #: How many findings (elements × pages × viewports) it gathers.
    count: int
    screenshot: Screenshot | None = None

    @property
    def reach(self) -> int:
        """How many page states show it (issues that reach further rank first)."""
        return len(self.states)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "rule": self.rule,
            "check": self.check,
            "severity": self.severity.value,
            "wcag": list(self.wcag),
            "selector": self.selector,
            "snippet": self.snippet,
            "message": self.message,
            "hint": self.hint,
            "help_url": self.help_url,
            "pages": list(self.pages),
            "states": list(self.states),
            "viewports": list(self.viewports),
            "count": self.count,
            "screenshot": (
                None
                if self.screenshot is None
                else f"screenshots/{self.screenshot.filename}"
            ),
        }


def group_issues(findings: Iterable[Finding]) -> list[Issue]:
    """Group findings into issues, worst first, then by reach."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        key = fingerprint(finding.rule, finding.selector, finding.message)
        groups.setdefault(key, []).append(finding)
    issues = []
    for key, members in groups.items():
        first = members[0]
        worst = min((f.severity for f in members), key=lambda s: s.rank)
        issues.append(
            Issue(
                id=key,
                rule=first.rule,
                check=first.check,
                severity=worst,
                wcag=first.wcag,
                selector=first.selector,
                snippet=next((f.snippet for f in members if f.snippet), None),
                message=first.message,
                hint=first.hint,
                help_url=first.help_url,
                pages=tuple(dict.fromkeys(f.url for f in members)),
                states=tuple(dict.fromkeys(f.state or f.url for f in members)),
                viewports=tuple(dict.fromkeys(f.viewport for f in members)),
                count=len(members),
                screenshot=next(
                    (f.screenshot for f in members if f.screenshot is not None), None
                ),
            )
        )
    return sorted(
        issues,
        key=lambda i: (i.severity.rank, -i.reach, -i.count, i.rule, i.selector or ""),
    )
