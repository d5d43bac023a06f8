"""``telsim sweep`` and ``telsim sensitivity``: many runs over parameter ranges, and indices.

Heavy modules (pandas, SALib, dask) are imported inside the commands so ``telsim --help``
answers at once, and without the ``sweep`` extra the commands say to install it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.cli.common import (
    ExecutorKind,
    ExecutorOpt,
    FiguresOpt,
    OverwriteOpt,
    QuietOpt,
    SchedulerOpt,
    SetOpt,
    app,
    err,
    fail,
    out,
)
from sim.cli.interrupt import kept
from sim.errors import UserError
from sim.extras import require

SweepArg = Annotated[Path, typer.Argument(help="Sweep YAML file.", show_default=False)]


@app.command()
def sweep(
    sweep_file: SweepArg,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default results/sweeps/<sweep name>)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=0,
            help=(
                "Concurrent runs (local processes or LocalCluster workers); 0 (default) "
                "chooses: one single-threaded run per core, as runs and memory allow."
            ),
        ),
    ] = 0,
    executor: ExecutorOpt = ExecutorKind.local,
    scheduler: SchedulerOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a sweep in --out, skipping finished runs.")
    ] = False,
    samples: Annotated[
        int | None,
        typer.Option("--samples", min=1, help="Replace design.samples (grid: levels per range)."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, help="Replace replications per point."),
    ] = None,
    set_: SetOpt = None,
    figures: FiguresOpt = True,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Run a sweep file: every design point x replication, resumable, into one folder."""
    target: Path | None = out_dir
    replacing = False  # --overwrite of a folder with results: a new sweep in a temporary copy
    try:
        require("sweep", "telsim sweep")
        from sim.sweep.designs import expected_points
        from sim.sweep.runner import run_sweep
        from sim.sweep.spec import load_sweep

        if scheduler is not None and not scheduler.strip():
            raise UserError("--scheduler: expected an address like tcp://127.0.0.1:8786")
        loaded = load_sweep(
            sweep_file, list(set_ or []), samples=samples, replications=replications
        )
        target = out_dir or Path("results") / "sweeps" / loaded.spec.name
        replacing = overwrite and kept(target) == "previous results kept"
        points = expected_points(loaded.spec)
        if not quiet:
            err.print(
                f"{escape(loaded.spec.name)}: {loaded.spec.design.kind} design, {points} points x "
                f"{loaded.spec.replications} replication(s) of '{escape(loaded.scenario.name)}' "
                f"({loaded.scenario.population.size:,} agents, {loaded.scenario.simulation.months} months)",
                highlight=False,
            )
        with _Bar(quiet) as bar:
            outcome = run_sweep(
                loaded,
                target,
                workers=workers,
                executor=executor.value,
                scheduler=scheduler,
                resume=resume,
                overwrite=overwrite,
                figures=figures,
                progress=bar.update,
                on_start=bar.start,
            )
    except UserError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        if replacing:
            note = f"{target} kept as it was; the sweep begun afresh with --overwrite is discarded"
        else:
            note = (
                f"every finished run is stored; continue with telsim sweep {sweep_file} "
                f"--out {target} --resume (and the same --set/--samples/--replications)"
            )
        err.print(f"[bold yellow]interrupted[/]: {escape(note)}", highlight=False)
        raise typer.Exit(130) from None
    if not quiet:
        _print_outcome(outcome)


class _Bar:
    """Rich progress bar on stderr: runs stored / total, failures, time left."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.progress = None
        self.task = None

    def __enter__(self) -> _Bar:
        if not self.quiet and not err.is_terminal:  # a pipe or a log: plain lines
            from sim.cli.feedback import PlainProgress

            self.progress = PlainProgress(err, unit="runs")
        elif not self.quiet:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("[bold]runs"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("failed {task.fields[failed]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)

    def start(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task("runs", total=total, completed=done, failed=0)
            if done:
                err.print(f"resuming: {done} of {total} runs already stored", highlight=False)
            self.progress.reset(self.task, total=total, completed=done, failed=0)

    def update(self, done: int, total: int, failed: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done, failed=failed)


def _print_outcome(outcome) -> None:
    for note in outcome.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    rate = outcome.ran_now / outcome.seconds * 60 if outcome.seconds > 0 and outcome.ran_now else 0
    status = "[green]complete[/]" if outcome.done == outcome.total else "[yellow]incomplete[/]"
    failed = (
        f", [bold red]{outcome.failed} failed[/] (see failures.json)"
        if outcome.failed
        else ", 0 failed"
    )
    out.print(
        f"{status}: {outcome.done} of {outcome.total} runs{failed}; this session ran "
        f"{outcome.ran_now} in {outcome.seconds:.1f} s ({rate:.1f} runs/min, {outcome.workers} "
        f"worker(s), {outcome.executor}); results in [bold]{escape(str(outcome.out))}[/]",
        highlight=False,
    )
    for warning in outcome.warnings:
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)


@app.command()
def sensitivity(
    folder: Annotated[
        Path, typer.Argument(help="A finished saltelli or morris sweep folder.", show_default=False)
    ],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="Metric column, e.g. final_share.Unicom (repeatable; default all).",
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option("--resamples", min=10, help="Bootstrap resamples for the intervals.")
    ] = 100,
    conf: Annotated[
        float, typer.Option("--conf", min=0.5, max=0.999, help="Confidence level of the intervals.")
    ] = 0.95,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Write the bar charts.")
    ] = True,
) -> None:
    """Sobol (saltelli) or Morris indices of a finished sweep, with confidence intervals."""
    try:
        require("sweep", "telsim sensitivity")
        from sim.sweep.sensitivity import write_sensitivity

        if not folder.is_dir():
            raise UserError(f"{folder}: sweep folder not found")
        started = time.perf_counter()
        from sim.outdir import update_results_dir

        # like a report: written into a copy under the folder's lock, swapped in whole
        with update_results_dir(folder, "sweep") as staging:
            table = write_sensitivity(
                staging, metric, resamples=resamples, conf=conf, figures=figures
            )
    except UserError as exc:
        fail(str(exc))
    _print_indices(table, folder, time.perf_counter() - started, conf)


def _print_indices(table, folder: Path, seconds: float, conf: float) -> None:
    from rich.table import Table

    from sim.sweep.sensitivity import sweep_spec, unreliable_warning

    keys = [k for k in ("S1", "ST", "mu_star", "sigma") if k in set(table["index"])]
    metrics = list(dict.fromkeys(table["metric"]))
    shown = metrics[:8]
    more = (
        f" (first {len(shown)} of {len(metrics)}; all in sensitivity.parquet)"
        if len(metrics) > 8
        else ""
    )
    view = Table(
        title=f"Sensitivity indices{more}",
        caption=f"± half-width of the {100 * conf:g} % bootstrap confidence interval",
    )
    view.add_column("metric", overflow="fold")
    view.add_column("parameter", overflow="fold")
    for key in keys:
        view.add_column(key, justify="right", no_wrap=True)
    for name in shown:
        sub = table[table["metric"] == name]
        for k, param in enumerate(dict.fromkeys(sub["parameter"])):
            cells = []
            for key in keys:
                row = sub[(sub["parameter"] == param) & (sub["index"] == key)].iloc[0]
                conf = "" if row["conf"] != row["conf"] else f" ±{row['conf']:.2g}"
                cells.append(f"{row['value']:.3g}{conf}")
            view.add_row(
                escape(name) + ("" if sub["reliable"].all() else " [yellow](too uncertain)[/]")
                if k == 0
                else "",
                param,
                *cells,
                end_section=k == len(set(sub["parameter"])) - 1,
            )
    out.print(view)
    warning = unreliable_warning(table, sweep_spec(folder))
    if warning:
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    out.print(
        f"{seconds:.1f} s; sensitivity.parquet, sensitivity.json and figures in [bold]{escape(str(folder))}[/]",
        highlight=False,
    )
