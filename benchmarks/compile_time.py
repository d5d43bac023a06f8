"""numba compile time: a cold cache (fresh NUMBA_CACHE_DIR) against a warm one."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SNIPPET = (
    "from sim.runner import run; from sim.scenario import load_scenario;"
    "run(load_scenario('scenarios/china_3g_2009.yaml'),"
    " overrides={'population.size': 1000, 'simulation.months': 2, 'events': []}, replications=1)"
)


def _timed(env: dict) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", _SNIPPET], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - t


def measure() -> dict:
    """Wall seconds of a tiny run in a fresh process: cold cache, then warm."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = _timed(env)
        warm = _timed(env)
    return {
        "tiny_run_cold_cache_seconds": round(cold, 2),
        "tiny_run_warm_cache_seconds": round(warm, 2),
    }
