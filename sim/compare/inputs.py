"""What ``telsim compare`` is given: scenario files and saved run folders, made paired.

The first input is the baseline. Scenario files are loaded with the shared options
(``--set``, ``--population``, ``--months``) and will all run with one seed and one
replication count, so replication r of every policy uses ``replication_seed(seed, r)``.
Run folders are taken as saved and must already have been made with those seeds and
that many months; anything else would not be a paired comparison and is refused here,
before any time is spent running.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.results import RunResult
from sim.scenario import Scenario, load_scenario, with_months, with_overrides


@dataclass
class Options:
    """Options every scenario input shares (the CLI's flags).

    Attributes:
        seed: base seed (default: the first run folder's, else the baseline scenario's).
        replications: replications (default: as for ``seed``).
        population: subscriber agents at month 0 for scenario inputs.
        months: months to simulate (scenario inputs) and to expect (run folders).
        overrides: ``PATH=VALUE`` changes applied to every scenario input.
        vary: ``PATH=VALUE`` changes applied to the policies only, not the baseline; with
            a single input, the policy is the baseline with these changes.
        threads: numba threads (results do not depend on it).
        level: confidence level of the intervals.
    """

    seed: int | None = None
    replications: int | None = None
    population: int | None = None
    months: int | None = None
    overrides: list[str] = field(default_factory=list)
    vary: list[str] = field(default_factory=list)
    threads: int | None = None
    level: float = 0.95


@dataclass
class Input:
    """One input, resolved: its scenario and, for a run folder, its finished run.

    Attributes:
        source: the path given.
        kind: "scenario" (to run) or "run" (a saved run folder).
        scenario: the scenario to run, or the one the saved run ran.
        result: the saved run (run folders only).
        label: unique short name (set by :func:`read_inputs`).
    """

    source: Path
    kind: str
    scenario: Scenario
    result: RunResult | None = None
    label: str = ""

    @property
    def months(self) -> int:
        """Months this input runs (or ran)."""
        if self.result is not None:
            return int(self.result.operators["month"].max())
        return self.scenario.simulation.months


@dataclass
class Plan:
    """The inputs made paired: one seed, one replication count, one length for all.

    Attributes:
        inputs: baseline first.
        seed: base seed for every scenario run.
        replications: replications of every run.
        notes: remarks for the reader (options that did not apply to run folders).
    """

    inputs: list[Input]
    seed: int
    replications: int
    notes: list[str] = field(default_factory=list)

    @property
    def replication_seeds(self) -> list[int]:
        """``replication_seed(seed, r)`` for every replication: the pairing."""
        from sim.engine.rng import replication_seed

        return [int(replication_seed(self.seed, r)) for r in range(self.replications)]


def read_inputs(paths: list[Path], options: Options) -> Plan:
    """Load every input, decide seed, replications and months, and check they pair.

    Raises:
        UserError: a missing path, something neither a scenario nor a run folder, one
            input only (without ``--vary``), or run folders made with other seeds or
            another number of months.
    """
    if not paths:
        raise UserError("compare: expected two or more scenario files or run folders")
    if len(paths) == 1 and not options.vary:
        raise UserError(
            f"compare: expected two or more scenario files or run folders (the first is the "
            f"baseline), got one: {paths[0]}; or give --vary PATH=VALUE to compare it with a "
            "changed copy of itself"
        )
    inputs = [_read_one(Path(p), options) for p in paths]
    if len(inputs) == 1:
        base = inputs[0]
        inputs.append(Input(source=base.source, kind="scenario", scenario=base.scenario))
    notes = _apply_vary(inputs, options.vary)
    notes += _option_notes(inputs, options)
    seed, reps = _seed_and_replications(inputs, options)
    if reps < 2:
        raise UserError(
            f"{inputs[0].source}: {reps} replication; paired intervals need at least 2 "
            "(expected --replications 2 or more)"
        )
    plan = Plan(inputs=inputs, seed=seed, replications=reps, notes=notes)
    months = _fix_months(plan, options.months)
    _check_runs(plan, months)
    _label(inputs, varied=len(paths) == 1)
    if options.vary:
        changed = ", ".join(options.vary)
        plan.notes += [f"{i.label}: {changed} (--vary)" for i in inputs[1:] if i.kind == "scenario"]
    return plan


def _read_one(path: Path, options: Options) -> Input:
    if not path.exists():
        raise UserError(f"{path}: no such scenario file or run folder")
    if path.is_dir():
        result = RunResult.load(path)
        return Input(source=path, kind="run", scenario=result.scenario, result=result)
    overrides = list(options.overrides)
    if options.population is not None:
        overrides.append(f"population.size={options.population}")
    return Input(source=path, kind="scenario", scenario=load_scenario(path, overrides))


def _apply_vary(inputs: list[Input], vary: list[str]) -> list[str]:
    """Apply ``--vary`` to every policy that is a scenario; a run folder cannot change."""
    if not vary:
        return []
    notes = []
    for item in inputs[1:]:
        if item.kind == "run":
            notes.append(f"--vary does not apply to the run folder {item.source} (used as saved)")
            continue
        try:
            item.scenario = with_overrides(item.scenario, vary)
        except UserError as exc:  # the override messages name --set; the user typed --vary
            raise UserError(str(exc).replace("--set", "--vary", 1)) from None
    return notes


def _option_notes(inputs: list[Input], options: Options) -> list[str]:
    """--set and --population change scenarios; say (or refuse) when there are none."""
    given = [
        flag
        for flag, value in (("--set", options.overrides), ("--population", options.population))
        if value
    ]
    if not given:
        return []
    runs = [str(i.source) for i in inputs if i.kind == "run"]
    if len(runs) == len(inputs):
        raise UserError(
            f"{' and '.join(given)}: every input is a run folder, which is used as saved; "
            "expected a scenario file to apply them to"
        )
    if runs:
        return [f"{' and '.join(given)} applied to scenario inputs only, not to {', '.join(runs)}"]
    return []


def _seed_and_replications(inputs: list[Input], options: Options) -> tuple[int, int]:
    """Options first, then the first run folder (it cannot be re-seeded), then the baseline."""
    first_run = next((i for i in inputs if i.result is not None), None)
    if first_run is not None and first_run.result is not None:
        prov = first_run.result.provenance
        if options.seed is None and "seed" not in prov:
            raise UserError(
                f"{first_run.source / 'summary.json'}: provenance.seed is missing; "
                "expected a run folder written by telsim run"
            )
        seed = options.seed if options.seed is not None else int(prov["seed"])
        reps = options.replications or first_run.result.replications
        return seed, reps
    sim = inputs[0].scenario.simulation
    return (
        options.seed if options.seed is not None else sim.seed,
        options.replications if options.replications is not None else sim.replications,
    )


def _fix_months(plan: Plan, months: int | None) -> int:
    """Give every scenario the same length: --months, else a run folder's, else refuse.

    Returns the months every input runs.
    """
    target, source = months, "--months"
    if target is None:
        run = next((i for i in plan.inputs if i.kind == "run"), None)
        if run is not None:
            target, source = run.months, f"{run.source} (ran {run.months} months)"
    if target is not None:
        for item in plan.inputs:
            if item.kind == "scenario" and item.scenario.simulation.months != target:
                item.scenario, dropped = with_months(item.scenario, target, source)
                if dropped:
                    plan.notes.append(
                        f"{item.source}: runs {target} months, so {', '.join(dropped)} "
                        "no longer happen (after the last month)"
                    )
        return target
    base = plan.inputs[0]
    for item in plan.inputs[1:]:
        if item.months != base.months:
            raise UserError(
                f"{item.source}: simulation.months is {item.months}, but the baseline "
                f"{base.source} runs {base.months}; the comparison would not be paired "
                f"(expected {base.months}, or pass --months to run both to the same length)"
            )
    return base.months


def _check_runs(plan: Plan, months: int) -> None:
    """Run folders must have been made with the plan's seeds and months."""
    seeds = plan.replication_seeds
    for item in plan.inputs:
        if item.result is None:
            continue
        prov: dict[str, Any] = item.result.provenance
        own = [int(s) for s in prov.get("replication_seeds", [])]
        if own != seeds:
            made = (
                f"seed {prov.get('seed')} with {len(own)} replication(s)"
                if own
                else "no provenance.replication_seeds"
            )
            raise UserError(
                f"{item.source}: made with {made}, but this comparison uses seed {plan.seed} "
                f"with {plan.replications} replication(s); the comparison would not be paired "
                f"(expected a run made with --seed {plan.seed} --replications {plan.replications})"
            )
        if item.months != months:
            raise UserError(
                f"{item.source}: ran {item.months} months, but {months} are compared; the "
                f"comparison would not be paired (expected simulation.months {months})"
            )


def _label(inputs: list[Input], varied: bool) -> None:
    """Unique labels safe as folder names: scenario name, else file or folder name."""
    used: set[str] = set()
    for k, item in enumerate(inputs):
        name = item.scenario.name
        stem = item.source.stem if item.kind == "scenario" else item.source.name
        candidates = [f"{name}_varied"] if varied and k == 1 else [name, stem]
        candidates = [_safe(c) for c in candidates]
        label = next((c for c in candidates if c and c not in used), None)
        n = 2
        while label is None:
            if f"{candidates[0]}_{n}" not in used:
                label = f"{candidates[0]}_{n}"
            n += 1
        used.add(label)
        item.label = label


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")
