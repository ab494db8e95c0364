"""``uxlab demo``: a demo researcher and studies to try uxlab with."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from uxlab.cli.base import domain_errors

__all__ = ["demo_command"]


@click.command("demo")
@click.option(
    "--participants", default=30, show_default=True, help="Simulated participants."
)
@click.option(
    "--seed", default=7, show_default=True, help="Random seed for the simulation."
)
@with_appcontext
@domain_errors
def demo_command(participants: int, seed: int) -> None:
    """Create a demo researcher and studies with simulated participants."""
    from uxlab.db import get_session
    from uxlab.demo import seed_demo
    from uxlab.migrate import upgrade

    upgrade()
    result = seed_demo(get_session(), participants=participants, seed=seed)
    for line in result.lines():
        click.echo(line)
