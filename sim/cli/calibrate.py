"""``telsim calibrate``: fit behaviour parameters to survey moments and market series.

Heavy modules (optuna, pyabc, pandas) are imported inside the command so ``telsim
--help`` answers at once, and without the ``calibrate`` extra the command says to install it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from sim.cli.common import (
    ExecutorKind,
    ExecutorOpt,
    OverwriteOpt,
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


class Method(StrEnum):
    """Search method."""

    tpe = "tpe"
    cmaes = "cmaes"
    abc = "abc"


@app.command()
def calibrate(
    targets: Annotated[Path, typer.Argument(help="Targets YAML file.", show_default=False)],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default results/calibration/<name>)."),
    ] = None,
    method: Annotated[
        Method | None,
        typer.Option(
            help="tpe or cmaes (optuna, minimise the loss) or abc (pyabc ABC-SMC posterior); "
            "default: the file's settings.method."
        ),
    ] = None,
    trials: Annotated[
        int | None,
        typer.Option("--trials", "-t", min=1, help="Model evaluations (ABC: simulation budget)."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, help="Replications per evaluation."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed of runs and sampler.")
    ] = None,
    set_: SetOpt = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Concurrent evaluations; optuna's trials do not depend on it, ABC's do with more than 1.",
        ),
    ] = 1,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads", min=1, help="numba threads with one worker (default: all cores)."
        ),
    ] = None,
    executor: ExecutorOpt = ExecutorKind.local,
    scheduler: SchedulerOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the calibration in --out.")
    ] = False,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Write PNG figures.")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Calibrate a targets file: best parameters, fit table, figures, calibrated scenario."""
    target_dir = out_dir
    replacing = False  # --overwrite of a folder with results: a new calibration in a copy
    try:
        require("calibrate", "telsim calibrate")
        from sim.calibration.calibrate import calibrate as run_calibration

        if scheduler is not None and not scheduler.strip():
            raise UserError("--scheduler: expected an address like tcp://127.0.0.1:8786")
        if target_dir is None:  # the default folder is named after the calibration
            from sim.calibration.targets import load_calibration

            name = load_calibration(targets, list(set_ or [])).spec.name
            target_dir = Path("results") / "calibration" / name
        replacing = overwrite and kept(target_dir) == "previous results kept"
        with _Bar(quiet) as bar:
            summary = run_calibration(
                targets,
                target_dir,
                method=method.value if method else None,
                trials=trials,
                replications=replications,
                seed=seed,
                overrides=list(set_ or []),
                workers=workers,
                threads=threads,
                executor=executor.value,
                scheduler=scheduler,
                resume=resume,
                overwrite=overwrite,
                figures=figures,
                progress=bar.update,
                on_loaded=bar.describe,
            )
    except UserError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        if replacing:
            note = f"{target_dir} kept as it was; the calibration begun afresh with --overwrite is discarded"
        else:
            note = f"every finished trial is stored; continue with --resume --out {target_dir}"
        err.print(f"[bold yellow]interrupted[/]: {escape(note)}", highlight=False)
        raise typer.Exit(130) from None
    if not quiet:
        _print_summary(summary, target_dir)


class _Bar:
    """Rich progress bar on stderr: evaluations done / total, best loss, time left."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.progress: Any = None
        self.task: Any = None
        self.check: Any = None

    def __enter__(self) -> _Bar:
        if not self.quiet and not err.is_terminal:  # a pipe or a log: plain lines
            from sim.cli.feedback import PlainProgress

            self.progress = PlainProgress(err, unit="evaluations")
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
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[best]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def describe(self, cal: Any) -> None:
        """Print what will run, then show the search bar."""
        if self.progress is None:
            return
        st, sc = cal.settings, cal.scenario
        err.print(
            f"{escape(cal.spec.name)}: {len(cal.spec.parameters)} parameters, {len(cal.moments)} "
            f"moments; {st.method}, {st.abc.simulations if st.method == 'abc' else st.trials} "
            f"evaluations x {st.replications} replication(s) of "
            f"'{escape(sc.name)}' ({sc.population.size:,} agents, {sc.simulation.months} months)",
            highlight=False,
        )
        total = st.abc.simulations if st.method == "abc" else st.trials
        self.task = self.progress.add_task("search", total=total, best="")

    def update(self, phase: str, done: int, total: int, best: float | None) -> None:
        """Advance the bar of the phase (search, then the check run)."""
        if self.progress is None:
            return
        if phase == "check":
            if self.check is None:
                self.check = self.progress.add_task("check run", total=total, best="")
            self.progress.update(self.check, completed=done, total=total)
            return
        label = f"best loss {best:.4g}" if best is not None else ""
        self.progress.update(self.task, completed=done, total=total, best=label)


def _print_summary(summary: dict[str, Any], target: Path | None) -> None:
    from rich.table import Table

    table = Table(
        title=f"{summary['calibration']}: {summary['method']}, {summary['evaluations']} evaluations"
    )
    for col in ("parameter", "best", "uncertainty", "identified"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for name, value in summary["best_parameters"].items():
        u = summary["uncertainty"][name]
        band = (
            f"{u['p5']:.4g} .. {u['p95']:.4g} (90 %)"
            if "p5" in u
            else f"{u['low']:.4g} .. {u['high']:.4g} (68 %)"
        )
        weak = u["weakly_identified"]
        table.add_row(
            name, f"{value:.4g}", band, "?" if weak is None else "weakly" if weak else "yes"
        )
    out.print(table)
    loss = summary["loss"]
    out.print(
        f"loss {loss['check_run']:.4g} over {summary['moments']} moments "
        f"({loss['per_moment']:.3g} per moment), rms z {summary['fit']['rms_z']:.3g}; "
        f"wall time {summary['session']['wall_seconds']:.1f} s; results in [bold]{escape(str(target))}[/]",
        highlight=False,
    )
