"""``MarketModel``: the Mesa model that owns the market and runs the monthly order.

One month (docs/model.md), as :meth:`MarketModel.step` runs it:

1. events scheduled for the month change the market tables;
2. operators decide (adaptive pricing, retention targeting);
3-8. one fused numba pass over subscribers: experience and satisfaction, lock-in,
   consideration, choice, switch or stay, technology migration;
9. accounting: per-chunk sums reduced to per-operator-and-segment counts and money.

``MarketModel.timings`` holds the wall time spent in each phase.
"""

from __future__ import annotations

import time

import mesa
import numba
import numpy as np

from sim.engine import layout as L
from sim.engine.graph import Graph
from sim.engine.kernels import census_kernel, churn_risk_kernel, month_kernel, n_chunks
from sim.engine.rng import Stream, stream_key
from sim.engine.state import SubscriberState, synthesize
from sim.market.events import Timeline
from sim.market.loop import MonthlyModel, entrants_by_month
from sim.market.network import build_graph
from sim.market.operators import OperatorAgent
from sim.market.tables import MarketTables, build_tables, initial_distributions
from sim.scenario import Scenario

PHASES = ("events", "decisions", "subscribers", "accounting")
_MONTH_STREAMS = (
    Stream.CONSIDER,
    Stream.OFFER_SEEN,
    Stream.CHOICE,
    Stream.MIGRATION,
    Stream.RECONTRACT,
)



class MarketModel(MonthlyModel):
    """The market: operator agents, subscriber arrays, social graph and the monthly loop.

    Args:
        spec: the validated scenario (frozen for the run).
        seed: the seed of this replication (``replication_seed(scenario seed, r)``).
        graph: a prebuilt social graph over all slots, to reuse one across runs.
        check_invariants: verify conservation and share sums every month (tests).
    """

    def __init__(
        self,
        spec: Scenario,
        *,
        seed: int,
        graph: Graph | None = None,
        check_invariants: bool = False,
    ):
        super().__init__(seed=seed)
        self.spec = spec
        self.seed = int(seed)
        self.month = 0
        self.check_invariants = check_invariants
        t0 = time.perf_counter()

        self.tables: MarketTables = build_tables(spec)
        self.timeline = Timeline(spec)
        self.entrants = entrants_by_month(spec)
        capacity = spec.population.size + int(self.entrants.sum())
        self.state: SubscriberState = synthesize(
            capacity, spec.population.size, self.seed, initial_distributions(spec, self.tables)
        )
        self.timings["synthesis"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.graph = (
            graph
            if graph is not None
            else build_graph(spec.network, capacity, self.state.segment, self.seed)
        )
        if self.graph.n_nodes != capacity:
            raise ValueError(f"graph has {self.graph.n_nodes} nodes, the run needs {capacity}")
        self.timings["graph"] = time.perf_counter() - t0

        self.operator_agents = [
            OperatorAgent(self, j, op.name, op.adaptive_pricing)
            for j, op in enumerate(spec.all_operators())
        ]
        n_ops, n_seg, months = (
            self.tables.n_operators,
            len(self.tables.segment_names),
            spec.simulation.months,
        )
        self.counts = np.zeros((months + 1, n_ops, n_seg, L.N_COUNTS), dtype=np.int64)
        self.sums = np.zeros((months + 1, n_ops, n_seg, L.N_SUMS))
        self.flows = np.zeros((months + 1, n_ops, n_ops), dtype=np.int64)
        self.offers = np.zeros((months + 1, n_ops), dtype=np.int64)
        chunks = n_chunks(capacity)
        self._cnt = np.zeros((chunks, n_ops, n_seg, L.N_COUNTS), dtype=np.int64)
        self._sm = np.zeros((chunks, n_ops, n_seg, L.N_SUMS))
        self._flows = np.zeros((chunks, n_ops, n_ops), dtype=np.int64)
        self.glob = np.zeros(8 + 2 * n_ops)
        self.glob[0] = 1.0 if spec.network.mixing == "global" else 0.0

        self.timeline.step(self.tables, 0)
        self.tables.refresh(0)
        self._update_global_mixing(first=True)
        self._census()
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self.datacollector.collect(self)

    # ----------------------------------------------------------------- reporting
    def _reporters(self) -> dict[str, object]:
        reporters: dict[str, object] = {"month": lambda m: m.month}
        for j, name in enumerate(self.tables.operator_names):
            reporters[f"share {name}"] = lambda m, j=j: float(m.shares(m.month)[j])
        reporters["churn rate"] = lambda m: m.market_churn_rate(m.month)
        return reporters

    def shares(self, month: int) -> np.ndarray:
        """Share of subscribers per operator at ``month``."""
        subs = self.counts[month, :, :, L.C_SUBS].sum(axis=1)
        total = subs.sum()
        return subs / total if total else subs.astype(float)

    def market_churn_rate(self, month: int) -> float:
        """Churners this month over subscribers last month, whole market."""
        if month == 0:
            return 0.0
        prev = self.counts[month - 1, :, :, L.C_SUBS].sum()
        return float(self.counts[month, :, :, L.C_CHURN].sum() / prev) if prev else 0.0

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        """Advance one month: events, operator decisions, subscribers, accounting."""
        t = self.month + 1
        tick = self._apply_events(t, time.perf_counter())

        self._operator_decisions(t)
        tick = self._lap("decisions", tick)

        st, g, tb = self.state, self.graph, self.tables
        n_after = st.n_active + int(self.entrants[t])
        keys = np.array([stream_key(self.seed, int(s), t) for s in _MONTH_STREAMS], dtype=np.uint64)
        chunks = n_chunks(n_after)
        cnt, sm, flows = self._cnt[:chunks], self._sm[:chunks], self._flows[:chunks]
        cnt[:] = 0
        sm[:] = 0.0
        flows[:] = 0
        month_kernel(
            st.n_active,
            n_after,
            g.indptr,
            g.indices,
            st.operator,
            st.operator_n,
            st.satisfaction,
            st.satisfaction_n,
            st.handset_gen,
            st.handset_gen_n,
            st.switched,
            st.switched_n,
            st.plan,
            st.segment,
            st.tenure,
            st.contract_left,
            st.expectation,
            st.trust,
            st.annoyance,
            st.retention_left,
            st.retention_discount,
            st.bundled,
            st.spend,
            st.expired,
            tb.beh,
            tb.seg,
            tb.ops,
            tb.eff_q,
            tb.tiers,
            tb.plans,
            tb.eligible,
            tb.plan_start,
            tb.ktab,
            self.glob,
            keys,
            cnt,
            sm,
            flows,
        )
        tick = self._lap("subscribers", tick)

        self.counts[t] = cnt.sum(axis=0)
        self.sums[t] = sm.sum(axis=0)
        self.flows[t] = flows.sum(axis=0)
        st.n_active = n_after
        st.advance()
        self.month = t
        self._update_global_mixing()
        if self.check_invariants:
            self._check(t)
        self.datacollector.collect(self)
        self._lap("accounting", tick)



    def _operator_decisions(self, t: int) -> None:
        """Step 2: price reviews, then retention targeting on one shared risk score."""
        shares = self.shares(t - 1)
        for agent in self.operator_agents:
            agent.review_prices(t, float(shares[agent.row]))
        if not np.any((self.tables.retention[:, 0] > 0) & (self.tables.ops[:, L.O_ACTIVE] > 0)):
            return
        st, g = self.state, self.graph
        risk = churn_risk_kernel(
            st.n_active,
            g.indptr,
            g.indices,
            st.operator,
            st.satisfaction,
            st.handset_gen,
            st.switched,
            st.contract_left,
            self.tables.beh,
            self.glob,
            self.tables.n_operators,
        )
        for agent in self.operator_agents:
            self.offers[t, agent.row] = agent.target_retention(risk)

    def _census(self) -> None:
        """Month-0 levels; expectations start at the value customers perceive now."""
        st, g, tb = self.state, self.graph, self.tables
        chunks = n_chunks(st.n_active)
        cnt, sm = self._cnt[:chunks], self._sm[:chunks]
        cnt[:] = 0
        sm[:] = 0.0
        census_kernel(
            st.n_active,
            g.indptr,
            g.indices,
            st.operator,
            st.satisfaction,
            st.handset_gen,
            st.switched,
            st.plan,
            st.segment,
            st.tenure,
            st.contract_left,
            st.expectation,
            st.trust,
            st.retention_left,
            st.retention_discount,
            st.bundled,
            st.spend,
            tb.beh,
            tb.seg,
            tb.ops,
            tb.eff_q,
            tb.tiers,
            tb.plans,
            tb.ktab,
            self.glob,
            True,
            cnt,
            sm,
        )
        self.counts[0] = cnt.sum(axis=0)
        self.sums[0] = sm.sum(axis=0)

    def _update_global_mixing(self, first: bool = False) -> None:
        """Population-wide social signals for ``mixing: global`` (from the last accounting)."""
        if self.glob[0] == 0.0:
            return
        n_ops = self.tables.n_operators
        if first:  # month 0 before the census: count the synthesized state directly
            st, n = self.state, self.state.n_active
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
            gens = np.zeros(6)
            gens[2:6] = c[:, :, L.C_GEN2 : L.C_GEN5 + 1].sum(axis=(0, 1))
            switched = float(c[:, :, L.C_CHURN].sum())
        total = subs.sum()
        if total == 0:
            return
        self.glob[1] = switched / total
        newer = total - np.cumsum(gens[:6])  # subscribers on a generation above g
        self.glob[2:8] = newer / total
        self.glob[8 : 8 + n_ops] = subs / total
        with np.errstate(invalid="ignore", divide="ignore"):
            self.glob[8 + n_ops : 8 + 2 * n_ops] = np.where(
                subs > 0, sat / np.maximum(subs, 1) - 0.5, 0.0
            )

    def _check(self, t: int) -> None:
        """Invariants: conservation (but for entry), shares sum to 1, no NaN, no negatives."""
        c = self.counts
        before, after = c[t - 1, :, :, L.C_SUBS].sum(), c[t, :, :, L.C_SUBS].sum()
        entered = c[t, :, :, L.C_ENTRANTS].sum()
        assert after == before + entered, f"month {t}: {before} + {entered} entrants != {after}"
        assert abs(self.shares(t).sum() - 1.0) < 1e-9, (
            f"month {t}: shares sum to {self.shares(t).sum()}"
        )
        assert (c[t] >= 0).all() and np.isfinite(self.sums[t]).all(), (
            f"month {t}: negative or NaN accounting"
        )
        assert self.flows[t].sum() == c[t, :, :, L.C_CHURN].sum(), f"month {t}: flows != churners"
        n = self.state.n_active
        assert (
            np.isfinite(self.state.satisfaction[:n]).all()
            and np.isfinite(self.state.expectation[:n]).all()
        )


def set_threads(threads: int | None) -> int:
    """Set numba's thread count (None: all available); returns the count in force."""
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    return numba.get_num_threads()
