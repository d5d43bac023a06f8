"""``telsim run``, ``validate`` and ``schema``: run one scenario, check one, describe them.

Heavy modules are imported inside commands so ``telsim --help`` answers at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
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
    ScenarioArg,
    SetOpt,
    app,
    err,
    fail,
    month_progress,
    out,
)
from sim.cli.export import FormatOpt, print_exports, write_exports
from sim.cli.interrupt import Clock, in_thread, interrupted, kept
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.report import ReportPaths
    from sim.results import RunResult
    from sim.runner import Progress
    from sim.scenario import Scenario


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
    figures: FiguresOpt = True,
    report: Annotated[
        bool | None,
        typer.Option(
            "--report/--no-report",
            help="Write report.html and report.md (default: on, off with --no-figures).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    formats: FormatOpt = None,
    engine: Annotated[
        Engine,
        typer.Option(
            help="numba (fast), or reference: the readable Mesa model, slow, same results."
        ),
    ] = Engine.numba,
) -> None:
    """Run a scenario: tables, summary, figures and report into a results folder."""
    clock = Clock()
    outcome = "nothing written"
    try:
        from sim.outdir import open_results_dir

        spec = _resolve(scenario, set_, population, months, seed, replications, quiet)
        target = out_dir or Path("results") / spec.name
        outcome = kept(target)
        with open_results_dir(
            target, "run", name=spec.name, digest=spec.digest(), overwrite=overwrite
        ) as folder:
            with _month_bar(spec, clock, quiet) as progress:
                result = in_thread(lambda: _simulate(spec, threads, engine.value, progress))
            clock.writing = True
            with_report = figures if report is None else report  # --no-figures: no PNG at all
            paths = _write(result, folder, target, figures, with_report, quiet)
            exported = write_exports(folder, result, formats or [], target)
    except UserError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        interrupted(clock.where(), outcome)
    if not quiet:
        _print_summary(result, target)
        if paths is not None:
            from sim.cli.report import print_paths

            print_paths(paths)
        if exported:
            print_exports([target / p.relative_to(folder) for p in exported])


def _resolve(
    path: Path,
    set_: list[str] | None,
    population: int | None,
    months: int | None,
    seed: int | None,
    replications: int | None,
    quiet: bool,
) -> Scenario:
    """The scenario exactly as it will run; a bad option value is named by its option.

    ``--months`` drops the events after the new last month (they cannot happen) and,
    unless ``quiet``, says which.
    """
    from sim.scenario import load_scenario, with_months, with_overrides

    spec = load_scenario(path, list(set_ or []))
    for option, field, value in (
        ("--population", "population.size", population),
        ("--seed", "simulation.seed", seed),
        ("--replications", "simulation.replications", replications),
    ):
        if value is not None:
            spec = with_overrides(spec, {field: value}, source=option)
    if months is not None:
        spec, dropped = with_months(spec, months)
        if dropped and not quiet:
            err.print(
                f"[yellow]note:[/] --months {months} drops {escape(', '.join(dropped))}: "
                "after the last month",
                highlight=False,
            )
    return spec


@contextmanager
def _month_bar(spec: Scenario, clock: Clock, quiet: bool) -> Iterator[Progress]:
    """The run's progress callback: it moves a bar (unless ``quiet``) and the clock.

    Before the first month, a first run on this machine compiles the kernels: the bar
    says so, and a line says how long it took.
    """
    from sim.cli.feedback import CompileNote

    if quiet:
        yield clock.tick
        return
    reps = spec.simulation.replications
    name = f"{spec.name}: {spec.population.size:,} agents x {reps} rep(s)"
    note = CompileNote(err)
    with month_progress() as bar:
        task = bar.add_task(escape(note.description or name), total=reps * spec.simulation.months)

        def progress(rep: int, month: int, months: int) -> None:
            clock.tick(rep, month, months)
            if note.pending:
                note.done()
                bar.update(task, description=escape(name))
            bar.update(task, completed=rep * months + month)

        yield progress


def _simulate(spec: Scenario, threads: int | None, engine: str, progress: Progress) -> RunResult:
    from sim.runner import run as run_scenario

    return run_scenario(spec, threads=threads, progress=progress, engine=engine)


def _write(
    result: RunResult, folder: Path, target: Path, figures: bool, report: bool, quiet: bool
) -> ReportPaths | None:
    """Tables, summary, figures and the report into ``folder`` (to become ``target``)."""
    from sim.cli.report import write_with_progress

    try:
        result.save(folder, figures=figures)
        if not report:
            return None
        return write_with_progress(folder, result, quiet=quiet).moved(folder, target)
    except OSError as exc:
        raise UserError(f"--out {target}: cannot write results: {exc.strerror or exc}") from None


def _print_summary(result: RunResult, target: Path) -> None:
    """The key numbers as a table that fits the terminal, then how far to trust them."""
    from sim.cli.texttable import render
    from sim.plots import currency_code
    from sim.report import fmt
    from sim.report.caveat import caveat

    summary = result.summary()
    labels = {o.name: o.display for o in result.scenario.all_operators()}
    currency = currency_code(result.scenario) or "currency"
    headers = [
        "operator",
        "final share (5–95\u00a0%)",  # the unit stays on one line when the header wraps
        "change in share",
        "annualised churn",
        f"CLV ({currency})",
    ]
    rows = [
        [
            labels.get(name, name),
            fmt.pct_band(row["final_share"]),
            fmt.points(row["share_change"]["p50"]),
            fmt.pct(row["annualised_churn"]["p50"]),
            fmt.money(row["clv"]["p50"]),
        ]
        for name, row in summary["operators"].items()
    ]
    reps = summary["replications"]
    out.print(
        f"[bold]{escape(summary['scenario'])}[/]: month {summary['months']}, medians of "
        f"{reps} replication{'s' if reps != 1 else ''}",
        highlight=False,
    )
    for line in render(headers, [("", rows)], width=out.width):
        out.print(escape(line), highlight=False, soft_wrap=True)
    trust = caveat(result)
    out.print(f"[bold]{escape(trust.headline)}[/] {escape(' '.join(trust.lines))}", highlight=False)
    prov = summary["provenance"]
    out.print(
        f"wall time {prov['wall_seconds']:.1f} s on {prov['threads']} thread(s); results in [bold]{escape(str(target))}[/]"
    )


@app.command()
def validate(
    scenario: ScenarioArg,
    set_: SetOpt = None,
) -> None:
    """Check a scenario file: explain every problem, or say it is valid and fits in memory."""
    from sim.runner import available_memory, check_memory
    from sim.scenario import load_scenario

    try:
        spec = load_scenario(scenario, list(set_ or []))
    except UserError as exc:
        fail(str(exc))
    try:
        need = check_memory(spec)
    except UserError as exc:
        fail(f"{scenario}: valid, but telsim run would refuse it on this machine: {exc}")
    have = available_memory()
    room = f", {have / 2**30:,.1f} GiB available" if have is not None else ""
    out.print(
        f"[green]valid[/]: {escape(str(scenario))} ({spec.name}: {len(spec.all_operators())} operators, "
        f"{spec.population.size:,} agents, {spec.simulation.months} months, {len(spec.events)} events; "
        f"about {need / 2**20:,.0f} MiB to run{room})",
        highlight=False,
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from sim.scenario import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
