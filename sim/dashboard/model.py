"""The model SolaraViz drives: a ``MarketModel`` built from lever values.

SolaraViz re-creates the model on Reset by calling its class with the current widget
values as keywords, so the class itself must know how to turn levers into a scenario.
Stepping is ``MarketModel.step``, unchanged: the dashboard has no loop of its own, and
with the same scenario and seed it shows replication 0 of ``telsim run``.
"""

from __future__ import annotations

from typing import Any

from sim.dashboard.levers import build_scenario, describe, resolve
from sim.engine.rng import replication_seed
from sim.errors import UserError
from sim.market.model import MarketModel
from sim.scenario import Scenario


class DashboardModel(MarketModel):
    """``MarketModel`` for a base scenario and the dashboard's lever values.

    Args:
        base: the scenario the dashboard was started with.
        scenario: Mesa's own experiment object, which SolaraViz passes on Reset; unused
            (``base`` and the levers say everything).
        **values: lever values by key (see :func:`sim.dashboard.levers.levers`); missing
            ones keep the scenario's value.

    Attributes:
        base: the scenario as loaded.
        values: the complete lever values in force.
        changes: one readable line per lever that differs from ``base``.
        problems: input that could not be used (a seed that is not a number), shown on
            the page; the scenario's value is used instead.
    """

    def __init__(self, base: Scenario, *, scenario: Any = None, **values: Any):
        del scenario
        self.base = base
        self.problems: list[str] = []
        try:
            resolved = resolve(base, values)
        except UserError as exc:  # a typo in the seed box must not break the page
            self.problems.append(f"{exc}; kept seed {base.simulation.seed}")
            resolved = resolve(base, {**values, "seed": base.simulation.seed})
        self.values = resolved
        self.changes = describe(base, resolved)
        spec = build_scenario(base, resolved)
        super().__init__(spec, seed=replication_seed(spec.simulation.seed, 0))
        self.running = self.month < spec.simulation.months

    @property
    def scenario_seed(self) -> int:
        """The seed as a scenario states it (``simulation.seed``); replication 0 runs here."""
        return self.spec.simulation.seed

    def step(self) -> None:
        """One month of ``MarketModel.step``; stops at the scenario's last month."""
        if self.month >= self.spec.simulation.months:
            self.running = False
            return
        super().step()
        self.running = self.month < self.spec.simulation.months
