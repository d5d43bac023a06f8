"""The records the kernels take besides subscriber state: named, typed, declared once.

numba compiles a ``NamedTuple`` of arrays (or of scalars) into a struct whose fields are
read by name at compile time, so a kernel call reads like
``month_kernel(n_active, n_after, now, nxt, private, ties, tie_counts, market, beh,
mean_field, keys, acc)`` and two arrays can no longer be swapped by position. Subscriber state records
live in :mod:`sim.engine.state`, the graph's in :mod:`sim.engine.graph`; behaviour
coefficients are a record built from the scenario's ``Behaviour`` fields
(:mod:`sim.market.tables`), read in kernels by their scenario names (``beh.lam``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.engine.layout import K_TIER, N_COHORT_COLS, N_COUNTS, N_SUMS
from sim.engine.rng import Stream, stream_key


class MarketView(NamedTuple):
    """The market tables a kernel reads this month (columns named in ``layout``).

    Attributes:
        seg: (S, N_SEGMENT_COLS) segment table.
        ops: (J, N_OPERATOR_COLS) operator table.
        eff_q: (J, 6) network quality a handset of each generation gets.
        tiers: (J, T, 3) loyalty tiers (min tenure, min spend, benefit).
        plans: (P, N_PLAN_COLS) plan table, rows grouped by operator.
        eligible: (P, S) bool, plan open to segment.
        plan_start: (J+1,) first plan row of each operator.
        ktab: knowledge lock-in by tenure in months.
        dev_avail: (J, 6) share of shoppers who find a handset for each operator's
            network of each generation (1 without a device market).
        dev_cost: (J, 6) that handset's price this month (currency; 0 without one).
        potential: (S, 6) market potential of each generation in each segment.
        retention: (J, N_RETENTION_COLS) retention programmes (``layout.R_*``; the kernels
            read the win-back columns).
    """

    seg: np.ndarray
    ops: np.ndarray
    eff_q: np.ndarray
    tiers: np.ndarray
    plans: np.ndarray
    eligible: np.ndarray
    plan_start: np.ndarray
    ktab: np.ndarray
    dev_avail: np.ndarray
    dev_cost: np.ndarray
    potential: np.ndarray
    retention: np.ndarray


class MeanField(NamedTuple):
    """Population-wide social signals that replace ties under ``network.mixing: global``.

    Attributes:
        active: whether global mixing is on (otherwise ties are read).
        switched: share of customers who switched last month.
        newer: (6,) by generation g, share of customers on a generation above g.
        shares: (J,) share of customers per operator.
        wom: (J,) mean satisfaction - 0.5 of each operator's customers (0 if none).
    """

    active: bool
    switched: float
    newer: np.ndarray
    shares: np.ndarray
    wom: np.ndarray

    @classmethod
    def empty(cls, active: bool, n_operators: int) -> MeanField:
        """No customers yet: every share is 0."""
        return cls(active, 0.0, np.zeros(6), np.zeros(n_operators), np.zeros(n_operators))


class MonthKeys(NamedTuple):
    """Stream keys of one month's draws; field ``x`` draws from stream ``X``."""

    consider: np.uint64
    offer_seen: np.uint64
    choice: np.uint64
    migration: np.uint64
    recontract: np.uint64
    plan_choice: np.uint64
    disconnect: np.uint64
    reentry: np.uint64
    failure: np.uint64
    advertiser: np.uint64

    @classmethod
    def for_month(cls, seed: int, month: int) -> MonthKeys:
        """The keys of ``month`` under a replication's seed."""
        return cls(
            *(np.uint64(stream_key(seed, int(Stream[name.upper()]), month)) for name in cls._fields)
        )


def n_cohorts(n_tiers: int) -> int:
    """Cohort rows: contract status, tenure bands, bundle, then no tier and each tier."""
    return K_TIER + 1 + n_tiers


class Accumulators(NamedTuple):
    """Step-9 sums of one month, one block per fixed-size chunk of subscribers.

    Attributes:
        counts: (chunks, J, S, N_COUNTS) int64 counts (``layout.C_*``).
        sums: (chunks, J, S, N_SUMS) float64 money and level sums (``layout.F_*``).
        flows: (chunks, J, J) int64 switchers from -> to.
        cohorts: (chunks, J, K, N_COHORT_COLS) int64 stock, churners and gross adds by
            cohort (``layout.K_*`` rows, ``layout.X_*`` columns).
    """

    counts: np.ndarray
    sums: np.ndarray
    flows: np.ndarray
    cohorts: np.ndarray

    @classmethod
    def zeros(cls, chunks: int, n_operators: int, n_segments: int, n_tiers: int) -> Accumulators:
        """Zeroed accumulators for ``chunks`` chunks (``n_tiers`` loyalty tier rows)."""
        return cls(
            np.zeros((chunks, n_operators, n_segments, N_COUNTS), dtype=np.int64),
            np.zeros((chunks, n_operators, n_segments, N_SUMS)),
            np.zeros((chunks, n_operators, n_operators), dtype=np.int64),
            np.zeros((chunks, n_operators, n_cohorts(n_tiers), N_COHORT_COLS), dtype=np.int64),
        )

    def first(self, chunks: int) -> Accumulators:
        """The first ``chunks`` blocks, zeroed (a view: the month reuses the buffers)."""
        view = Accumulators(*(block[:chunks] for block in self))
        for block in view:
            block[:] = 0
        return view

    def total(self) -> tuple[np.ndarray, ...]:
        """Counts, sums, flows and cohorts added over chunks, in chunk order."""
        return tuple(block.sum(axis=0) for block in self)


class Scratch(NamedTuple):
    """Per-thread work arrays of one subscriber's social signals and choice.

    Attributes:
        f: share of ties on each operator.
        wom: ties' mean satisfaction - 0.5 on each operator.
        util: logit weights.
        plan_of: each operator's offered plan row.
        gen_of: handset generation after taking that plan.
        plan_u: each plan row's utility as an offer (``-inf``: no offer), one per plan row.
        plan_g: handset generation after taking that plan row.
        ties_on: number of ties on each operator.
        tie_row: (1, columns) a slot's tie counts (:mod:`sim.engine.tiecounts`).
        plan_w: each plan row's logit weight in its operator's nest.
        nest_total: each operator's total nest weight.
    """

    f: np.ndarray
    wom: np.ndarray
    util: np.ndarray
    plan_of: np.ndarray
    gen_of: np.ndarray
    plan_u: np.ndarray
    plan_g: np.ndarray
    ties_on: np.ndarray
    tie_row: np.ndarray
    plan_w: np.ndarray
    nest_total: np.ndarray
