"""Graph build speed: the default scenario's small world, nodes per second, in a fresh process.

python -m benchmarks.graph_build --n 10000000 --threads 2 --repeats 3 [--base 74b89ab]

Builds ``small_world(n, 10, 0.1)`` (the default network) ``--repeats`` times after one
warm-up build and reports the best and median wall time, CPU seconds per node (what the
build costs when the cores are shared) and the process's peak RSS (graph build
included). With ``--base REV`` the ``sim/engine/graph.py`` of that git revision is
loaded beside the current one and the two take turns in this process (same seeds),
checked to give the same arrays. Prints one JSON object.
"""

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np


def base_builder(rev: str) -> Callable:
    """``small_world`` of ``sim/engine/graph.py`` at git revision ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:sim/engine/graph.py"], check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / f"graph_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module.small_world


def _time(build: Callable, n: int, seed: int) -> tuple[float, float, object]:
    c0, t0 = time.process_time(), time.perf_counter()
    g = build(n, 10, 0.1, seed)
    return time.perf_counter() - t0, time.process_time() - c0, g


def _summary(n: int, walls: list[float], cpus: list[float]) -> dict:
    best = min(walls)
    return {
        "best_seconds": round(best, 3),
        "median_seconds": round(statistics.median(walls), 3),
        "nodes_per_second": round(n / best),
        "cpu_ns_per_node": round(1e9 * min(cpus) / n, 1),
    }


def measure(n: int, threads: int, repeats: int, base: str | None = None) -> dict:
    from sim.engine.graph import small_world

    numba.set_num_threads(threads)
    builders = {"current": small_world}
    if base:
        builders[base] = base_builder(base)
    for build in builders.values():
        build(1000, 10, 0.1, 1)  # load (or compile) the kernels
    walls = {k: [] for k in builders}
    cpus = {k: [] for k in builders}
    same = True
    for r in range(repeats):
        graphs = []
        for name, build in builders.items():
            wall, cpu, g = _time(build, n, 7 + r)
            walls[name].append(wall)
            cpus[name].append(cpu)
            graphs.append(g)
        same = same and all(
            np.array_equal(g.indptr, graphs[0].indptr)
            and np.array_equal(g.indices, graphs[0].indices)
            for g in graphs
        )
        nbytes = graphs[0].nbytes
        del graphs, g  # the next build's peak holds no earlier graph
    return {
        "n": n,
        "threads": threads,
        **_summary(n, walls["current"], cpus["current"]),
        **({"base": base, "base_result": _summary(n, walls[base], cpus[base])} if base else {}),
        "same_graph": same,
        "graph_bytes": nbytes,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--base", default=None, help="git revision to compare against")
    args = ap.parse_args()
    print(json.dumps(measure(args.n, args.threads, args.repeats, args.base)))


if __name__ == "__main__":
    main()
