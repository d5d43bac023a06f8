"""What the dashboard shows, read from a live ``MarketModel``'s accounting arrays.

The model keeps per-month counts and sums by operator and segment (``counts``, ``sums``,
``flows``); these functions cut them down to the series the components draw, up to the
current month, so drawing never recomputes anything the month already counted. Shares,
rates and means are :func:`sim.metrics.ratios` of those sums, as in the run tables. Counts
of subscribers are scaled to the real market (``population.represents``) like the run
tables; shares, rates and means are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.market.model import MarketModel
from sim.metrics import COUNTS, accumulator_columns, ratios
from sim.results import scale_factor


def operator_labels(model: MarketModel) -> list[str]:
    """Display names of the operators, in table row order."""
    return [op.display for op in model.spec.all_operators()]


def _history(
    model: MarketModel, names: list[str], month: int | None = None
) -> dict[str, np.ndarray]:
    """Ratio metrics ``names`` per month 0..``month`` (default: now) and operator."""
    t = model.month if month is None else month
    counts, sums = model.counts[: t + 1].sum(axis=2), model.sums[: t + 1].sum(axis=2)
    return ratios(accumulator_columns(counts, sums), names)


def shares(model: MarketModel) -> np.ndarray:
    """Market share per month 0..now (rows) and operator (columns)."""
    return _history(model, ["share"])["share"]


def churn(model: MarketModel) -> np.ndarray:
    """Monthly churn rate per month 1..now and operator: churners / last month's subscribers.

    Shape ``(month, operators)``; 0 where an operator had no subscribers last month.
    """
    return _history(model, ["churn_rate"])["churn_rate"][1:]


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


# The metric behind each field of Attachment, in field order.
_ATTACHMENT = ["satisfaction", "lockin_economic", "lockin_knowledge", "lockin_emotional"]


def attachment(model: MarketModel, month: int | None = None) -> Attachment:
    """Means over each operator's subscribers of satisfaction and the three lock-ins."""
    t = model.month if month is None else month
    means = _history(model, _ATTACHMENT, t)
    return Attachment(*(means[name][t] for name in _ATTACHMENT))


def satisfaction_history(model: MarketModel) -> np.ndarray:
    """Mean satisfaction per month 0..now (rows) and operator (columns)."""
    return _history(model, ["satisfaction"])["satisfaction"]


def subscribers(model: MarketModel) -> np.ndarray:
    """Real-market subscribers per operator at the current month."""
    subs = model.counts[model.month, :, :, COUNTS["subscribers"]].sum(axis=1).astype(float)
    return subs * scale_factor(model.spec)
