"""What every market model shares, whatever computes the subscribers' month.

Both :class:`~sim.market.model.MarketModel` (numba kernels) and
:class:`~sim.reference.ReferenceModel` (one Mesa agent per subscriber) start from the
same world (:func:`~sim.market.world.build_world`), keep the same per-month tables and
run the same months the same way; this module holds that, without importing any
kernel, so the reference stays independent of the engine it checks.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import mesa
import numpy as np

from sim.engine import layout as L
from sim.engine.graph import Graph
from sim.engine.records import MeanField, n_cohorts
from sim.market.events import Timeline
from sim.market.tables import MarketTables
from sim.market.world import World, build_world
from sim.risk import risk_months, risk_summary
from sim.scenario import Scenario


class MonthlyModel(mesa.Model):
    """A Mesa model stepped month by month, with wall time kept per phase.

    It builds the world and the per-month accounting tables, of the same shapes and
    dtypes for every subclass, so :func:`sim.results.model_tables` reads either:
    ``counts[t, operator, segment, C_*]``, ``sums[t, operator, segment, F_*]``,
    ``flows[t, from, to]``, ``offers[t, operator]`` and ``cohorts[t, operator, cohort,
    X_*]`` (stock, churners and gross adds by cohort, rows ``layout.K_*``). Subclasses implement ``step()``
    for one month.

    Args:
        spec: the validated scenario (not changed by the run).
        seed: the seed of this replication (``replication_seed(scenario seed, r)``).
        graph: a prebuilt social graph over all slots, to reuse one across runs.
    """

    def __init__(self, spec: Scenario, *, seed: int, graph: Graph | None = None):
        super().__init__(rng=seed % 2**32)
        self.timings: dict[str, float] = defaultdict(float)
        self.spec = spec
        self.seed = int(seed)
        self.month = 0
        world: World = build_world(spec, self.seed, graph)
        self.timings.update(world.timings)
        self.tables: MarketTables = world.tables
        self.timeline: Timeline = world.timeline
        self.entrants = world.entrants
        self.graph = world.graph
        self.world = world
        n_ops, n_seg = self.tables.n_operators, len(self.tables.segment_names)
        months = spec.simulation.months
        self.counts = np.zeros((months + 1, n_ops, n_seg, L.N_COUNTS), dtype=np.int64)
        self.sums = np.zeros((months + 1, n_ops, n_seg, L.N_SUMS))
        self.flows = np.zeros((months + 1, n_ops, n_ops), dtype=np.int64)
        self.offers = np.zeros((months + 1, n_ops), dtype=np.int64)
        n_coh = n_cohorts(self.tables.tiers.shape[1])
        self.cohorts = np.zeros((months + 1, n_ops, n_coh, L.N_COHORT_COLS), dtype=np.int64)
        self.mean_field = MeanField.empty(spec.network.mixing == "global", n_ops)
        self.risk: dict[int, np.ndarray] = {}
        self._update_mean_field(first=True)

    def shares(self, month: int) -> np.ndarray:
        """Share of subscribers per operator at ``month``."""
        subs = self.counts[month, :, :, L.C_SUBS].sum(axis=1)
        total = subs.sum()
        return subs / total if total else subs.astype(float)

    def run_months(self, progress: Callable[[int], None] | None = None) -> None:
        """Run to the scenario's last month; ``progress(month)`` is called after each.

        After each month of :func:`~sim.risk.risk_months` the distribution of churn
        risk is kept in ``risk[month]`` (:func:`~sim.risk.risk_summary`).
        """
        last = self.spec.simulation.months
        keep = risk_months(last)
        while self.month < last:
            self.step()
            if self.month in keep:
                self.risk[self.month] = risk_summary(self)
            if progress is not None:
                progress(self.month)

    def customer_risk(self, j: int) -> np.ndarray:
        """Step 2's churn-risk score of operator ``j``'s customers now, in slot order."""
        raise NotImplementedError

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

    def _update_mean_field(self, first: bool = False) -> None:
        """Population-wide social signals for ``mixing: global``, from the last accounting.

        At month 0 (before the census) they are counted from the synthesized population,
        which both models start from.
        """
        if not self.mean_field.active:
            return
        n_ops = self.tables.n_operators
        if first:
            st = self.world.state
            n = st.n_active
            present = st.operator[:n] != L.NO_OPERATOR
            ops = st.operator[:n][present]
            subs = np.bincount(ops, minlength=n_ops).astype(float)
            sat = np.bincount(ops, weights=st.satisfaction[:n][present], minlength=n_ops)
            gens = np.bincount(st.handset_gen[:n][present], minlength=6).astype(float)
            switched = 0.0
        else:
            c, s = self.counts[self.month], self.sums[self.month]
            subs = c[:, :, L.C_SUBS].sum(axis=1).astype(float)
            sat = s[:, :, L.F_SAT].sum(axis=1)
            gens = np.zeros(L.MAX_GENERATION + 1)
            gens[2:6] = c[:, :, L.C_GEN2 : L.C_GEN5 + 1].sum(axis=(0, 1))
            switched = float(c[:, :, L.C_SWITCH_OUT].sum())
        total = subs.sum()
        if total == 0:
            return
        newer = total - np.cumsum(gens[:6])  # customers on a generation above g
        with np.errstate(invalid="ignore", divide="ignore"):
            wom = np.where(subs > 0, sat / np.maximum(subs, 1) - 0.5, 0.0)
        self.mean_field = self.mean_field._replace(
            switched=switched / total, newer=newer / total, shares=subs / total, wom=wom
        )
