"""What every ``telsim`` command shares: the typer app, consoles, options, error exit.

User errors (a bad scenario, an unknown ``--set`` path, a missing file, a run that
would not fit in memory) print one clear message and exit with code 2, no traceback.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    help="telsim: agent-based market simulator for mobile telecom operators.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a field: PATH=VALUE, e.g. operators.Unicom.plans.0.monthly_fee=79 (repeatable).",
    ),
]

PopulationOpt = Annotated[
    int | None,
    typer.Option("--population", "-n", min=10, help="Subscriber agents at month 0."),
]
FiguresOpt = Annotated[bool, typer.Option("--figures/--no-figures", help="Write PNG figures.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
MonthsOpt = Annotated[int | None, typer.Option("--months", "-m", min=1, help="Months to simulate.")]
OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace --out even if it holds another kind of results, another scenario's, "
        "or files telsim did not write.",
    ),
]


class ExecutorKind(StrEnum):
    """Where runs execute when no --scheduler is given."""

    local = "local"
    dask = "dask"


ExecutorOpt = Annotated[
    ExecutorKind,
    typer.Option(help="local: a process pool (1 worker: this process); dask: a Dask LocalCluster."),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786."
    ),
]


def month_progress() -> Any:
    """Progress on stderr counting simulated months.

    A live bar with the time left on a terminal; plain lines
    (:class:`sim.cli.feedback.PlainProgress`) when stderr is a file or a pipe.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from sim.cli.feedback import PlainProgress

    if not err.is_terminal:
        return PlainProgress(err)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("months"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def fail(message: str) -> NoReturn:
    """Print one error line and exit 2."""
    # Escape: messages quote names like plans[gsm_2g] that rich would eat as markup tags.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)
