"""Write an audit's results: report.html, report.json and junit.xml.

* ``report.html`` opens with the verdict, then the issues worst first (with
  filters by severity, rule, page and viewport that need no script), then
  tasks, thresholds and pages, collapsed. Its CSS is inline; screenshots are
  files in ``screenshots/`` that it links to, so it stays small.
* ``report.json`` follows ``report.schema.json`` (next to this module), whose
  version is :data:`SCHEMA_VERSION`.
* ``junit.xml`` has one testcase per task × viewport, one per issue (failed
  when it counts toward a threshold that does not hold, skipped when a
  baseline accepts it) and one per threshold, so CI systems show the run
  natively.

Charts are drawn with matplotlib's object API (``Figure``), never pyplot.
"""

from __future__ import annotations

import base64
import io
import json
import textwrap
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree as ET

from jinja2 import Environment, FileSystemLoader, select_autoescape

from uxlab.audit.findings import (
    ACCESSIBILITY_CHECKS,
    DEFAULT_VERDICT,
    AuditReport,
    Finding,
    Screenshot,
    Severity,
    StepResult,
    TaskRun,
)
from uxlab.audit.issues import Issue, fingerprint

__all__ = [
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "findings_chart",
    "issue_fails",
    "render_html",
    "report_screenshots",
    "report_dict",
    "waterfall_chart",
    "write_html",
    "write_json",
    "write_junit",
    "write_reports",
]

#: Version of report.json's layout; bumped on any incompatible change.
SCHEMA_VERSION: Final = "2.0"
SCHEMA_PATH: Final = Path(__file__).resolve().parent / "report.schema.json"
_HERE = Path(__file__).resolve().parent
_COLOURS: Final = {
    "critical": "#b00020",
    "serious": "#c2410c",  # white on it: 5.2:1
    "moderate": "#e8a200",
    "minor": "#6c757d",
}


def _uxlab_version() -> str:
    try:
        return version("uxlab")
    except PackageNotFoundError:  # pragma: no cover - bare checkout
        return "0.0.0"


def write_reports(report: AuditReport, directory: str | Path) -> dict[str, Path]:
    """Write report.html, report.json, junit.xml and screenshots/ into ``directory``."""
    directory = Path(directory)
    (directory / "screenshots").mkdir(parents=True, exist_ok=True)
    for shot in report_screenshots(report):
        (directory / "screenshots" / shot.filename).write_bytes(shot.data)
    return {
        "html": write_html(report, directory / "report.html"),
        "json": write_json(report, directory / "report.json"),
        "junit": write_junit(report, directory / "junit.xml"),
    }


def report_screenshots(report: AuditReport) -> list[Screenshot]:
    shots = [shot for run in report.tasks for shot in run.screenshots]
    shots += [page.screenshot for page in report.pages if page.screenshot is not None]
    shots += [f.screenshot for f in report.findings if f.screenshot is not None]
    return shots


def _shot_path(shot: Screenshot | None) -> str | None:
    return None if shot is None else f"screenshots/{shot.filename}"


# --------------------------------------------------------------------- JSON


def report_dict(report: AuditReport) -> dict[str, Any]:
    """The report as report.json holds it (see report.schema.json)."""
    script = report.script
    page_findings: dict[tuple[str, str, str | None], int] = {}
    for finding in report.findings:
        key = (finding.url, finding.viewport, finding.state)
        page_findings[key] = page_findings.get(key, 0) + 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": "uxlab",
            "version": _uxlab_version(),
            "axe_core": report.axe_version,
            "browser": report.browser_version,
        },
        "script": {
            "name": script.name,
            "base_url": script.base_url,
            "viewports": [v.model_dump() for v in script.viewports],
            "checks": list(script.checks),
            "thresholds": script.thresholds.model_dump(),
        },
        "run": {
            "started_at": report.started_at,
            "seconds": report.seconds,
            "workers": report.workers,
            "fail_on": report.fail_on,
        },
        "summary": {
            "passed": report.passed,
            "exit_code": report.exit_code,
            "task_success_rate": round(report.task_success_rate, 4),
            "task_runs": len(report.tasks),
            "pages": len(report.pages),
            "verdict": report.verdict,
            "issues": report.severity_counts(),
            "accepted_issues": len(report.accepted_issues),
            "needs_review": len(report.review_issues),
            "findings": len(report.findings),
            "failed_thresholds": [t.name for t in report.failed_thresholds],
        },
        "thresholds": [t.to_dict() for t in report.thresholds],
        "tasks": [
            {
                "name": run.task,
                "index": run.task_index,
                "viewport": run.viewport,
                "success": run.success,
                "seconds": run.seconds,
                "step_count": run.step_count,
                "pages": list(run.pages),
                "failed_step": run.failed_step,
                "error": run.error,
                "over_budget": list(run.over_budget),
                "steps": [
                    {
                        "index": step.index,
                        "kind": step.kind,
                        "description": step.description,
                        "ok": step.ok,
                        "seconds": step.seconds,
                        "url": step.url,
                        "error": step.error,
                        "screenshot": _shot_path(step.screenshot),
                        "same_state_as": (
                            None
                            if step.same_state_as is None
                            else {
                                "task": step.same_state_as[0],
                                "step": step.same_state_as[1],
                            }
                        ),
                    }
                    for step in run.steps
                ],
            }
            for run in report.tasks
        ],
        "pages": [
            {
                "url": page.url,
                "viewport": page.viewport,
                "state": page.state,
                "title": page.title,
                "seconds": page.seconds,
                "perf": page.perf.to_dict() if page.perf is not None else None,
                "screenshot": _shot_path(page.screenshot),
                "findings": page_findings.get((page.url, page.viewport, page.state), 0),
            }
            for page in report.pages
        ],
        "issues": [
            {
                **issue.to_dict(),
                "accepted": report.accepted.get(issue.id),
                "baseline_expired": report.expired.get(issue.id),
            }
            for issue in report.issues
        ],
        "findings": [finding.to_dict() for finding in report.findings],
    }


def write_json(report: AuditReport, path: str | Path) -> Path:
    """Write report.json."""
    path = Path(path)
    path.write_text(json.dumps(report_dict(report), indent=2) + "\n", encoding="utf-8")
    return path


# -------------------------------------------------------------------- JUnit


def issue_fails(report: AuditReport, issue: Issue) -> bool:
    """Whether the issue counts toward a threshold that does not hold."""
    if issue.id in report.accepted:
        return False
    for result in report.failed_thresholds:
        if (
            result.name == f"accessibility.{issue.severity.value}"
            and issue.check in ACCESSIBILITY_CHECKS
        ):
            return True
        level = result.name.removeprefix("fail_on.")
        if level != result.name and issue.severity.at_least(Severity(level)):
            return True
    return False


def _issue_where(issue: Issue) -> str:
    pages = ", ".join(issue.pages[:3]) + (
        f" and {len(issue.pages) - 3} more" if len(issue.pages) > 3 else ""
    )
    return f"{issue.selector or 'page'} on {pages}"


def write_junit(report: AuditReport, path: str | Path) -> Path:
    """Write junit.xml: suites of task runs, issues and thresholds."""
    path = Path(path)
    failing = [i for i in report.issues if issue_fails(report, i)]
    root = ET.Element(
        "testsuites",
        name=f"uxlab audit: {report.script.name}",
        tests=str(len(report.tasks) + len(report.issues) + len(report.thresholds)),
        failures=str(
            sum(not r.success for r in report.tasks)
            + len(failing)
            + len(report.failed_thresholds)
        ),
        time=f"{report.seconds:.3f}",
    )
    tasks = ET.SubElement(
        root,
        "testsuite",
        name="tasks",
        tests=str(len(report.tasks)),
        failures=str(sum(not r.success for r in report.tasks)),
        errors="0",
        skipped="0",
        time=f"{sum(r.seconds for r in report.tasks):.3f}",
        timestamp=report.started_at,
    )
    for run in report.tasks:
        case = ET.SubElement(
            tasks,
            "testcase",
            classname=f"uxlab.audit.tasks.{run.viewport}",
            name=f"{run.task} [{run.viewport}]",
            time=f"{run.seconds:.3f}",
        )
        if not run.success:
            failure = ET.SubElement(
                case, "failure", message=run.error or "task failed", type="TaskFailed"
            )
            failure.text = _steps_text(run)
        ET.SubElement(case, "system-out").text = _steps_text(run)
    issues = ET.SubElement(
        root,
        "testsuite",
        name="issues",
        tests=str(len(report.issues)),
        failures=str(len(failing)),
        errors="0",
        skipped=str(len(report.accepted_issues)),
        time="0",
        timestamp=report.started_at,
    )
    for issue in report.issues:
        case = ET.SubElement(
            issues,
            "testcase",
            classname=f"uxlab.audit.issues.{issue.check}",
            name=f"{issue.rule}: {_issue_where(issue)}",
            time="0",
        )
        detail = (
            f"{issue.severity.value} · {issue.message}\nFix: {issue.hint}"
            + (f"\n{issue.help_url}" if issue.help_url else "")
            + f"\nSeen {issue.count} time(s) at {', '.join(issue.viewports)}"
        )
        if issue.id in report.accepted:
            ET.SubElement(
                case, "skipped", message=f"accepted: {report.accepted[issue.id]}"
            )
        elif issue in failing:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{issue.severity.value}: {issue.message}",
                type="Issue",
            )
            failure.text = detail
        ET.SubElement(case, "system-out").text = detail
    thresholds = ET.SubElement(
        root,
        "testsuite",
        name="thresholds",
        tests=str(len(report.thresholds)),
        failures=str(len(report.failed_thresholds)),
        errors="0",
        skipped="0",
        time="0",
        timestamp=report.started_at,
    )
    for result in report.thresholds:
        case = ET.SubElement(
            thresholds,
            "testcase",
            classname="uxlab.audit.thresholds",
            name=result.name,
            time="0",
        )
        if not result.passed:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{result.name}: {result.actual} (limit {result.limit})",
                type="ThresholdFailed",
            )
            failure.text = result.detail
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return path


def _steps_text(run: TaskRun) -> str:
    lines = [
        f"{step.index + 1}. {'ok  ' if step.ok else 'FAIL'} {step.seconds:6.3f} s  "
        f"{step.description}"
        + (f"  -- {step.error}" if step.error else "")
        + _same_state_text(run, step)
        for step in run.steps
    ]
    return "\n".join(lines)


def _same_state_text(run: TaskRun, step: StepResult) -> str:
    if step.same_state_as is None:
        return ""
    task, number = step.same_state_as
    of = "" if task == run.task else f' of "{task}"'
    return f"  (same state as step {number}{of}, audited there)"


# ------------------------------------------------------------------- charts


def _svg_data_uri(figure: Any) -> str:
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "uxlab"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def waterfall_chart(run: TaskRun) -> str:
    """A step-time waterfall of one task run, as an SVG data URI."""
    from matplotlib.figure import Figure

    steps = list(run.steps)
    figure = Figure(figsize=(7.5, 0.35 * len(steps) + 0.9))
    axes = figure.subplots()
    start = 0.0
    for row, step in enumerate(steps):
        colour = "#2f7d4f" if step.ok else _COLOURS["critical"]
        axes.barh(row, max(step.seconds, 0.002), left=start, color=colour, height=0.6)
        axes.text(
            start + step.seconds,
            row,
            f" {step.seconds:.2f} s",
            va="center",
            fontsize=8,
        )
        start += step.seconds
    axes.set_yticks(
        range(len(steps)),
        [textwrap.shorten(f"{s.index + 1}. {s.description}", 44) for s in steps],
        fontsize=8,
    )
    axes.invert_yaxis()
    axes.set_xlabel("seconds since the task started")
    axes.set_xlim(0, max(start * 1.25, 0.1))
    axes.set_title(f"{run.task} [{run.viewport}]", fontsize=9, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg_data_uri(figure)


def findings_chart(report: AuditReport, *, top: int = 15) -> str | None:
    """Findings per rule (most frequent first), as an SVG data URI."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = report.rule_counts()[:top]
    if not rows:
        return None
    figure = Figure(figsize=(7.5, 0.32 * len(rows) + 0.9))
    axes = figure.subplots()
    axes.barh(
        range(len(rows)),
        [n for _, _, n in rows],
        color=[_COLOURS[sev.value] for _, sev, _ in rows],
        height=0.6,
    )
    axes.set_yticks(range(len(rows)), [rule for rule, _, _ in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("findings (elements × pages × viewports)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _svg_data_uri(figure)


# --------------------------------------------------------------------- HTML


def _data_uri(shot: Screenshot | None) -> str | None:
    if shot is None:
        return None
    return f"data:{shot.mime};base64," + base64.b64encode(shot.data).decode()


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["data_uri"] = _data_uri
    env.filters["shot_path"] = _shot_path
    env.filters["ms"] = lambda v: "–" if v is None else f"{v:.0f}"
    env.filters["kb"] = lambda v: f"{v / 1024:.1f}"
    env.filters["wcag"] = lambda tags: " ".join(t for t in tags if t.startswith("wcag"))
    return env


def write_html(report: AuditReport, path: str | Path) -> Path:
    """Write report.html: the verdict, then the issues, then tasks and pages.

    Screenshots are linked from ``screenshots/`` next to the file (written by
    :func:`write_reports`), not inlined.
    """
    path = Path(path)
    path.write_text(render_html(report), encoding="utf-8")
    return path


def _revisits(report: AuditReport) -> dict[tuple[str, str, str | None], list[str]]:
    """For each page state, the later steps that reached it again (not re-audited)."""
    again: dict[tuple[str, int, str], list[str]] = {}
    for run in report.tasks:
        for step in run.steps:
            if step.same_state_as is not None:
                task, number = step.same_state_as
                again.setdefault((task, number, run.viewport), []).append(
                    f"step {step.index + 1} of “{run.task}”"
                )
    names = [t.name for t in report.script.tasks]
    found: dict[tuple[str, str, str | None], list[str]] = {}
    for page in report.pages:
        task_index, _, step_index = page.order
        if task_index >= len(names):
            continue
        later = again.get((names[task_index], step_index + 1, page.viewport))
        if later:
            found[(page.url, page.viewport, page.state)] = later
    return found


def render_html(report: AuditReport) -> str:
    """report.html as text; screenshots are linked as ``screenshots/NAME``."""
    template = _environment().get_template("report.html.j2")
    by_page: dict[tuple[str, str, str | None], list[Finding]] = {}
    for finding in report.findings:
        key = (finding.url, finding.viewport, finding.state)
        by_page.setdefault(key, []).append(finding)
    page_groups: list[tuple[Any, Sequence[Finding]]] = [
        (page, by_page.get((page.url, page.viewport, page.state), []))
        for page in report.pages
    ]
    page_issues = {
        (page.url, page.viewport, page.state): list(
            dict.fromkeys(
                (fingerprint(f.rule, f.selector, f.message), f.rule) for f in found
            )
        )
        for page, found in page_groups
    }
    issues = report.open_issues
    rules = sorted({i.rule for i in issues})
    urls = list(dict.fromkeys(url for i in issues for url in i.pages))
    viewports = [v.name for v in report.script.viewports]
    return template.render(
        report=report,
        script=report.script,
        version=_uxlab_version(),
        severities=[s.value for s in Severity],
        colours=_COLOURS,
        counts=report.severity_counts(),
        default_verdict=DEFAULT_VERDICT,
        rules=rules,
        rule_index={rule: i for i, rule in enumerate(rules)},
        urls=urls,
        url_index={url: i for i, url in enumerate(urls)},
        viewports=viewports,
        vp_index={vp: i for i, vp in enumerate(viewports)},
        page_groups=page_groups,
        page_issues=page_issues,
        page_revisits=_revisits(report),
        clean_pages=sum(not found for _, found in page_groups),
    )
