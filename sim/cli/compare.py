"""``telsim compare``: policies run with common random numbers, differences with paired CIs.

Heavy modules are imported inside the command so ``telsim --help`` answers at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.cli.common import (
    FiguresOpt,
    MonthsOpt,
    OverwriteOpt,
    PopulationOpt,
    QuietOpt,
    SetOpt,
    app,
    err,
    fail,
    month_progress,
    out,
)
from sim.cli.interrupt import Clock, in_thread, interrupted, kept
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.compare.build import Progress


@app.command()
def compare(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Scenario YAML files or run folders; the first is the baseline.",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default results/compare_<a>_vs_<b>)."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            "-r",
            min=2,
            help="Replications of every policy (default: a run folder's, else the baseline's).",
        ),
    ] = None,
    population: PopulationOpt = None,
    months: MonthsOpt = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, help="Base seed of every policy (default: as for --replications)."
        ),
    ] = None,
    set_: SetOpt = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="Override a field of the policies only (not the baseline): PATH=VALUE "
            "(repeatable); with one input, compare it with a copy changed this way.",
        ),
    ] = None,
    level: Annotated[
        float,
        typer.Option("--level", min=0.5, max=0.999, help="Confidence level of the intervals."),
    ] = 0.95,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="numba threads (default: all cores).")
    ] = None,
    figures: FiguresOpt = True,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Compare policies: the same seeds for all, differences with paired confidence intervals."""
    clock = Clock()
    outcome = "nothing written"
    try:
        from sim.compare import Options, default_out, save
        from sim.compare.build import compare_plan, plan_digest
        from sim.compare.inputs import read_inputs
        from sim.outdir import open_results_dir

        options = Options(
            seed=seed,
            replications=replications,
            population=population,
            months=months,
            overrides=list(set_ or []),
            vary=list(vary or []),
            threads=threads,
            level=level,
        )
        plan = read_inputs(inputs, options)
        target = out_dir or default_out([i.label for i in plan.inputs])
        outcome = kept(target)
        with open_results_dir(
            target,
            "compare",
            name=target.name,
            digest=plan_digest(plan, level),
            overwrite=overwrite,
        ) as folder:
            with _progress(quiet, clock) as progress:
                comparison = in_thread(lambda: compare_plan(plan, options, progress))
            clock.writing = True
            try:
                save(comparison, folder, figures=figures)
            except OSError as exc:
                raise UserError(
                    f"--out {target}: cannot write results: {exc.strerror or exc}"
                ) from None
    except UserError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        interrupted(clock.where(), outcome)
    if not quiet:
        _print(comparison, target)


@contextmanager
def _progress(quiet: bool, clock: Clock) -> Iterator[Progress]:
    """One progress bar per policy that runs (run folders are read, not run)."""
    if quiet:

        def tick(label: str, done: int, total: int) -> None:
            clock.at = f"{label}, {done} of {total} months"

        yield tick
        return
    from sim.cli.feedback import CompileNote

    note = CompileNote(err)
    with month_progress() as bar:
        tasks: dict[str, int] = {}

        def progress(label: str, done: int, total: int) -> None:
            clock.at = f"{label}, {done} of {total} months"
            if done:
                note.done()
            if label not in tasks:
                tasks[label] = bar.add_task(escape(label), total=total)
            bar.update(tasks[label], completed=done)

        yield progress


def _print(comparison, target: Path) -> None:
    from sim.cli.texttable import render
    from sim.compare.tables import caption, terminal_blocks, terminal_headers
    from sim.plots import currency_code

    titles = comparison.titles()
    currency = currency_code(comparison.baseline.result.scenario)
    for p in comparison.policies:
        out.print(
            f"[bold]{escape(titles[p.label])} vs {escape(titles[comparison.baseline.label])}[/]",
            highlight=False,
        )
        blocks = terminal_blocks(comparison, p.label, currency)
        for line in render(terminal_headers(comparison.level), blocks, width=out.width):
            out.print(escape(line), highlight=False, soft_wrap=True)
        out.print()
    out.print(escape(caption(comparison)), style="dim", highlight=False)
    for note in comparison.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    ratio = comparison.median_width_ratio()
    if math.isfinite(ratio):
        gain = (
            f": about as precise as {1 / ratio**2:,.0f} times as many unpaired replications"
            if 0 < ratio < 1
            else ""
        )
        out.print(
            f"Paired intervals are {ratio:.2f} times the width of unpaired ones "
            f"(median over rows){gain}.",
            highlight=False,
        )
    out.print(f"results in [bold]{escape(str(target))}[/]", highlight=False)
