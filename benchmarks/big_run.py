"""A national-scale run with entry: time, peak RSS and bytes per live agent, in a fresh process.

python -m benchmarks.big_run --n 100000000 --months 60 --threads 2 [--run-months 6]

The default scenario (events removed, entry kept: the slots grow to about 2 x N over 60
months). It builds the model (graph included), runs the months and reports the peak RSS
of the whole process. With ``--run-months K`` it runs the first K months only, then
grows the private fields to every slot (what the last month holds) so the peak RSS
still covers the run's two high points (graph build, last month); the time of the
remaining months is extrapolated from the measured agent-steps per second and stated
as such (``extrapolated: true``). Prints one JSON object.
"""

import argparse
import json
import resource
import time

import numba


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(n: int, months: int, threads: int, run_months: int | None, scenario: str) -> dict:
    from sim.market.model import MarketModel
    from sim.runner import estimate_memory
    from sim.scenario import load_scenario, with_overrides

    numba.set_num_threads(threads)
    spec = with_overrides(
        load_scenario(scenario),
        {"population.size": n, "simulation.months": months, "events": []},
    )
    t0 = time.perf_counter()
    model = MarketModel(spec, seed=1)
    build = time.perf_counter() - t0
    peak_build = _peak()
    k = months if run_months is None else max(2, min(months, run_months))
    t1 = time.perf_counter()
    model.step()  # includes numba's load of the kernels from its cache
    first = time.perf_counter() - t1
    t1 = time.perf_counter()
    for _ in range(k - 1):
        model.step()
    rest = time.perf_counter() - t1
    ran = first + rest
    st = model.state
    rate = int(model.counts[2 : k + 1, :, :, 0].sum()) / rest  # months 2..k
    # slots stepped in each later month: everyone present plus that month's entrants
    later = sum(n + int(model.entrants[1 : t + 1].sum()) for t in range(k + 1, months + 1))
    if k < months:
        st.reserve(st.capacity)  # what the last month holds
    months_s = ran + (later / rate if k < months else 0.0)
    live = int(model.counts[k, :, :, 0].sum())
    return {
        "n": n,
        "months": months,
        "threads": threads,
        "months_run": k,
        "extrapolated": k < months,
        "slots": st.capacity,
        "build_seconds": round(build, 2),
        "graph_seconds": round(model.timings["graph"], 2),
        "months_seconds": round(months_s, 1),
        "wall_seconds": round(build + months_s, 1),
        "agent_steps_per_second": round(rate),
        "peak_rss_build_bytes": peak_build,
        "peak_rss_bytes": _peak(),
        "estimate_bytes": estimate_memory(spec),
        "live_agents_at_end": live if k == months else st.capacity,
        "bytes_per_live_agent": round(_peak() / (live if k == months else st.capacity), 1),
        "state_bytes": st.nbytes,
        "graph_bytes": model.graph.nbytes,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--run-months", type=int, default=None)
    ap.add_argument("--scenario", default="scenarios/china_3g_2009.yaml")
    args = ap.parse_args()
    print(json.dumps(measure(args.n, args.months, args.threads, args.run_months, args.scenario)))


if __name__ == "__main__":
    main()
