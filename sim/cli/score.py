"""``telsim score``: a scenario against a targets file; the fit table both commands print.

Heavy modules are imported inside the command so ``telsim --help`` answers at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from sim.cli.common import (
    FiguresOpt,
    OverwriteOpt,
    QuietOpt,
    ScenarioArg,
    SetOpt,
    app,
    fail,
    month_progress,
    out,
)
from sim.errors import UserError
from sim.extras import require

HoldoutFromOpt = Annotated[
    str | None,
    typer.Option(
        "--holdout-from",
        help="Hold out the observations dated this month (YYYY-MM) or later: fit on the rest.",
    ),
]
HoldoutFractionOpt = Annotated[
    float | None,
    typer.Option(
        "--holdout-fraction",
        help="Hold out this fraction of the observations (rows), drawn with --seed.",
    ),
]
MAX_ROWS = 30  # longer fit tables print their worst moments; fit.csv holds them all


@app.command()
def score(
    scenario: ScenarioArg,
    targets: Annotated[Path, typer.Argument(help="Targets YAML file.", show_default=False)],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default results/score/<scenario name>)."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, help="Replications (default: the scenario's)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed (default: the scenario's).")
    ] = None,
    set_: SetOpt = None,
    holdout_from: HoldoutFromOpt = None,
    holdout_fraction: HoldoutFractionOpt = None,
    figures: FiguresOpt = True,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Score any scenario against a targets file: fit table, rms z per target, figures."""
    try:
        require("calibrate", "telsim score")
        from sim.calibration.calibrate import split_option
        from sim.calibration.score import score_scenario
        from sim.scenario import load_scenario

        split = split_option(holdout_from, holdout_fraction, seed)
        spec = load_scenario(scenario, list(set_ or []))
        name = spec.name
        target = out_dir or Path("results") / "score" / name
        total = (replications or spec.simulation.replications) * spec.simulation.months
        with month_progress() if not quiet else _Nothing() as bar:
            task = bar.add_task(f"{name}: scoring", total=total) if not quiet else None

            def progress(rep: int, month: int, months: int) -> None:
                if task is not None:
                    bar.update(task, completed=rep * months + month)

            summary = score_scenario(
                scenario,
                targets,
                target,
                replications=replications,
                seed=seed,
                overrides=list(set_ or []),
                split=split,
                figures=figures,
                overwrite=overwrite,
                progress=progress,
            )
    except UserError as exc:
        fail(str(exc))
    if not quiet:
        import pandas as pd

        print_fit(pd.read_csv(target / "fit.csv"), summary["fit"])
        out.print(
            f"{summary['replications']} replication(s) of {summary['agents']:,} agents x "
            f"{summary['months']} months; results in [bold]{escape(str(target))}[/]",
            highlight=False,
        )


class _Nothing:
    """A stand-in for the progress bar when --quiet."""

    def __enter__(self) -> _Nothing:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def number(x: float) -> str:
    """A value rounded for reading: 4 significant digits, millions and thousands grouped."""
    if x != x:  # NaN
        return "n/a"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.2f} M"
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def print_fit(fit: Any, summary: dict[str, Any]) -> None:
    """The fit table (worst moments first when long) and rms z per target and split."""
    from rich.table import Table

    rows = fit
    title = "fit: observed vs simulated (z = (simulated - observed) / se)"
    if len(fit) > MAX_ROWS:
        rows = fit.reindex(fit["z"].abs().sort_values(ascending=False).index)[:MAX_ROWS]
        title += f"; the {MAX_ROWS} largest |z| of {len(fit)}, all in fit.csv"
    table = Table(title=title)
    for col in ("target", "moment", "split", "observed", "simulated", "z"):
        table.add_column(col, justify="left" if col in ("target", "moment", "split") else "right")
    for r in rows.itertuples():
        table.add_row(
            r.target, r.moment, r.split, number(r.observed), number(r.simulated), f"{r.z:+.2f}"
        )
    print_table(table)
    per = Table(title="rms z per target (train: fitted; test: held out)")
    for col in ("target", "split", "moments", "rms z", "max |z|"):
        per.add_column(col, justify="left" if col in ("target", "split") else "right")
    for name, splits in summary["by_target"].items():
        for split, v in splits.items():
            per.add_row(
                name, split, str(v["moments"]), f"{v['rms_z']:.2f}", f"{v['max_abs_z']:.2f}"
            )
    for split in ("train", "test"):
        v = summary[split]
        if v["moments"]:
            per.add_row(
                "all", split, str(v["moments"]), f"{v['rms_z']:.2f}", f"{v['max_abs_z']:.2f}"
            )
    print_table(per)


def print_table(table: Any) -> None:
    """A table on stdout; without a terminal (a log file) 120 columns wide, not 80."""
    out.print(table, width=None if out.is_terminal else max(out.width, 120))
