"""The ``telsim`` command line: a thin typer layer over :mod:`sim`.

Each command lives in its own module and registers itself on the shared ``app``
(:mod:`sim.cli.common`); importing this package imports them all.
"""

# Each import registers that module's commands on ``app``.
from sim.cli import (  # noqa: F401
    calibrate,  # calibrate
    compare,  # compare
    dashboard,  # dashboard
    export,  # export
    listing,  # list
    report,  # report
    run,  # run, validate, schema
    score,  # score
    sweep,  # sweep, sensitivity
)
from sim.cli.common import app

__all__ = ["app"]


def main() -> None:  # pragma: no cover - console entry for python -m sim.cli
    """Entry point."""
    app()
