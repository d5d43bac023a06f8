"""Customers at risk: the distribution of each customer's chance of leaving next month.

The retention programme ranks customers by step 2's churn-risk score and, when it
targets by value, turns the score into a chance of leaving the way an operator would
(:func:`~sim.market.operators.leave_probability`): scaled so that the operator's
customers' mean chance is its churn rate of the month just completed, capped at 1.
This module takes that chance over one month for every customer, from the state after
a month (what the next month's decisions see), and keeps per operator its mean,
quantiles and the customers above each threshold (a survival histogram; the columns
are :data:`sim.metrics.RISK_METRICS`). It is kept every 12 months and in the last month (:func:`risk_months`):
often enough to follow a trend, and one pass over the customers a year costs little.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.market.operators import leave_scale
from sim.metrics import (
    RISK_METRICS,
    RISK_QUANTILES,
    RISK_THRESHOLDS,
    at_risk_column,
    leave_quantile_column,
)

if TYPE_CHECKING:
    from sim.market.loop import MonthlyModel

THRESHOLDS, QUANTILES = RISK_THRESHOLDS, RISK_QUANTILES
EVERY = 12  # months between two risk distributions
AT_RISK_COLUMNS = tuple(at_risk_column(t) for t in THRESHOLDS)
QUANTILE_COLUMNS = tuple(leave_quantile_column(q) for q in QUANTILES)
# Per operator and month of risk_months: customers, their mean and quantile chances of
# leaving next month, and the customers above each threshold (scaled); agents unscaled.
RISK_COLUMNS = ("month", "replication", "operator", *(m.name for m in RISK_METRICS), "agents")


def risk_months(months: int) -> frozenset[int]:
    """The months after which the distribution is kept: every 12th, and the last."""
    return frozenset(range(EVERY, months + 1, EVERY)) | ({months} if months > 0 else set())


def risk_summary(model: MonthlyModel) -> np.ndarray:
    """Per operator row: customers, mean, quantiles and counts above each threshold.

    The columns are those of :data:`~sim.metrics.RISK_METRICS`, in order. The scores
    are ``model.customer_risk(j)``; the chance uses the churn of ``model.month``, the
    month just completed. Rows of operators without customers are all zero.
    """
    n_ops = model.counts.shape[1]
    out = np.zeros((n_ops, 2 + len(QUANTILES) + len(THRESHOLDS)))
    for j in range(n_ops):
        leave = model.customer_risk(j)  # turned into chances in place: at 10^8, GBs
        if not leave.size:
            continue
        scale = leave_scale(float(leave.mean()), model.counts, j, 1.0, model.month)
        np.minimum(1.0, np.multiply(leave, scale, out=leave), out=leave)  # leave_probability
        out[j, 0] = leave.size
        out[j, 1] = leave.mean()
        out[j, 2 + len(QUANTILES) :] = [np.count_nonzero(leave > t) for t in THRESHOLDS]
        # last: the quantiles reorder ``leave`` in place
        out[j, 2 : 2 + len(QUANTILES)] = np.quantile(leave, QUANTILES, overwrite_input=True)
    return out


def risk_frame(model: MonthlyModel, replication: int, scale: float) -> pd.DataFrame:
    """The risk table of one finished replication (customer counts scaled by ``scale``)."""
    names = model.tables.operator_names
    factor = np.array([scale if m.scaled else 1.0 for m in RISK_METRICS])
    rows = [
        {
            "month": month,
            "replication": replication,
            "operator": name,
            **dict(zip(RISK_COLUMNS[3:-1], model.risk[month][j] * factor, strict=True)),
            "agents": np.int64(model.risk[month][j, 0]),
        }
        for month in sorted(model.risk)
        for j, name in enumerate(names)
        if model.risk[month][j, 0] > 0
    ]
    return pd.DataFrame(rows, columns=list(RISK_COLUMNS)) if rows else empty_risk()


def empty_risk() -> pd.DataFrame:
    """A risk table without rows (a run folder written before it existed)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in RISK_COLUMNS})
