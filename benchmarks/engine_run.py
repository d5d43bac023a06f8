"""One engine measurement in a fresh process, printed as JSON (peak RSS is per process).

python -m benchmarks.engine_run --n 1000000 --months 60 --threads 2
"""

import argparse
import json
import resource
import time

import numba
import numpy as np


def measure(
    n: int, months: int, threads: int, scenario: str, degree: int | None = None, entry: bool = True
) -> dict:
    from sim.engine import layout as L
    from sim.market.model import MarketModel
    from sim.scenario import load_scenario, with_overrides

    numba.set_num_threads(threads)
    t0 = time.perf_counter()
    spec = with_overrides(
        load_scenario(scenario),
        {
            "population.size": n,
            "simulation.months": months,
            "events": [],
            "simulation.replications": 1,
            **({} if degree is None else {"network.mean_degree": degree}),
            **({} if entry else {"population.entry_per_month": 0.0}),
        },
    )
    model = MarketModel(spec, seed=1)
    build = time.perf_counter() - t0
    first = time.perf_counter()
    model.step()  # includes numba's load from cache (or compile when cold)
    first = time.perf_counter() - first
    t1 = time.perf_counter()
    model.run_months()
    steady = time.perf_counter() - t1
    agent_steps = int(model.counts[1:, :, :, 0].sum())
    rest_steps = int(model.counts[2:, :, :, 0].sum())
    total = model.counts[1:].sum(axis=(0, 1, 2))  # each count over the run
    # what the floor model needs (benchmarks/__main__.py): subscribers who read their
    # ties (a choice, or entering), and slots whose visible state changed (the tie-count
    # update's work: entrants, migrants, leavers, switchers twice: flag set, then reset)
    readers = total[L.C_CONSIDER] + total[L.C_ENTRANTS]
    changed = (
        total[L.C_ENTRANTS]
        + total[L.C_MIGRATIONS]
        + total[L.C_DISCONNECT]
        + 2 * total[L.C_SWITCH_IN]
    )
    return {
        "n": n,
        "months": months,
        "threads": threads,
        "capacity": model.state.capacity,
        "build_seconds": round(build, 3),
        "graph_seconds": round(model.timings["graph"], 3),
        "first_month_seconds": round(first, 3),
        "wall_seconds": round(build + first + steady, 3),
        "months_seconds": round(first + steady, 3),
        "agent_steps": agent_steps,
        "readers_share": round(float(readers / agent_steps), 4),
        "changed_share": round(float(changed / agent_steps), 4),
        "agent_steps_per_second": round(rest_steps / steady) if steady > 0 else None,
        "phase_seconds": {k: round(v, 3) for k, v in model.timings.items()},
        "state_bytes_per_agent": round(model.state.nbytes / model.state.capacity, 1),
        "graph_bytes_per_agent": round(model.graph.nbytes / model.state.capacity, 1),
        # revisions before the tie counts (measured for comparison) have none
        "tie_count_bytes_per_agent": round(
            getattr(model, "tie_counts", np.empty(0)).nbytes / model.state.capacity, 1
        ),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scenario", default="scenarios/china_3g_2009.yaml")
    ap.add_argument("--degree", type=int, default=None, help="override the mean degree")
    ap.add_argument("--no-entry", action="store_true", help="no market entry (N stays fixed)")
    args = ap.parse_args()
    print(
        json.dumps(
            measure(
                args.n, args.months, args.threads, args.scenario, args.degree, not args.no_entry
            )
        )
    )


if __name__ == "__main__":
    main()
