"""What every market model shares, whatever computes the subscribers' month.

Both :class:`~sim.market.model.MarketModel` (numba kernels) and
:class:`~sim.reference.ReferenceModel` (one Mesa agent per subscriber) run the same
months the same way; this module holds that loop without importing any kernel, so the
reference stays independent of the engine it checks.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import mesa
import numpy as np

from sim.market.events import Timeline
from sim.market.tables import MarketTables
from sim.scenario import Scenario


def entrants_by_month(scenario: Scenario) -> np.ndarray:
    """New subscribers in each month 0..months (integers summing to the fractional rate)."""
    pop, months = scenario.population, scenario.simulation.months
    cumulative = np.floor(np.arange(months + 1) * pop.entry_per_month * pop.size).astype(np.int64)
    return np.diff(cumulative, prepend=0)


class MonthlyModel(mesa.Model):
    """A Mesa model stepped month by month, with wall time kept per phase.

    Subclasses set ``spec``, ``month``, ``tables`` and ``timeline`` and implement
    ``step()`` for one month.
    """

    spec: Scenario
    month: int
    tables: MarketTables
    timeline: Timeline

    def __init__(self, *, seed: int):
        super().__init__(rng=seed % 2**32)
        self.timings: dict[str, float] = defaultdict(float)

    def run_months(self, progress: Callable[[int], None] | None = None) -> None:
        """Run to the scenario's last month; ``progress(month)`` is called after each."""
        while self.month < self.spec.simulation.months:
            self.step()
            if progress is not None:
                progress(self.month)

    def _apply_events(self, t: int, since: float) -> float:
        """Step 1: events scheduled for month ``t`` change the market tables."""
        self.timeline.step(self.tables, t)
        self.tables.refresh(t)
        return self._lap("events", since)

    def _lap(self, phase: str, since: float) -> float:
        """Add the time since ``since`` to ``phase``; returns now for the next lap."""
        now = time.perf_counter()
        self.timings[phase] += now - since
        return now
