"""``python -m uxlab``: the same as the ``uxlab`` command."""

from uxlab.cli import cli

if __name__ == "__main__":
    cli(prog_name="uxlab")
