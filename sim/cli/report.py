"""``telsim report RUN_DIR``: the board-ready report of a saved run.

``telsim run`` calls :func:`write_with_progress` too, so both show the same progress bar
and turn the same problems into one message with exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.cli.common import app, err, fail, out
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.report import ReportPaths
    from sim.results import RunResult


@app.command()
def report(
    run_dir: Annotated[
        Path, typer.Argument(help="A results folder written by telsim run.", show_default=False)
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Write report.html (self-contained) and report.md with figures into a run folder."""
    try:
        paths = write_with_progress(run_dir, quiet=quiet)
    except UserError as exc:
        fail(str(exc))
    if not quiet:
        print_paths(paths)


def write_with_progress(
    run_dir: Path, result: RunResult | None = None, quiet: bool = False
) -> ReportPaths:
    """Write the report of ``run_dir``, with a progress bar on stderr unless ``quiet``.

    Raises:
        UserError: not a run folder, or a report file cannot be written.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from sim.report import write_report
    from sim.results import RunResult

    if result is None:  # check the folder before a progress bar appears
        result = RunResult.load(run_dir)
    try:
        if quiet:
            return write_report(run_dir, result=result)
        with Progress(
            TextColumn("[bold]report"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)

            def progress(done: int, total: int, step: str) -> None:
                bar.update(task, completed=done, total=total, description=escape(step))

            return write_report(run_dir, result=result, progress=progress)
    except OSError as exc:
        raise UserError(f"{run_dir}: cannot write the report: {exc.strerror or exc}") from None


def print_paths(paths: ReportPaths) -> None:
    """Say where the report went."""
    out.print(
        f"report: [bold]{escape(str(paths.html))}[/] and {escape(str(paths.markdown))} "
        f"({len(paths.figures)} figures)",
        highlight=False,
        soft_wrap=True,  # long paths stay whole, to copy and paste
    )
