"""The numba engine against the Mesa reference, side by side on the default scenario.

Both run through ``sim.run`` in this process with the numba cache warm. The reference
is slow by design, so at 10^5 subscribers it runs fewer months; speed is compared per
agent-step (customers present in a simulated month).
"""

import time

from sim.runner import run
from sim.scenario import load_scenario

SCENARIO = "scenarios/china_3g_2009.yaml"


def _agent_steps_per_second(engine: str, n: int, months: int, threads: int) -> dict:
    spec = load_scenario(SCENARIO)
    overrides = {
        "population.size": n,
        "simulation.months": months,
        "events": [],
        "simulation.replications": 1,
    }
    t = time.perf_counter()
    result = run(spec, overrides=overrides, threads=threads, engine=engine)
    wall = time.perf_counter() - t
    ops = result.operators
    steps = int(ops.loc[ops["month"] > 0, "agents"].sum())
    return {
        "engine": engine,
        "n": n,
        "months": months,
        "threads": threads,
        "wall_seconds": round(wall, 3),
        "agent_steps": steps,
        "agent_steps_per_second": steps / wall,
    }


def measure(threads: int = 2) -> list[dict]:
    """Rows for 10^4 (both 24 months) and 10^5 (engine 60 months, reference 3)."""
    run(
        load_scenario(SCENARIO),
        overrides={"population.size": 1000, "simulation.months": 2, "events": []},
    )
    rows = []
    for n, engine_months, reference_months in ((10_000, 24, 24), (100_000, 60, 3)):
        fast = _agent_steps_per_second("numba", n, engine_months, threads)
        slow = _agent_steps_per_second("reference", n, reference_months, threads)
        rows += [
            fast,
            slow
            | {"engine_speedup": fast["agent_steps_per_second"] / slow["agent_steps_per_second"]},
        ]
    return rows
