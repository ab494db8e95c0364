"""The ``uxlab`` command line.

Every command is thin: it parses its arguments, calls one library function and
prints the result. Domain errors become one line on stderr and exit status 1.
"""

from __future__ import annotations

import click
from flask import Flask

from uxlab.audit.cli import audit_command
from uxlab.audits.worker import worker_command
from uxlab.cli.accounts import researcher_group, workspace_group
from uxlab.cli.base import cli
from uxlab.cli.database import db_group
from uxlab.cli.demo import demo_command
from uxlab.cli.serve import QueueDepthSummary, serve_command
from uxlab.cli.studies import export_command, report_command, study_group

__all__ = ["QueueDepthSummary", "cli", "register_commands"]


#: Every command, in the order ``flask --app uxlab`` is given them; the audit
#: and worker commands live with their subsystems.
_COMMANDS: tuple[click.Command, ...] = (
    db_group,
    researcher_group,
    workspace_group,
    study_group,
    export_command,
    serve_command,
    demo_command,
    audit_command,
    worker_command,
    report_command,
)

for _command in _COMMANDS:
    cli.add_command(_command)


def register_commands(app: Flask) -> None:
    """Make the commands available as ``flask --app uxlab ...`` too."""
    for name, command in cli.commands.items():
        if name not in app.cli.commands:
            app.cli.add_command(command, name)
