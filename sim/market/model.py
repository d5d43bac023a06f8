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

import numba
import numpy as np

from sim.engine import layout as L
from sim.engine.graph import Graph
from sim.engine.kernels import (
    census_kernel,
    churn_risk_kernel,
    month_kernel,
    n_chunks,
    operator_risk_kernel,
)
from sim.engine.records import Accumulators, MonthKeys
from sim.engine.state import SubscriberState
from sim.engine.tiecounts import count_columns, count_dtype, count_ties, update_tie_counts
from sim.errors import InvariantError
from sim.market.loop import MonthlyModel
from sim.market.operators import OperatorAgent
from sim.scenario import Scenario

PHASES = ("events", "decisions", "subscribers", "accounting")


class MarketModel(MonthlyModel):
    """The market: operator agents, subscriber arrays, social graph and the monthly loop.

    Args:
        spec: the validated scenario (not changed by the run).
        seed: the seed of this replication (``replication_seed(scenario seed, r)``).
        graph: a prebuilt social graph over all slots, to reuse one across runs.
        check_invariants: verify conservation and share sums every month; a violation
            raises :class:`~sim.errors.InvariantError`.
    """

    def __init__(
        self,
        spec: Scenario,
        *,
        seed: int,
        graph: Graph | None = None,
        check_invariants: bool = False,
    ):
        super().__init__(spec, seed=seed, graph=graph)
        self.check_invariants = check_invariants
        self.state: SubscriberState = self.world.state
        self.operator_agents = [
            OperatorAgent(self, j, op.name, op.adaptive_pricing)
            for j, op in enumerate(spec.all_operators())
        ]
        self._acc = Accumulators.zeros(
            n_chunks(self.state.capacity),
            self.tables.n_operators,
            len(self.tables.segment_names),
            self.tables.tiers.shape[1],
        )
        self.tie_counts = self._count_ties()
        self._census()

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        """Advance one month: events, operator decisions, subscribers, accounting."""
        t = self.month + 1
        tick = self._apply_events(t, time.perf_counter())

        self._operator_decisions(t)
        tick = self._lap("decisions", tick)

        st = self.state
        n_after = st.n_active + int(self.entrants[t])
        st.reserve(n_after)
        acc = self._acc.first(n_chunks(n_after))
        month_kernel(
            st.n_active,
            n_after,
            st.now,
            st.nxt,
            st.private,
            self.graph.ties,
            self.tie_counts,
            self.tables.view(),
            self.tables.behaviour(),
            self.mean_field,
            MonthKeys.for_month(self.seed, t),
            acc,
        )
        if not self.mean_field.active:
            update_tie_counts(
                n_after, st.now, st.nxt, self.graph.ties, self.tie_counts, numba.get_num_threads()
            )
        tick = self._lap("subscribers", tick)

        self.counts[t], self.sums[t], self.flows[t], self.cohorts[t] = acc.total()
        st.n_active = n_after
        st.advance()
        self.month = t
        self._update_mean_field()
        if self.check_invariants:
            self._check(t)
        self._lap("accounting", tick)

    def _count_ties(self) -> np.ndarray:
        """Every slot's tie counts now (:mod:`sim.engine.tiecounts`; none under global mixing)."""
        ties, n = self.graph.ties, self.state.capacity
        if self.mean_field.active:
            n = 0
        degree = int(np.diff(ties.indptr).max()) if ties.indptr.size > 1 else 0
        counts = np.zeros((n, count_columns(self.tables.n_operators)), dtype=count_dtype(degree))
        count_ties(n, ties, self.state.now, counts)
        return counts

    def _operator_decisions(self, t: int) -> None:
        """Step 2: price reviews, then retention targeting on one shared risk score."""
        shares = self.shares(t - 1)
        for agent in self.operator_agents:
            agent.review_prices(t, float(shares[agent.row]))
        ret = self.tables.retention
        if not np.any(((ret[:, 0] > 0) | (ret[:, 4] > 0)) & (self.tables.ops[:, L.O_ACTIVE] > 0)):
            return
        risk = self.risk_scores()
        for agent in self.operator_agents:
            self.offers[t, agent.row] = agent.target_retention(risk)

    def risk_scores(self) -> np.ndarray:
        """Every slot's churn-risk score (:func:`churn_risk_kernel`; -1 out of the market)."""
        return churn_risk_kernel(self.state.n_active, *self._risk_inputs())

    def customer_risk(self, j: int) -> np.ndarray:
        """Operator ``j``'s customers' churn-risk scores (:func:`operator_risk_kernel`)."""
        return operator_risk_kernel(self.state.n_active, *self._risk_inputs(), j)

    def _risk_inputs(self) -> tuple:
        """What both risk kernels read after their first argument."""
        st = self.state
        return (
            st.now,
            st.private,
            self.tie_counts,
            self.tables.behaviour(),
            self.mean_field,
            self.tables.n_operators,
        )

    def _census(self) -> None:
        """Month-0 levels; expectations start at the value customers perceive now."""
        st = self.state
        acc = self._acc.first(n_chunks(st.n_active))
        census_kernel(
            st.n_active,
            st.now,
            st.private,
            self.graph.ties,
            self.tables.view(),
            self.tables.behaviour(),
            self.mean_field,
            True,
            acc,
        )
        self.counts[0], self.sums[0], _, self.cohorts[0] = acc.total()

    def _check(self, t: int) -> None:
        """Invariants: conservation (but for entry and exit), shares sum to 1, no NaN, no negatives."""
        c = self.counts
        before, after = c[t - 1, :, :, L.C_SUBS].sum(), c[t, :, :, L.C_SUBS].sum()
        entered = c[t, :, :, L.C_ENTRANTS].sum()
        left = c[t, :, :, L.C_DISCONNECT].sum()
        switched = c[t, :, :, L.C_SWITCH_OUT].sum()
        n = self.state.n_active
        broken = [
            (
                after != before + entered - left,
                f"{before} + {entered} entrants - {left} disconnections != {after} subscribers",
            ),
            (
                c[t, :, :, L.C_CHURN].sum() != switched + left
                or c[t, :, :, L.C_ADDS].sum() != c[t, :, :, L.C_SWITCH_IN].sum() + entered,
                "churners != switches out + disconnections, or gross adds != switches in + entrants",
            ),
            (abs(self.shares(t).sum() - 1.0) >= 1e-9, f"shares sum to {self.shares(t).sum()}"),
            (
                (c[t] < 0).any() or not np.isfinite(self.sums[t]).all(),
                "negative or NaN accounting",
            ),
            (
                self.flows[t].sum() != switched,
                f"flows {self.flows[t].sum()} != switches out {switched}",
            ),
            (
                not (
                    np.isfinite(self.state.satisfaction[:n]).all()
                    and np.isfinite(self.state.expectation[:n]).all()
                ),
                "non-finite satisfaction or expectation",
            ),
            (
                not np.array_equal(self.tie_counts, self._count_ties()),
                "tie counts kept from month to month differ from a fresh count",
            ),
        ]
        for failed, what in broken:
            if failed:
                raise InvariantError(f"month {t}: {what}")


def set_threads(threads: int | None) -> int:
    """Set numba's thread count (None: all available); returns the count in force."""
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    return numba.get_num_threads()
