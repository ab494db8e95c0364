"""Write an audit's results: report.html, report.json and junit.xml.

* ``report.html`` is self-contained (inline CSS; screenshots and charts are
  data: URIs), summary first, then detail per task and per page.
* ``report.json`` follows ``report.schema.json`` (next to this module), whose
  version is :data:`SCHEMA_VERSION`.
* ``junit.xml`` has one testcase per task × viewport and one per threshold, so
  CI systems show the run natively.

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

from uxlab.audit.findings import AuditReport, Screenshot, Severity, TaskRun

__all__ = [
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "findings_chart",
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
SCHEMA_VERSION: Final = "1.0"
SCHEMA_PATH: Final = Path(__file__).resolve().parent / "report.schema.json"
_HERE = Path(__file__).resolve().parent
_COLOURS: Final = {
    "critical": "#b00020",
    "serious": "#d9480f",
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
    return shots


def _shot_path(shot: Screenshot | None) -> str | None:
    return None if shot is None else f"screenshots/{shot.filename}"


# --------------------------------------------------------------------- JSON


def report_dict(report: AuditReport) -> dict[str, Any]:
    """The report as report.json holds it (see report.schema.json)."""
    script = report.script
    page_findings: dict[tuple[str, str], int] = {}
    for finding in report.findings:
        key = (finding.url, finding.viewport)
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
            "findings": report.severity_counts(),
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
                "title": page.title,
                "seconds": page.seconds,
                "perf": page.perf.to_dict() if page.perf is not None else None,
                "screenshot": _shot_path(page.screenshot),
                "findings": page_findings.get((page.url, page.viewport), 0),
            }
            for page in report.pages
        ],
        "findings": [finding.to_dict() for finding in report.findings],
    }


def write_json(report: AuditReport, path: str | Path) -> Path:
    """Write report.json."""
    path = Path(path)
    path.write_text(json.dumps(report_dict(report), indent=2) + "\n", encoding="utf-8")
    return path


# -------------------------------------------------------------------- JUnit


def write_junit(report: AuditReport, path: str | Path) -> Path:
    """Write junit.xml: a suite of task runs and a suite of thresholds."""
    path = Path(path)
    root = ET.Element(
        "testsuites",
        name=f"uxlab audit: {report.script.name}",
        tests=str(len(report.tasks) + len(report.thresholds)),
        failures=str(
            sum(not r.success for r in report.tasks) + len(report.failed_thresholds)
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
        f"{step.description}" + (f"  -- {step.error}" if step.error else "")
        for step in run.steps
    ]
    return "\n".join(lines)


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
    env.filters["ms"] = lambda v: "–" if v is None else f"{v:.0f}"
    env.filters["kb"] = lambda v: f"{v / 1024:.1f}"
    env.filters["wcag"] = lambda tags: " ".join(t for t in tags if t.startswith("wcag"))
    return env


def write_html(report: AuditReport, path: str | Path) -> Path:
    """Write the self-contained report.html."""
    path = Path(path)
    path.write_text(render_html(report), encoding="utf-8")
    return path


def render_html(report: AuditReport, *, link_screenshots: bool = False) -> str:
    """report.html as text; screenshots embedded, or linked as screenshots/NAME."""
    env = _environment()
    if link_screenshots:
        env.filters["data_uri"] = _shot_path
    template = env.get_template("report.html.j2")
    page_groups: list[tuple[Any, Sequence[Any]]] = [
        (page, report.findings_for(page.url, page.viewport)) for page in report.pages
    ]
    return template.render(
        report=report,
        script=report.script,
        version=_uxlab_version(),
        severities=[s.value for s in Severity],
        colours=_COLOURS,
        counts=report.severity_counts(),
        findings_chart=findings_chart(report),
        waterfalls={
            (r.task_index, r.viewport): waterfall_chart(r) for r in report.tasks
        },
        page_groups=page_groups,
    )
