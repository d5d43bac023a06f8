"""``telsim report RUN_DIR``: the board-ready report of a saved run.

``telsim run`` calls :func:`write_with_progress` too, so both show the same progress bar.
Both write into a temporary copy of the run folder that is swapped in when the report is
complete (:mod:`sim.outdir`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.cli.common import QuietOpt, app, err, fail, out
from sim.cli.interrupt import interrupted
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.report import ReportPaths
    from sim.results import RunResult


@app.command()
def report(
    run_dir: Annotated[
        Path, typer.Argument(help="A results folder written by telsim run.", show_default=False)
    ],
    quiet: QuietOpt = False,
) -> None:
    """Write report.html (self-contained) and report.md with figures into a run folder."""
    try:
        from sim.outdir import update_results_dir
        from sim.results import RunResult

        with update_results_dir(run_dir, "run") as folder:
            result = RunResult.load(run_dir)  # under the lock: no other telsim changes it meanwhile
            try:
                paths = write_with_progress(folder, result, quiet=quiet).moved(folder, run_dir)
            except OSError as exc:
                raise UserError(
                    f"{run_dir}: cannot write the report: {exc.strerror or exc}"
                ) from None
    except UserError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        interrupted("while writing the report", f"{run_dir} unchanged")
    if not quiet:
        print_paths(paths)


def write_with_progress(folder: Path, result: RunResult, quiet: bool = False) -> ReportPaths:
    """Write the report of ``result`` into ``folder``, with a progress bar unless ``quiet``.

    Raises:
        OSError: a report file cannot be written (the caller names the folder the user
            knows: ``folder`` is a temporary copy).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from sim.report import write_report

    if quiet:
        return write_report(folder, result=result)
    if not err.is_terminal:  # a pipe or a log: plain lines
        from sim.cli.feedback import PlainProgress

        plain = PlainProgress(err, unit="steps")
        step = plain.add_task("report")
        return write_report(
            folder,
            result=result,
            progress=lambda done, total, _: plain.update(step, completed=done, total=total),
        )
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

        return write_report(folder, result=result, progress=progress)


def print_paths(paths: ReportPaths) -> None:
    """Say where the report went."""
    out.print(
        f"report: [bold]{escape(str(paths.html))}[/] and {escape(str(paths.markdown))} "
        f"({len(paths.figures)} figures)",
        highlight=False,
        soft_wrap=True,  # long paths stay whole, to copy and paste
    )
