"""Does a scenario's outcome depend on the number of agents? Replications at several sizes.

Runs a scenario at each population size with many replications and reports, for one
operator's subscribers (scaled by ``population.represents``) at one month, the mean over
replications, its standard error, the spread across replications (sd, 5-95 %) and the
mean's difference from the largest size in standard errors. Written for the question
"China Telecom at 2012-09: 158 M at 10,000 agents, 167 M at 100,000?" (docs/model.md,
"Agent count"): with enough replications the sizes agree within sampling error.

    python -m benchmarks.agent_count [--scenario S] [--operator O] [--month M]
        [--sizes 10000:60,30000:20,100000:16] [--out benchmarks/results/agent_count.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import sim
from sim.runner import run


def measure(scenario: str, operator: str, month: int, size: int, replications: int) -> dict:
    """Subscribers of ``operator`` at ``month`` over ``replications`` runs of ``size`` agents."""
    spec = sim.load_scenario(scenario)
    start = time.perf_counter()
    result = run(
        spec,
        replications=replications,
        overrides=[f"population.size={size}", f"simulation.months={month}"],
        digest=False,
    )
    ops = result.operators
    values = ops[(ops["month"] == month) & (ops["operator"] == operator)]["subscribers"]
    v = values.to_numpy(dtype=float)
    return {
        "size": size,
        "replications": replications,
        "mean": float(v.mean()),
        "se": float(v.std(ddof=1) / np.sqrt(v.size)),
        "sd": float(v.std(ddof=1)),
        "p5": float(np.percentile(v, 5)),
        "p95": float(np.percentile(v, 95)),
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="scenarios/china_3g_2009.yaml")
    p.add_argument("--operator", default="Telecom")
    p.add_argument("--month", type=int, default=45)
    p.add_argument("--sizes", default="10000:60,30000:20,100000:16", help="size:replications,...")
    p.add_argument("--out", default="benchmarks/results/agent_count.json")
    a = p.parse_args()
    pairs = [tuple(int(x) for x in item.split(":")) for item in a.sizes.split(",")]
    rows = [measure(a.scenario, a.operator, a.month, n, r) for n, r in pairs]
    ref = rows[-1]
    for row in rows:
        gap = row["mean"] - ref["mean"]
        row["z_vs_largest"] = float(gap / np.hypot(row["se"], ref["se"])) if row is not ref else 0.0
    out = {
        "scenario": a.scenario,
        "operator": a.operator,
        "month": a.month,
        "rows": rows,
    }
    path = Path(a.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    os.replace(tmp, path)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
