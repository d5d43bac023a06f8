"""Is the month kernel slower than at another revision? Both, side by side, in one process.

A refactor of the kernels must not cost speed, and on a shared 2-core machine two
separate timings differ by more than the effect. So this extracts the package and the
default scenario of a base revision (``git archive``) under another name, builds both
models of their default scenario with the same seed, steps them alternately and compares
their best and median month. ``--same`` also requires both to give the same accounting
(for a refactor, which must not change a number); without it, it measures what a model
change costs per agent-step.

python -m benchmarks.ab_kernel --base 70e991a --n 300000 --threads 1 --same
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BASE_PACKAGE = "sim_base"


def extract_base(revision: str, into: Path) -> None:
    """``revision``'s ``sim`` package as package ``sim_base`` under ``into``, with its scenarios."""
    archive = subprocess.run(
        ["git", "archive", revision, "sim", "scenarios"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "sim").rename(into / BASE_PACKAGE)
    pattern = re.compile(r"\b(from|import) sim([. ])|([\"'])sim\.")
    for path in (into / BASE_PACKAGE).rglob("*.py"):
        text = path.read_text()
        text = pattern.sub(
            lambda m: f"{m[1]} {BASE_PACKAGE}{m[2]}" if m[1] else f"{m[3]}{BASE_PACKAGE}.", text
        )
        path.write_text(text)


def compare(base: str, n: int, threads: int, months: int) -> dict:
    """ns per agent-step of the current and the base kernel, alternating month by month."""
    numba.set_num_threads(threads)
    changes = {
        "population.size": n,
        "simulation.months": months + 4,
        "events": [],
        "population.entry_per_month": 0.0,
        "simulation.replications": 1,
    }
    scenario = "scenarios/china_3g_2009.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        extract_base(base, Path(tmp))
        sys.path.insert(0, tmp)
        from sim_base.market.model import MarketModel as BaseModel
        from sim_base.scenario import load_scenario as load_base
        from sim_base.scenario import with_overrides as set_base

        from sim.market.model import MarketModel
        from sim.scenario import load_scenario, with_overrides

        models = {
            "current": MarketModel(with_overrides(load_scenario(scenario), changes), seed=1),
            "base": BaseModel(set_base(load_base(Path(tmp) / scenario), changes), seed=1),
        }
        seconds: dict[str, list[float]] = {"current": [], "base": []}
        for month in range(months + 4):
            order = ("current", "base") if month % 2 else ("base", "current")
            for name in order:
                start = time.perf_counter()
                models[name].step()
                seconds[name].append(time.perf_counter() - start)
        same = np.array_equal(models["current"].counts, models["base"].counts)
    out = {"base_revision": base, "n": n, "threads": threads, "months": months, "same_counts": same}
    for name, values in seconds.items():
        per_step = np.array(values[4:]) / n * 1e9  # the first months load the caches
        out[name] = {
            "best_ns": round(float(per_step.min()), 1),
            "median_ns": round(float(np.median(per_step)), 1),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--months", type=int, default=16)
    ap.add_argument("--same", action="store_true", help="require the same accounting")
    args = ap.parse_args()
    row = compare(args.base, args.n, args.threads, args.months)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ab_kernel.json").write_text(json.dumps(row, indent=2) + "\n")
    print(json.dumps(row, indent=2))
    if args.same and not row["same_counts"]:
        sys.exit("the two revisions disagree: compare only revisions that should agree")


if __name__ == "__main__":
    main()
