"""telsim: an agent-based market simulator for mobile telecom operators.

The public API::

    from sim import load_scenario, run
    result = run(load_scenario("scenarios/china_3g_2009.yaml"), replications=10)
    result.operators  # month x replication x operator table
    result.save("results/base")

Heavy modules (numba kernels, Mesa) load on first use, so ``import sim`` is quick.
"""

from importlib import import_module
from typing import Any

__all__ = [
    "MarketModel",
    "RunResult",
    "Scenario",
    "UserError",
    "calibrate",
    "load_scenario",
    "load_sweep",
    "run",
    "run_sweep",
]

_WHERE = {
    "load_scenario": "sim.scenario",
    "Scenario": "sim.scenario",
    "run": "sim.runner",
    "RunResult": "sim.results",
    "MarketModel": "sim.market.model",
    "UserError": "sim.errors",
    "load_sweep": "sim.sweep.spec",
    "run_sweep": "sim.sweep.runner",
    "calibrate": "sim.calibration.calibrate",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
