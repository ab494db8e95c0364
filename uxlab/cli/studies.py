"""``uxlab study``, ``export`` and ``report``: a study's file, data and results."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import click
from flask.cli import with_appcontext

from uxlab.cli.base import domain_errors

__all__ = ["export_command", "report_command", "study_group"]


@click.group("study")
def study_group() -> None:
    """Validate, import and list studies."""


@study_group.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@domain_errors
def study_validate(path: Path) -> None:
    """Check a study file without importing it."""
    from uxlab.studies import load_study_file

    spec = load_study_file(path)
    click.echo(
        f"{path}: valid {spec.mode} study '{spec.title}' "
        f"with {len(spec.tasks)} task(s)."
    )


@study_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--owner",
    default=None,
    help="Email of the researcher who creates the study (an editor or owner of "
    "--workspace; default: the workspace's first owner).",
)
@click.option(
    "--workspace",
    default=None,
    metavar="SLUG",
    help="Workspace to import into (default: the owner's personal one).",
)
@click.option("--slug", default=None, help="URL name (default: from the title).")
@click.option("--publish", is_flag=True, help="Make the study live right away.")
@with_appcontext
@domain_errors
def study_import(
    path: Path,
    owner: str | None,
    workspace: str | None,
    slug: str | None,
    publish: bool,
) -> None:
    """Import a study file as a new draft study."""
    from uxlab.db import get_session
    from uxlab.studies import import_study_file

    if owner is None and workspace is None:
        raise click.UsageError("give --owner, --workspace or both")
    study = import_study_file(
        get_session(),
        path,
        owner_email=owner,
        workspace=workspace,
        slug=slug,
        publish=publish,
    )
    click.echo(f"Imported '{study.title}' as {study.slug} ({study.status}).")


@study_group.command("list")
@click.option("--owner", default=None, help="Only this researcher's studies.")
@with_appcontext
def study_list(owner: str | None) -> None:
    """List studies with their status and participants."""
    from uxlab.db import get_session
    from uxlab.studies import list_studies

    rows = list_studies(get_session(), owner_email=owner)
    if not rows:
        click.echo("No studies.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for name, justify in (
        ("study", "left"),
        ("status", "left"),
        ("mode", "left"),
        ("finished", "right"),
        ("started", "right"),
        ("title", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            row.slug,
            str(row.status),
            str(row.mode),
            str(row.finished),
            str(row.started),
            row.title,
        )
    # Never wrapped or cut, in a terminal or a pipe.
    Console(width=10_000, highlight=False).print(table)


# -------------------------------------------------------------------- export


@click.command("export")
@click.argument("study")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="Tidy CSV files or one JSON bundle.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write into (created if missing).",
)
@with_appcontext
@domain_errors
def export_command(study: str, fmt: str, output: Path) -> None:
    """Export a study's data (STUDY is its slug or id)."""
    from uxlab.db import get_session
    from uxlab.export import write_export
    from uxlab.studies import get_study_by_ref

    session = get_session()
    found = get_study_by_ref(session, study)
    for path in write_export(session, found, output, fmt=fmt):
        click.echo(f"Wrote {path}")


# -------------------------------------------------------------------- report


_REPORT_EXTENSIONS: Final = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def _report_format(output: Path, fmt: str | None) -> str:
    """The report format named by ``--format`` or, without it, by the extension.

    >>> _report_format(Path("r.PDF"), None), _report_format(Path("r.txt"), None)
    ('pdf', 'html')
    """
    implied = _REPORT_EXTENSIONS.get(output.suffix.lower())
    if fmt is not None and implied is not None and fmt != implied:
        raise click.UsageError(
            f"--format {fmt} contradicts the file name {output.name}: "
            f"name it {output.stem}.{fmt} or leave out --format"
        )
    return fmt or implied or "html"


@click.command("report")
@click.argument("study")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="File to write, e.g. report.html or report.pdf.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf"]),
    default=None,
    help="Self-contained HTML, or PDF printed by headless Chromium "
    "(default: from the file's extension, else html).",
)
@click.option(
    "--confidence",
    type=click.Choice(["0.8", "0.9", "0.95", "0.99"]),
    default="0.95",
    show_default=True,
    help="Confidence level of every interval.",
)
@click.option(
    "--include-excluded", is_flag=True, help="Count excluded participants too."
)
@with_appcontext
@domain_errors
def report_command(
    study: str, output: Path, fmt: str | None, confidence: str, include_excluded: bool
) -> None:
    """Write a study's results report (STUDY is its slug or id).

    The format follows the file's extension: report.pdf is a PDF, report.html
    an HTML file.
    """
    from uxlab.db import get_session
    from uxlab.report import write_report
    from uxlab.studies import get_study_by_ref

    fmt = _report_format(output, fmt)
    session = get_session()
    path = write_report(
        session,
        get_study_by_ref(session, study),
        output,
        fmt=fmt,
        confidence_level=float(confidence),
        include_excluded=include_excluded,
    )
    click.echo(f"Wrote {path}")
