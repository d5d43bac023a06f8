"""``run()``: the one way in. The CLI, sweeps, calibration, dashboard and tests call it."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.rng import replication_seed
from sim.engine.state import BYTES_PER_AGENT, PRIVATE_BYTES, PRIVATE_DTYPES, VISIBLE_BYTES
from sim.engine.tiecounts import count_columns
from sim.errors import UserError
from sim.market.world import capacity, first_reservation
from sim.results import RunResult, model_tables
from sim.scenario import Scenario, with_overrides

# Progress callback: (replication index, month, months) after every month.
Progress = Callable[[int, int, int], None]
# Observer: (replication index, month, model) after every month, to read the live state
# (simulated surveys, dashboards) without a second model loop.
Observer = Callable[[int, int, Any], None]
# The numba engine, or the slow readable Mesa reference (sim/reference.py), its test oracle.
ENGINES = ("numba", "reference")


def estimate_memory(scenario: Scenario) -> int:
    """Peak bytes a run needs, estimated before anything is allocated.

    The largest of three moments (docs/performance.md measures them at 10^7 and 10^8).
    While the graph is built, before the population exists: the CSR graph (int32
    neighbours, int64 offsets) and its build's temporaries (on a small world with entry,
    the month-0 ring's graph, the entrants' ties grouped by the slot they reach, and
    the pairs they are grouped from). Right after: the graph, every slot's visible
    fields, the first reservation's private fields and the synthesis draws. In the last
    month: every slot's fields, the graph, the tie counts (:mod:`sim.engine.tiecounts`:
    one byte a column on a small world, two on other graphs, whose hubs can pass 255
    ties) and 8 bytes a slot more (a private field being grown, or retention's risk
    scores over every slot).
    """
    n = capacity(scenario)
    net = scenario.network
    degree = 0 if net.mixing == "global" else net.mean_degree
    graph = n * (8 + 4 * degree)
    if degree == 0:
        build = 0
    elif net.kind == "small_world":
        n0 = scenario.population.size  # the ring: rewired-edge lists, a mask, offsets
        ring = n0 * (9 + (degree + 15) // 16) + int(4 * n0 * (degree // 2) * net.rewire) * 5
        pairs = (n - n0) * (degree // 2)  # the ties entrants start
        # beside the ring's graph: who tied to each slot later (offsets, entrants), and
        # either the pairs and their grouped copy or the grown graph being written
        entry = n0 * (8 + 4 * degree) + 8 * n + 4 * pairs + max(16 * pairs - graph, 0)
        build = max(ring, entry if n > n0 else 0)
    else:  # edge list and its grouping (csr_from_edges)
        build = n * degree * 16 + 8 * n
    at_build = graph + build
    after_build = graph + n * VISIBLE_BYTES + first_reservation(scenario) * PRIVATE_BYTES + 8 * n
    counts = 0
    if degree:
        per_count = 1 if net.kind == "small_world" and 2 * degree < 256 else 2
        counts = n * count_columns(len(scenario.all_operators())) * per_count
    largest = max(PRIVATE_DTYPES[f].itemsize for f in PRIVATE_DTYPES)
    at_end = n * BYTES_PER_AGENT + graph + counts + n * max(largest, 8)
    return int(max(at_build, after_build, at_end) + 64 * 2**20)


def available_memory() -> int | None:
    """Bytes the OS says are available now (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(scenario: Scenario) -> int:
    """Refuse a run that would not fit, before allocating anything (UserError)."""
    need = estimate_memory(scenario)
    have = available_memory()
    if have is not None and need > have:
        raise UserError(
            f"population.size: {scenario.population.size:,} subscribers need about "
            f"{need / 2**30:.1f} GiB ({need / capacity(scenario):.0f} bytes per agent incl. graph), "
            f"but only {have / 2**30:.1f} GiB is available; expected a smaller population"
        )
    return need


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replications: int | None = None,
    overrides: list[str] | dict[str, Any] | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    check_invariants: bool = False,
    engine: str = "numba",
    observer: Observer | None = None,
    digest: bool = True,
) -> RunResult:
    """Run all replications of a scenario and return their tables.

    Args:
        scenario: a validated scenario (see :func:`sim.load_scenario`).
        seed: base seed (default: the scenario's); replication r runs with
            ``replication_seed(seed, r)``.
        replications: how many (default: the scenario's).
        overrides: dotted ``path=value`` changes applied to the scenario first.
        threads: numba threads (default: all); results do not depend on it.
        progress: called as ``progress(replication, month, months)``.
        check_invariants: verify conservation and share sums every month.
        engine: "numba" (fast) or "reference" (one Mesa agent per subscriber, slow; it
            gives the same tables and exists to check the numba engine).
        observer: called as ``observer(replication, month, model)`` after every month
            (and once with month 0 before the first), with the live model; it must not
            change the model.
        digest: record the scenario's SHA-256 in the provenance (a YAML dump of the
            scenario, about 5 % of a 10^5 x 60 run; sweeps skip it: their folder keeps
            the base scenario and each run's parameter values).
    """
    from sim.market.model import MarketModel, set_threads

    if engine not in ENGINES:
        raise UserError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "reference":
        from sim.reference import ReferenceModel

        model_class = ReferenceModel
    else:
        model_class = MarketModel

    if overrides:
        scenario = with_overrides(scenario, overrides)
    sim_spec = scenario.simulation
    changes: dict[str, Any] = {}
    if seed is not None:
        changes["seed"] = seed
    if replications is not None:
        changes["replications"] = replications
    if changes:
        scenario = with_overrides(scenario, {f"simulation.{k}": v for k, v in changes.items()})
        sim_spec = scenario.simulation
    check_memory(scenario)
    n_threads = set_threads(threads)
    started = time.perf_counter()
    parts: dict[str, list[pd.DataFrame]] = {
        "operators": [],
        "segments": [],
        "switching": [],
        "cohorts": [],
        "risk": [],
    }
    timings: dict[str, float] = {}
    seeds = [replication_seed(sim_spec.seed, r) for r in range(sim_spec.replications)]
    for r, rep_seed in enumerate(seeds):
        model = model_class(scenario, seed=rep_seed, check_invariants=check_invariants)
        if observer is not None:
            observer(r, model.month, model)
        model.run_months(_month_callback(r, sim_spec.months, progress, observer, model))
        for name, df in model_tables(model, r).items():
            parts[name].append(df)
        for phase, seconds in model.timings.items():
            timings[phase] = timings.get(phase, 0.0) + seconds
        bytes_state, bytes_graph = model.state.nbytes, model.graph.nbytes
    wall = time.perf_counter() - started
    provenance = _provenance(scenario, seeds, n_threads, wall, timings, bytes_state, bytes_graph)
    provenance["scenario_sha256"] = scenario.digest() if digest else None
    provenance["engine"] = engine
    return RunResult(
        scenario=scenario,
        operators=pd.concat(parts["operators"], ignore_index=True),
        segments=pd.concat(parts["segments"], ignore_index=True),
        switching=pd.concat(parts["switching"], ignore_index=True),
        cohorts=pd.concat(parts["cohorts"], ignore_index=True),
        risk=pd.concat(parts["risk"], ignore_index=True),
        provenance=provenance,
    )


def _month_callback(
    rep: int, months: int, progress: Progress | None, observer: Observer | None, model: Any
) -> Callable[[int], None] | None:
    """One per-month callback for the model loop from the optional progress and observer."""
    if progress is None and observer is None:
        return None

    def after_month(month: int) -> None:
        if observer is not None:
            observer(rep, month, model)
        if progress is not None:
            progress(rep, month, months)

    return after_month


def _provenance(
    scenario: Scenario,
    seeds: list[int],
    threads: int,
    wall: float,
    timings: dict[str, float],
    bytes_state: int,
    bytes_graph: int,
) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    import numba

    try:
        pkg = version("telsim")
    except PackageNotFoundError:
        pkg = "unknown"
    agents = capacity(scenario)
    return {
        "package": "telsim",
        "version": pkg,
        "scenario_sha256": None,  # filled by run() unless it was asked not to
        "seed": scenario.simulation.seed,
        "replication_seeds": seeds,
        "threads": threads,
        "wall_seconds": round(wall, 3),
        "phase_seconds": {k: round(v, 3) for k, v in timings.items()},
        "agents": agents,
        "bytes_per_agent": {
            "state": round(bytes_state / agents, 1),
            "graph": round(bytes_graph / agents, 1),
        },
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
