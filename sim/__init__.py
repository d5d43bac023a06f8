"""telsim: an agent-based market simulator for mobile telecom operators.

The public API::

    from sim import load_scenario, run
    result = run(load_scenario("scenarios/china_3g_2009.yaml"), replications=10)
    result.operators  # month x replication x operator table
    result.save("results/base")

Every ``import sim.<anything>`` (each ``telsim`` command, each worker process) runs this
file, so the public names load on first use: importing them here would cost about a
second of pandas, Mesa and numba before ``telsim --help`` could answer. Type checkers
read the imports under ``TYPE_CHECKING`` and see the real types. ``run_sweep`` and
``calibrate`` import without their extras; running a design or method that needs one
says which extra to install (:mod:`sim.extras`).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.calibration.calibrate import calibrate
    from sim.market.model import MarketModel
    from sim.results import RunResult
    from sim.runner import run
    from sim.scenario import Scenario, load_scenario
    from sim.sweep.runner import run_sweep
    from sim.sweep.spec import load_sweep

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

# Where each lazily loaded name lives (the same imports as above; a test keeps them equal).
_LAZY = {
    "calibrate": "sim.calibration.calibrate",
    "MarketModel": "sim.market.model",
    "RunResult": "sim.results",
    "run": "sim.runner",
    "Scenario": "sim.scenario",
    "load_scenario": "sim.scenario",
    "run_sweep": "sim.sweep.runner",
    "load_sweep": "sim.sweep.spec",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
