"""``telsim run``, ``validate`` and ``schema``: run one scenario, check one, describe them.

Heavy modules are imported inside commands so ``telsim --help`` answers at once.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.cli.common import (
    MonthsOpt,
    PopulationOpt,
    ScenarioArg,
    SetOpt,
    app,
    check_out_dir,
    fail,
    month_progress,
    out,
)
from sim.errors import UserError


class Engine(StrEnum):
    """Which implementation runs the subscribers (both give the same tables)."""

    numba = "numba"
    reference = "reference"


@app.command()
def run(
    scenario: ScenarioArg,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default results/<scenario name>)."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, help="Replications (default: the scenario's)."),
    ] = None,
    population: PopulationOpt = None,
    months: MonthsOpt = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Base random seed.")] = None,
    set_: SetOpt = None,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="numba threads (default: all cores).")
    ] = None,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Write PNG figures.")
    ] = True,
    report: Annotated[
        bool | None,
        typer.Option(
            "--report/--no-report",
            help="Write report.html and report.md (default: on, off with --no-figures).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="numba (fast), or reference: the readable Mesa model, slow, same results."
        ),
    ] = Engine.numba,
) -> None:
    """Run a scenario: tables, summary, figures and report into a results folder."""
    try:
        from sim.runner import run as run_scenario
        from sim.scenario import load_scenario

        overrides = list(set_ or [])
        if population is not None:
            overrides.append(f"population.size={population}")
        spec = load_scenario(scenario, overrides)
        if months is not None:
            spec = _shorten(spec, months)
        target = out_dir or Path("results") / spec.name
        check_out_dir(target)
        result = _run_with_progress(
            run_scenario, spec, seed, replications, threads, quiet, engine.value
        )
        try:
            result.save(target, figures=figures)
        except OSError as exc:
            raise UserError(
                f"--out {target}: cannot write results: {exc.strerror or exc}"
            ) from None
        paths = None
        with_report = figures if report is None else report  # --no-figures: no PNG at all
        if with_report:
            from sim.cli.report import write_with_progress

            paths = write_with_progress(target, result=result, quiet=quiet)
    except UserError as exc:
        fail(str(exc))
    if not quiet:
        _print_summary(result.summary(), target)
        if paths is not None:
            from sim.cli.report import print_paths

            print_paths(paths)


def _shorten(spec, months: int):
    """Run ``months`` months; events after the new last month cannot happen, so drop them."""
    from sim.scenario import with_overrides

    events = [e.model_dump(mode="json") for e in spec.events if e.month <= months]
    return with_overrides(spec, {"simulation.months": months, "events": events})


def _run_with_progress(run_scenario, spec, seed, replications, threads, quiet, engine="numba"):
    reps = replications or spec.simulation.replications
    total = reps * spec.simulation.months
    if quiet:
        return run_scenario(
            spec, seed=seed, replications=replications, threads=threads, engine=engine
        )
    with month_progress() as bar:
        task = bar.add_task(
            f"{spec.name}: {spec.population.size:,} agents x {reps} rep(s)", total=total
        )

        def progress(rep: int, month: int, months: int) -> None:
            bar.update(task, completed=rep * months + month)

        return run_scenario(
            spec,
            seed=seed,
            replications=replications,
            threads=threads,
            progress=progress,
            engine=engine,
        )


def _print_summary(summary: dict, target: Path) -> None:
    from rich.table import Table

    table = Table(
        title=f"{summary['scenario']}: month {summary['months']}, {summary['replications']} replication(s)"
    )
    for col in ("operator", "final share (5-95 %)", "annualised churn", "CLV"):
        table.add_column(col, justify="right" if col != "operator" else "left")
    for name, row in summary["operators"].items():
        s, c, v = row["final_share"], row["annualised_churn"], row["clv"]
        table.add_row(
            name,
            f"{100 * s['p50']:.1f} % ({100 * s['p5']:.1f}-{100 * s['p95']:.1f})",
            f"{100 * c['p50']:.1f} %",
            f"{v['p50']:,.0f}",
        )
    out.print(table)
    prov = summary["provenance"]
    out.print(
        f"wall time {prov['wall_seconds']:.1f} s on {prov['threads']} thread(s); results in [bold]{escape(str(target))}[/]"
    )


@app.command()
def validate(
    scenario: ScenarioArg,
    set_: SetOpt = None,
) -> None:
    """Check a scenario file: explain every problem, or say it is valid."""
    from sim.scenario import load_scenario

    try:
        spec = load_scenario(scenario, list(set_ or []))
        from sim.runner import estimate_memory

        need = estimate_memory(spec)
    except UserError as exc:
        fail(str(exc))
    out.print(
        f"[green]valid[/]: {escape(str(scenario))} ({spec.name}: {len(spec.all_operators())} operators, "
        f"{spec.population.size:,} agents, {spec.simulation.months} months, {len(spec.events)} events; "
        f"about {need / 2**20:,.0f} MiB to run)",
        highlight=False,
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from sim.scenario import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
