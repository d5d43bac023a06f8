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
from sim.cli.score import HoldoutFractionOpt, HoldoutFromOpt, print_fit, print_table
from sim.errors import UserError
from sim.extras import require


class Start(StrEnum):
    """Where an optuna search starts."""

    center = "center"
    scenario = "scenario"


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
    figures: FiguresOpt = True,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    holdout_from: HoldoutFromOpt = None,
    holdout_fraction: HoldoutFractionOpt = None,
    profile: Annotated[
        int | None,
        typer.Option(
            "--profile",
            min=0,
            help="tpe/cmaes: loss-profile points per parameter after the search (0: none); "
            "default: the file's settings.profile.",
        ),
    ] = None,
    start: Annotated[
        Start | None,
        typer.Option(
            "--start",
            help="tpe/cmaes: start the search at the middle of the bounds (center) or at the "
            "base scenario's values after --set (scenario); default: the file's settings.start.",
        ),
    ] = None,
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

            name = load_calibration(targets, list(set_ or []), expand=False).spec.name
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
                holdout_from=holdout_from,
                holdout_fraction=holdout_fraction,
                profile=profile,
                start=start.value if start else None,
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
    """Progress on stderr: a bar on a terminal, else plain lines.

    The bar shows evaluations n / N, the best loss and the time left; without a terminal
    (a log file, a batch job) a line says the same about every tenth of the evaluations.
    """

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.progress: Any = None
        self.task: Any = None
        self.others: dict[str, Any] = {}
        self.plain = not quiet and not err.is_terminal
        self.started = 0.0
        self.started_phase = 0.0
        self.phase = "search"
        self.last: tuple[str, int] = ("", -1)

    def __enter__(self) -> _Bar:
        if not self.quiet and not self.plain:
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
        if self.quiet:
            return
        import time

        st, sc = cal.settings, cal.scenario
        held = len(cal.moments) - len(cal.train)
        err.print(
            f"{escape(cal.spec.name)}: {len(cal.spec.parameters)} parameters, {len(cal.train)} "
            f"moments fitted{f', {held} held out' if held else ''}; {st.method}, "
            f"{st.abc.simulations if st.method == 'abc' else st.trials} "
            f"evaluations x {st.evaluation_replications} replication(s) of "
            f"'{escape(sc.name)}' ({sc.population.size:,} agents, {sc.simulation.months} months)",
            highlight=False,
        )
        self.started = self.started_phase = time.perf_counter()
        if self.progress is not None:
            total = st.abc.simulations if st.method == "abc" else st.trials
            self.task = self.progress.add_task("search", total=total, best="")

    def update(self, phase: str, done: int, total: int, best: float | None) -> None:
        """Advance the bar of the phase (search, then the check run)."""
        if self.plain:
            self._line(phase, done, total, best)
            return
        if self.progress is None:
            return
        if phase != "search":  # the profile, then the check run: a bar each
            if phase not in self.others:
                label = "check run" if phase == "check" else phase
                self.others[phase] = self.progress.add_task(label, total=total, best="")
            self.progress.update(self.others[phase], completed=done, total=total)
            return
        label = f"best loss {best:.4g}" if best is not None else ""
        self.progress.update(self.task, completed=done, total=total, best=label)

    def _line(self, phase: str, done: int, total: int, best: float | None) -> None:
        """One plain line per tenth of the search or profile (and at its end)."""
        import time

        if phase != self.phase:  # a new phase starts its clock at its first report
            self.phase = phase
            self.started_phase = self.started if phase == "search" else time.perf_counter()
        step = max(1, total // 10)
        if phase == "check" or not done or (done % step and done != total):
            return
        if (phase, done) == self.last:  # optuna reports a batch's end twice
            return
        self.last = (phase, done)
        spent = time.perf_counter() - self.started_phase
        left = spent / done * (total - done) if done else float("nan")
        what = "trial" if phase == "search" else "profile point"
        loss = f", best loss {best:.4g}" if best is not None else ""
        err.print(
            f"{what} {done}/{total}{loss}, {spent:.0f} s, about {left:.0f} s left",
            highlight=False,
        )


IDENTIFICATION = (
    "interval: {how}. identified: it covers at most half of the parameter's bounds (log "
    "scale for log parameters); weak: more than half, the data hardly pin it down; not "
    "judged: too few {few} to tell; at low/high bound: the best value is within 2 % of a "
    "bound, the data push beyond the range allowed. Correlations (summary.json, "
    "correlations.png) show which parameters trade off. See docs/calibration.md."
)
HOW = {
    "abc": "the posterior's 5-95 % range",
    "profile": "where the loss, moving this parameter alone from the best, stays within the "
    "68 % threshold (profile.png; narrower than the truth when parameters trade off)",
    "profile and plausible trials": "where the loss, moving this parameter alone from the "
    "best, stays within the 68 % threshold (profile.png), widened to the range of the trials "
    "within the 68 % joint loss threshold, which shows trade-offs",
    "plausible trials": "the range of the trials within the 68 % loss threshold (an "
    "optimiser crowds them near the best, so this understates the uncertainty)",
}


def _print_summary(summary: dict[str, Any], target: Path | None) -> None:
    import pandas as pd
    from rich.table import Table

    if target is not None and (target / "fit.csv").is_file():
        print_fit(pd.read_csv(target / "fit.csv"), summary["fit"])
    abc = summary["method"] == "abc"
    first = next(iter(summary["uncertainty"].values()), {})
    kind = "90 % posterior" if abc else f"68 % {first.get('interval_from', 'plausible trials')}"
    table = Table(
        title=f"{summary['calibration']}: {summary['method']}, {summary['evaluations']} "
        f"evaluations; interval: {kind}"
    )
    for col in ("parameter", "best", "interval", "of bounds", "identification"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for name, value in summary["best_parameters"].items():
        u = summary["uncertainty"][name]
        lo, hi = (u["p5"], u["p95"]) if abc else (u["low"], u["high"])
        table.add_row(
            name,
            f"{value:.4g}",
            f"{lo:.3g} .. {hi:.3g}",
            f"{u['share_of_bounds']:.0%}",
            u["identification"],
        )
    print_table(table)
    how = HOW["abc" if abc else first.get("interval_from", "plausible trials")]
    few = "effective particles" if abc else "trials near the best"
    out.print(IDENTIFICATION.format(how=how, few=few), style="dim", highlight=False)
    convergence = summary.get("abc_convergence")
    if convergence and not convergence["converged"]:
        for warning in convergence["warnings"]:
            err.print(f"[bold yellow]ABC not converged[/]: {escape(warning)}", highlight=False)
    for warning in summary.get("search_warnings") or []:
        err.print(f"[bold yellow]not converged[/]: {escape(warning)}", highlight=False)
    loss, fit = summary["loss"], summary["fit"]
    test = fit["test"]
    tested = (
        f"; held out: {test['moments']} moments, rms z {test['rms_z']:.3g}"
        if test["moments"]
        else ""
    )
    out.print(
        f"loss {loss['check_run']:.4g} over {fit['train']['moments']} fitted moments "
        f"({loss['per_moment']:.3g} per moment), rms z {fit['rms_z']:.3g}{tested}; "
        f"wall time {summary['session']['wall_seconds']:.1f} s; results in [bold]{escape(str(target))}[/]",
        highlight=False,
    )
