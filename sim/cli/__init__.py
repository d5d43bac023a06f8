"""The ``telsim`` command line: a thin typer layer over :mod:`sim`.

Each command lives in its own module and registers itself on the shared ``app``
(:mod:`sim.cli.common`); importing this package imports them all.
"""

from sim.cli import run  # noqa: F401  (registers run, validate, schema)
from sim.cli.common import app

__all__ = ["app"]


def main() -> None:  # pragma: no cover - console entry for python -m sim.cli
    """Entry point."""
    app()
