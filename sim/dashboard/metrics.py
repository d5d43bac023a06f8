"""What the dashboard shows, read from a live ``MarketModel``'s accounting arrays.

The model keeps per-month counts and sums by operator and segment (``counts``, ``sums``,
``flows``); these functions cut them down to the series the components draw, up to the
current month, so drawing never recomputes anything the month already counted. Counts
of subscribers are scaled to the real market (``population.represents``) like the run
tables; shares, rates and means are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import layout as L
from sim.market.model import MarketModel
from sim.results import scale_factor


def operator_labels(model: MarketModel) -> list[str]:
    """Display names of the operators, in table row order."""
    return [op.display for op in model.spec.all_operators()]


def shares(model: MarketModel) -> np.ndarray:
    """Market share per month 0..now (rows) and operator (columns)."""
    subs = model.counts[: model.month + 1, :, :, L.C_SUBS].sum(axis=2).astype(float)
    total = subs.sum(axis=1, keepdims=True)
    return np.divide(subs, total, out=np.zeros_like(subs), where=total > 0)


def churn(model: MarketModel) -> np.ndarray:
    """Monthly churn rate per month 1..now and operator: churners / last month's subscribers.

    Shape ``(month, operators)``; 0 where an operator had no subscribers last month.
    """
    c = model.counts[: model.month + 1]
    subs = c[:, :, :, L.C_SUBS].sum(axis=2).astype(float)
    churners = c[1:, :, :, L.C_CHURN].sum(axis=2).astype(float)
    prev = subs[:-1]
    return np.divide(churners, prev, out=np.zeros_like(churners), where=prev > 0)


def last_flows(model: MarketModel) -> np.ndarray:
    """Subscribers who switched from operator i (rows) to j (columns) in the current month.

    Real-market subscribers (scaled by ``represents / size``); the diagonal is zero.
    """
    flows = model.flows[model.month].astype(float) * scale_factor(model.spec)
    np.fill_diagonal(flows, 0.0)
    return flows


@dataclass(frozen=True)
class Attachment:
    """Mean satisfaction and lock-in components per operator at the current month.

    Each array has one value per operator (0 for an operator without subscribers).
    """

    satisfaction: np.ndarray
    economic: np.ndarray
    knowledge: np.ndarray
    emotional: np.ndarray


def attachment(model: MarketModel, month: int | None = None) -> Attachment:
    """Means over each operator's subscribers of satisfaction and the three lock-ins."""
    t = model.month if month is None else month
    subs = model.counts[t, :, :, L.C_SUBS].sum(axis=1).astype(float)
    sums = model.sums[t].sum(axis=1)

    def mean(col: int) -> np.ndarray:
        return np.divide(sums[:, col], subs, out=np.zeros_like(subs), where=subs > 0)

    return Attachment(mean(L.F_SAT), mean(L.F_L_ECON), mean(L.F_L_KNOW), mean(L.F_L_EMO))


def satisfaction_history(model: MarketModel) -> np.ndarray:
    """Mean satisfaction per month 0..now (rows) and operator (columns)."""
    t = model.month + 1
    subs = model.counts[:t, :, :, L.C_SUBS].sum(axis=2).astype(float)
    sat = model.sums[:t, :, :, L.F_SAT].sum(axis=2)
    return np.divide(sat, subs, out=np.zeros_like(subs), where=subs > 0)


def subscribers(model: MarketModel) -> np.ndarray:
    """Real-market subscribers per operator at the current month."""
    subs = model.counts[model.month, :, :, L.C_SUBS].sum(axis=1).astype(float)
    return subs * scale_factor(model.spec)
