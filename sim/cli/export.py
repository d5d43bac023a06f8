"""``telsim export RUN_DIR --format csv|xlsx``: a saved run's tables for spreadsheets.

``telsim run --format`` writes the same files while it writes the run. Like the report,
the files are written into a temporary copy of the folder that is swapped in whole.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.cli.common import QuietOpt, app, fail, out
from sim.cli.interrupt import interrupted
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.results import RunResult


class Format(StrEnum):
    """Spreadsheet formats a run exports to."""

    csv = "csv"
    xlsx = "xlsx"


FormatOpt = Annotated[
    list[Format] | None,
    typer.Option(
        "--format",
        "-f",
        help="Also write the tables as csv (one file per table and summary.csv) or xlsx "
        "(one workbook: summary, about and one sheet per table); repeatable.",
        show_default=False,
    ),
]


@app.command()
def export(
    run_dir: Annotated[
        Path, typer.Argument(help="A results folder written by telsim run.", show_default=False)
    ],
    formats: Annotated[
        list[Format],
        typer.Option(
            "--format",
            "-f",
            help="csv: one file per table and summary.csv; xlsx: one workbook with a "
            "summary, an about sheet and one sheet per table (repeatable).",
        ),
    ] = [Format.xlsx],  # noqa: B006  (typer reads the default; it is never changed)
    quiet: QuietOpt = False,
) -> None:
    """Write a run's tables as CSV files or an Excel workbook into its folder."""
    try:
        from sim.outdir import update_results_dir
        from sim.results import RunResult

        with update_results_dir(run_dir, "run") as folder:
            result = RunResult.load(run_dir)
            paths = write_exports(folder, result, formats, run_dir)
    except UserError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        interrupted("while exporting", f"{run_dir} unchanged")
    if not quiet:
        print_exports([run_dir / p.relative_to(folder) for p in paths])


def write_exports(
    folder: Path, result: RunResult, formats: list[Format], shown: Path
) -> list[Path]:
    """Each format's files into ``folder``; a write error names ``shown`` (the user's path)."""
    from sim.export import export_run

    paths: list[Path] = []
    try:
        for fmt in dict.fromkeys(formats):
            paths += export_run(folder, fmt.value, result=result)
    except OSError as exc:
        raise UserError(f"{shown}: cannot write the export: {exc.strerror or exc}") from None
    return paths


def print_exports(paths: list[Path]) -> None:
    """Say which files were written."""
    out.print(
        "exported: " + ", ".join(escape(str(p)) for p in paths), highlight=False, soft_wrap=True
    )
