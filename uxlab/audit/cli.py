"""``uxlab audit``: replay an audit script, write the reports, gate CI.

Exit status: 0 when every threshold holds, 1 when one fails (the summary says
which), 2 for a bad script, an unknown study or a site that does not answer.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import click

from uxlab.audit.findings import FAIL_ON_LEVELS, PageAudit, TaskRun
from uxlab.audit.script import PRESETS, AuditScript, Viewport
from uxlab.errors import AuditError, NotFoundError

__all__ = ["audit_command"]

#: Exit status for a bad script, an unknown study or an unreachable site.
EXIT_BAD_INPUT = 2


def _viewport(value: str) -> str | Viewport:
    if value in PRESETS:
        return value
    size = re.fullmatch(r"(\d+)x(\d+)", value)
    if size is None:
        raise click.BadParameter(
            f"{value!r} is not one of {sorted(PRESETS)} or WIDTHxHEIGHT",
            param_hint="--viewport",
        )
    return Viewport(width=int(size[1]), height=int(size[2]))


@click.command("audit")
@click.argument(
    "script_path",
    metavar="[SCRIPT]",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--from-study",
    "study",
    metavar="SLUG",
    default=None,
    help="Build the script from a study's tasks (audits their start URLs).",
)
@click.option(
    "--base-url", default=None, metavar="URL", help="Override the script's base_url."
)
@click.option(
    "--viewport",
    "viewports",
    multiple=True,
    metavar="NAME",
    help=f"Only these viewports ({', '.join(PRESETS)} or WIDTHxHEIGHT); repeatable.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("audit-report"),
    show_default=True,
    help="Folder for report.html, report.json, junit.xml and screenshots.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Browsers run in parallel (task × viewport runs are split between them).",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_LEVELS),
    default="none",
    show_default=True,
    help="Also fail when any finding is at least this severe.",
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Known issues accepted for now (YAML, each with a reason and an "
    "optional expiry); they count toward no threshold.",
)
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Write every issue of this run into the --baseline FILE.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default=None,
    help="github: also print GitHub Actions annotations, one per issue "
    "(default from UXLAB_ANNOTATE).",
)
@click.option(
    "--upload",
    "upload_url",
    metavar="URL",
    default=None,
    help="Also send the run to this audit project's upload address (token in "
    "UXLAB_TOKEN); the exit status stays the audit's.",
)
@click.pass_context
def audit_command(
    ctx: click.Context,
    script_path: Path | None,
    study: str | None,
    base_url: str | None,
    viewports: tuple[str, ...],
    report_dir: Path,
    workers: int,
    fail_on: str,
    baseline_path: Path | None,
    update_baseline: bool,
    output_format: str | None,
    upload_url: str | None,
) -> None:
    """Replay an audit script in Chromium and audit every page it reaches."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from uxlab.audit import baseline as baselines
    from uxlab.audit.checks import AXE_VERSION
    from uxlab.audit.report import write_reports
    from uxlab.audit.runner import run_audit
    from uxlab.audit.script import load_script

    if script_path is not None and study is not None:
        raise click.UsageError("give either SCRIPT or --from-study SLUG, not both")
    if update_baseline and baseline_path is None:
        raise click.UsageError("--update-baseline needs --baseline FILE to write")
    annotate = (output_format or os.environ.get("UXLAB_ANNOTATE", "text")) == "github"
    accepted: list[baselines.BaselineEntry] = []
    if baseline_path is not None and (baseline_path.exists() or not update_baseline):
        try:
            accepted = baselines.load_baseline(baseline_path)
        except AuditError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
    chosen = [_viewport(v) for v in viewports]
    console = Console(highlight=False, soft_wrap=True)
    try:
        if study is not None:
            script = _study_script(ctx, study, base_url)
        elif script_path is not None:
            script = load_script(script_path)
        else:
            raise click.UsageError("give an audit SCRIPT or --from-study SLUG")
        script = script.with_overrides(base_url=base_url, viewports=chosen or None)
    except (AuditError, NotFoundError) as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(EXIT_BAD_INPUT)

    console.print(
        f"Auditing [bold]{escape(script.name)}[/] ({len(script.tasks)} task(s) × "
        f"{len(script.viewports)} viewport(s), axe-core {AXE_VERSION})"
    )
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    bar = progress.add_task("task runs", total=None)

    def on_progress(kind: str, payload: Any) -> None:
        if kind == "start":
            progress.update(bar, total=payload)
        elif kind == "task" and isinstance(payload, TaskRun):
            progress.advance(bar)
            mark = "[green]✓[/]" if payload.success else "[red]✗[/]"
            console.print(
                f"{mark} {escape(payload.task)} "
                f"[dim]{escape(f'[{payload.viewport}]')}[/] "
                f"{payload.step_count} steps, {payload.seconds:.2f} s"
                + (f" — [red]{escape(payload.error)}[/]" if payload.error else "")
            )
        elif kind == "page" and isinstance(payload, PageAudit):
            progress.update(
                bar, description=f"audited {payload.url} [{payload.viewport}]"
            )
            if not console.is_terminal:
                console.print(
                    escape(
                        f"audited {payload.url} [{payload.viewport}] "
                        f"in {payload.seconds:.2f} s"
                    )
                )

    try:
        with progress:
            report = run_audit(
                script, workers=workers, fail_on=fail_on, progress=on_progress
            )
    except AuditError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(EXIT_BAD_INPUT)
    if update_baseline and baseline_path is not None:
        accepted = baselines.updated_baseline(report, accepted)
        baselines.write_baseline(accepted, baseline_path)
        console.print(
            escape(f"Baseline: {len(accepted)} issue(s) written to {baseline_path}")
        )
    if accepted:
        report = baselines.apply_baseline(report, accepted)
    paths = write_reports(report, report_dir)
    if annotate:
        from uxlab.audit.annotate import github_annotations

        for line in github_annotations(report):
            click.echo(line)

    counts = report.severity_counts()
    succeeded = sum(run.success for run in report.tasks)
    console.print(
        f"\nTasks: {succeeded}/{len(report.tasks)} runs succeeded · pages audited: "
        f"{len(report.pages)} · issues: "
        + ", ".join(f"{n} {sev}" for sev, n in counts.items())
        + f" ({len(report.findings)} findings)"
    )
    if report.accepted or report.expired:
        console.print(
            f"Baseline: {len(report.accepted_issues)} issue(s) accepted"
            + (
                f", {len(report.expired)} entr(ies) expired and counting again"
                if report.expired
                else ""
            )
        )
    for result in report.failed_thresholds:
        console.print(
            f"[red]✗ threshold {escape(result.name)}[/]: {result.actual} "
            f"(limit {result.limit})"
            + (f" — {escape(result.detail)}" if result.detail else "")
        )
    console.print(
        escape(f"Report: {paths['html']}")
        + f" (also {paths['json'].name}, {paths['junit'].name})"
    )
    verdict = "[green]PASSED[/]" if report.passed else "[red]FAILED[/]"
    console.print(f"{verdict} in {report.seconds:.1f} s — {escape(report.verdict)}")
    if upload_url is not None:
        _upload(report, upload_url)
    ctx.exit(report.exit_code)


def _upload(report: Any, url: str) -> None:
    """Send the run to the server; a failed upload is a line, not another exit."""
    import os

    from uxlab.audit.upload import (
        UploadError,
        ci_run_id,
        upload_payload,
        upload_report,
    )

    token = os.environ.get("UXLAB_TOKEN", "")
    if not token:
        click.echo("Upload skipped: set UXLAB_TOKEN to the project's token", err=True)
        return
    run_id = ci_run_id()
    try:
        answer = upload_report(url, token, upload_payload(report, run_id))
    except UploadError as exc:
        click.echo(f"Upload failed: {exc}", err=True)
        return
    click.echo(f"Uploaded as run {answer.get('id')} ({answer.get('url', url)})")


def _study_script(ctx: click.Context, slug: str, base_url: str | None) -> AuditScript:
    """Load the app (as ``with_appcontext`` would) and read the study's tasks."""
    from flask.cli import ScriptInfo
    from sqlmodel import Session

    from uxlab.audit.studies import script_from_study
    from uxlab.db import make_engine

    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        engine = make_engine(app.config["DATABASE_URL"])
        try:
            with Session(engine) as session:
                return script_from_study(session, slug, base_url=base_url)
        finally:
            engine.dispose()
