"""Dask scale-out: runs per minute against the number of single-threaded workers.

python -m benchmarks.dask_scaling --workers 1,2 --runs 16 --n 100000 --months 60 --repeats 2

A cluster grows by adding workers, each with its own cores, so the scaling that matters
is in workers of equal size. Every worker process here runs its runs on one numba
thread (``NUMBA_NUM_THREADS=1``, which the workers inherit), and a
``dask.distributed.LocalCluster`` of each size runs the same ``subsidy_vs_price`` runs
through ``run_sweep`` (store and outputs written, no figures; cluster start-up and each
worker's first load of the numba cache included). The sizes take turns, ``--repeats``
times, so machine noise hits them alike. Efficiency is the best rate with ``w`` workers
over ``w`` times the best with one: 1.0 is linear. Workers beyond the machine's cores
share them, so on a laptop the line can only be followed up to its core count; and the
client and the LocalCluster's scheduler (this process: its CPU time per run is
reported) share those cores too, which a cluster's workers do not. Prints one JSON
object.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def measure(worker_counts: list[int], runs: int, n: int, months: int, repeats: int) -> dict:
    os.environ["NUMBA_NUM_THREADS"] = "1"  # before numba loads, here and in every worker
    from benchmarks.sweep_run import load_runs
    from sim.sweep.runner import run_sweep

    loaded = load_runs(runs, n, months)
    rates: dict[int, list[float]] = {w: [] for w in worker_counts}
    coordinator: dict[int, list[float]] = {w: [] for w in worker_counts}
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for w in worker_counts:
                t0, cpu0 = time.perf_counter(), time.process_time()
                outcome = run_sweep(
                    loaded, Path(tmp) / f"{r}-{w}", workers=w, executor="dask", figures=False
                )
                total = outcome.total
                rates[w].append(round(60 * outcome.total / (time.perf_counter() - t0), 2))
                cpu = (time.process_time() - cpu0) / outcome.total
                coordinator[w].append(round(cpu, 3))
    one = max(rates[min(worker_counts)]) / min(worker_counts)
    return {
        "runs": total,
        "n": n,
        "months": months,
        "cores": os.cpu_count(),
        "runs_per_minute": {str(w): v for w, v in rates.items()},
        "efficiency": {str(w): round(max(v) / (w * one), 2) for w, v in rates.items()},
        # CPU seconds per run of this process: the client (collecting, storing) and the
        # LocalCluster's scheduler, which share the machine's cores with the workers
        "coordinator_cpu_seconds_per_run": {str(w): v for w, v in coordinator.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",") if w]
    print(json.dumps(measure(counts, args.runs, args.n, args.months, args.repeats)))


if __name__ == "__main__":
    main()
