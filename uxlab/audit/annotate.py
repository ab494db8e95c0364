"""GitHub Actions annotations: one workflow command per issue and failed task.

``uxlab audit --format github`` (or ``UXLAB_ANNOTATE=github``) prints these so
a pull request shows each open issue where the run's log is read. Critical and
serious issues are errors, moderate ones warnings, minor ones notices.
"""

from __future__ import annotations

from uxlab.audit.findings import AuditReport, Severity

__all__ = ["github_annotations"]

_LEVEL = {
    Severity.critical: "error",
    Severity.serious: "error",
    Severity.moderate: "warning",
    Severity.minor: "notice",
}


def _data(text: str) -> str:
    """Escape a message as GitHub's workflow commands require.

    >>> _data("50% done\\nnext")
    '50%25 done%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: AuditReport) -> list[str]:
    """The workflow commands for the report's open issues and failed tasks."""
    lines = []
    for run in report.tasks:
        if not run.success:
            title = _property(f"uxlab: task failed: {run.task} [{run.viewport}]")
            lines.append(f"::error title={title}::{_data(run.error or 'failed')}")
    for issue in report.open_issues:
        wcag = f" (WCAG {', '.join(issue.wcag)})" if issue.wcag else ""
        title = _property(f"uxlab {issue.severity.value}: {issue.rule}{wcag}")
        pages = ", ".join(issue.pages[:3])
        if len(issue.pages) > 3:
            pages += f" and {len(issue.pages) - 3} more"
        message = (
            f"{issue.message} — {issue.selector or 'page'} on {pages} "
            f"[{', '.join(issue.viewports)}]. Fix: {issue.hint}"
        )
        lines.append(f"::{_LEVEL[issue.severity]} title={title}::{_data(message)}")
    return lines
