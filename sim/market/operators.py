"""Operators as Mesa agents: the decisions of step 2 (docs/model.md).

Operators are few, so they are plain Python objects. Each month, before subscribers
act, an operator may review its prices (adaptive pricing) and picks the customers its
retention programme will approach: the highest churn risk first, until the month's
budget is committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.engine import layout as L
from sim.scenario import AdaptivePricing

if TYPE_CHECKING:
    from sim.market.model import MarketModel


def top_k_by_risk(risk: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates with the highest risk, ties to the lower slot: deterministic.

    ``candidates`` are slot indices in ascending order; the result is ordered by
    descending risk. Uses a partition, not a full sort, as k is usually small.
    """
    if k <= 0 or candidates.size == 0:
        return candidates[:0]
    r = risk[candidates]
    if k < candidates.size:
        threshold = np.partition(r, r.size - k)[r.size - k]
        keep = r >= threshold
        candidates, r = candidates[keep], r[keep]
    order = np.lexsort((candidates, -r))  # by risk descending, then slot ascending
    return candidates[order[:k]]


def leave_probability(
    risk: np.ndarray, customers: np.ndarray, counts: np.ndarray, row: int, months: float, last: int
) -> np.ndarray:
    """The risk score turned into a chance of leaving over ``months``, as an operator would.

    The score ranks customers; its level is set by the operator's churn in the last
    month completed (``last``): ``min(1, risk / mean risk of its customers x churn x
    months)``. With no churn observed yet (month 1) every chance is 0.
    """
    mean = risk[customers].mean() if customers.any() else 0.0
    return np.minimum(1.0, risk * leave_scale(mean, counts, row, months, last))


def leave_scale(mean_risk: float, counts: np.ndarray, row: int, months: float, last: int) -> float:
    """What :func:`leave_probability` multiplies a score by: ``churn x months / mean risk``."""
    subs = counts[last - 1, row, :, L.C_SUBS].sum() if last >= 1 else 0
    churn = counts[last, row, :, L.C_CHURN].sum() / subs if subs > 0 else 0.0
    return churn * months / mean_risk if mean_risk > 0.0 else 0.0


class OperatorAgent(mesa.Agent):
    """One operator: its row in the market tables plus its monthly decisions."""

    def __init__(self, model: MarketModel, row: int, name: str, pricing: AdaptivePricing | None):
        super().__init__(model)
        self.row = row
        self.name = name
        self.pricing = pricing
        self.last_review_share: float | None = None
        self.offers_made = 0

    @property
    def active(self) -> bool:
        """Whether the operator is in the market (it may enter later)."""
        return bool(self.model.tables.ops[self.row, L.O_ACTIVE])

    def review_prices(self, month: int, share: float) -> None:
        """Adaptive pricing: cut every fee by ``cut`` if share fell since the last review."""
        rule = self.pricing
        if rule is None or not self.active or month % rule.review_every_months:
            return
        if (
            self.last_review_share is not None
            and self.last_review_share - share > rule.share_drop_trigger
        ):
            t = self.model.tables
            rows = slice(t.plan_start[self.row], t.plan_start[self.row + 1])
            floor = t.initial_fees[rows] * rule.floor_fraction
            t.plans[rows, L.P_FEE] = np.maximum(floor, t.plans[rows, L.P_FEE] * (1.0 - rule.cut))
        self.last_review_share = share

    def target_retention(self, risk: np.ndarray) -> int:
        """Mark customers for a retention offer within this month's budget.

        Risk targeting (v1): an offer costs ``discount x fee x offer_months`` of the
        customer's plan; offers go in order of risk while the cumulative cost fits the
        budget. Value targeting: :meth:`value_offers`. Either way at most ``budget_share``
        of the operator's customers get an offer when that share is set. Returns offers
        made.
        """
        t, st = self.model.tables, self.model.state
        budget, discount, months, by_value, share = t.retention[self.row, : L.R_VALUE_MONTHS]
        if (budget <= 0 and share <= 0) or discount <= 0 or not self.active:
            return 0
        n = st.n_active
        customers = st.operator[:n] == self.row
        mine = np.flatnonzero(customers & (st.retention_left[:n] == 0))
        cap = int(share * np.count_nonzero(customers)) if share > 0 else mine.size
        if by_value:
            leave = leave_probability(
                risk, customers, self.model.counts, self.row, months, self.model.month
            )
            chosen = self.value_offers(leave, mine, cap)
        else:
            chosen = self.risk_offers(risk, mine, cap)
        st.retention_left[chosen] = int(months)
        st.retention_discount[chosen] = discount
        self.offers_made += chosen.size
        return int(chosen.size)

    def risk_offers(self, risk: np.ndarray, mine: np.ndarray, cap: int) -> np.ndarray:
        """The highest-risk candidates whose cumulative ``discount x fee x months`` fits."""
        t, st = self.model.tables, self.model.state
        budget, discount, months = t.retention[self.row, :3]
        if budget <= 0:
            return top_k_by_risk(risk, mine, cap)
        fees = t.plans[:, L.P_FEE]
        cheapest = max(float(fees[t.plan_start[self.row] : t.plan_start[self.row + 1]].min()), 1e-9)
        per_offer = discount * cheapest * months  # the cheapest an offer can be
        # budget // per_offer overflows int() when per_offer is tiny (a subnormal discount)
        k_max = mine.size if budget >= per_offer * mine.size else int(budget // per_offer) + 1
        chosen = top_k_by_risk(risk, mine, min(k_max, cap))
        cost = np.cumsum(discount * fees[st.plan[chosen]] * months)
        return chosen[cost <= budget]

    def value_offers(self, leave: np.ndarray, mine: np.ndarray, cap: int) -> np.ndarray:
        """Candidates by expected value saved, ``leave x value - cost``, if positive.

        ``leave`` is each slot's chance of leaving over the offer's months
        (:func:`leave_probability`).
        With the bill ``fee x spend level``: value ``margin x bill x value_months``, cost
        ``discount x bill x offer_months``; offers go in that order (ties to the lower
        slot) while the cumulative cost fits the budget (if any), at most ``cap``.
        """
        t, st = self.model.tables, self.model.state
        budget, discount, months, _, _, value_months = t.retention[self.row, : L.R_WINBACK_MONTHS]
        seg = st.segment[mine]
        bill = t.plans[st.plan[mine], L.P_FEE] * (
            st.spend[mine].astype(np.float64) * t.seg[seg, L.S_SPEND]
        )
        value = self.model.spec.economics.margin * bill * value_months
        cost = discount * bill * months
        saved = leave[mine] * value - cost
        keep = saved > 0.0
        order = np.lexsort((mine[keep], -saved[keep]))[:cap]
        chosen, cost = mine[keep][order], cost[keep][order]
        if budget > 0:
            chosen = chosen[np.cumsum(cost) <= budget]
        return chosen
