"""Sweep throughput: runs per minute of the default scenario by executor, side by side.

python -m benchmarks.sweep_run --runs 16 --n 100000 --months 60 --repeats 2

Each configuration runs the same ``subsidy_vs_price`` runs (a grid over two plan
parameters of the default scenario, ``--runs`` of them) through ``run_sweep``, writing
its store and outputs (no figures) into a fresh folder; the configurations take turns,
``--repeats`` times, so machine noise hits them alike. Times include worker start-up
and each worker's first load of the numba cache. Prints one JSON object.
"""

import argparse
import json
import math
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.sweep.spec import LoadedSweep

CONFIGS = {
    "1 run x 2 threads": {"workers": 1, "executor": "local"},
    "2 runs x 1 thread": {"workers": 2, "executor": "local"},
    "auto (--workers 0)": {"workers": 0, "executor": "local"},
    "dask 1 worker": {"workers": 1, "executor": "dask"},
    "dask 2 workers": {"workers": 2, "executor": "dask"},
}


def load_runs(runs: int, n: int, months: int) -> "LoadedSweep":
    """The ``subsidy_vs_price`` sweep as about ``runs`` runs of ``n`` x ``months``."""
    from sim.sweep.spec import load_sweep

    side = math.isqrt(runs)
    return load_sweep(
        "scenarios/sweeps/subsidy_vs_price.yaml",
        [f"population.size={n}", f"simulation.months={months}"],
        samples=side,
        replications=max(1, runs // (side * side)),
    )


def measure(runs: int, n: int, months: int, repeats: int, configs: list[str]) -> dict:
    from sim.sweep.runner import run_sweep

    loaded = load_runs(runs, n, months)
    rows: dict[str, list[float]] = {c: [] for c in configs}
    workers: dict[str, int] = {}
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for k, c in enumerate(configs):
                t0 = time.perf_counter()
                outcome = run_sweep(loaded, Path(tmp) / f"{r}-{k}", **CONFIGS[c], figures=False)
                wall = time.perf_counter() - t0
                total = outcome.total
                workers[c] = outcome.workers
                rows[c].append(round(60 * outcome.total / wall, 2))
    return {
        "runs": total,
        "n": n,
        "months": months,
        "runs_per_minute": rows,
        "workers": workers,
        "minutes_for_1000_runs": {c: round(1000 / max(v), 2) for c, v in rows.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names")
    args = ap.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    print(json.dumps(measure(args.runs, args.n, args.months, args.repeats, configs)))


if __name__ == "__main__":
    main()
