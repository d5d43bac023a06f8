"""Per-replication outcome metrics of a run, the quantities a comparison pairs.

Each metric is one number per (replication, operator), computed the way
``RunResult.summary()`` computes its bands, so a comparison's baseline column agrees
with the run's own ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.results import RunResult, annualised_churn, tail_clv


@dataclass(frozen=True)
class Metric:
    """How to show one metric.

    Attributes:
        name: column key, e.g. ``final_share``.
        label: a short name for table rows.
        long: a fuller name for figure axes.
        unit: unit of a value as shown (after ``scale``).
        diff_unit: unit of a difference as shown, e.g. ``pp`` for percentages.
        scale: multiplier from the stored value to the shown one (100 for fractions).
        money: True for currency values (shown with k / M / bn).
    """

    name: str
    label: str
    long: str
    unit: str
    diff_unit: str
    scale: float = 1.0
    money: bool = False


METRICS: tuple[Metric, ...] = (
    Metric("final_share", "final share", "final market share", "%", "pp", scale=100.0),
    Metric("annualised_churn", "annual churn", "annualised churn", "%/yr", "pp", scale=100.0),
    Metric(
        "cumulative_revenue", "revenue", "cumulative revenue", "currency", "currency", money=True
    ),
    Metric(
        "cumulative_net_revenue",
        "net revenue",
        "cumulative revenue less handset subsidies",
        "currency",
        "currency",
        money=True,
    ),
    Metric("clv", "CLV", "CLV per subscriber", "currency", "currency", money=True),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}


def replication_metrics(result: RunResult, operators: list[str] | None = None) -> pd.DataFrame:
    """Every metric per replication and operator, as a long table.

    Args:
        result: a finished run.
        operators: operators to keep, in this order (default: all, in table order).

    Returns:
        Columns ``replication, operator, metric, value``; sorted by metric (in
        :data:`METRICS` order), operator, replication. Money is in the scenario's
        currency, scaled to real subscribers like the run's tables; fractions stay
        fractions (0..1).
    """
    econ = result.scenario.economics
    ops = result.operators
    names = operators if operators is not None else list(dict.fromkeys(ops["operator"]))
    last = ops[ops["month"] == ops["month"].max()].set_index(["operator", "replication"])
    months = ops[ops["month"] > 0]
    rows: list[tuple[int, str, str, float]] = []
    for name in names:
        group = months[months["operator"] == name]
        for rep, d in group.groupby("replication", sort=True):
            # revenue is already net of retention discounts (retention_cost is the
            # discount given up, docs/model.md), so only subsidies are subtracted
            net = d["revenue"] - d["subsidy_cost"]
            values = {
                "final_share": float(last.loc[(name, rep), "share"]),
                "annualised_churn": annualised_churn(d["churn_rate"]),
                "cumulative_revenue": float(d["revenue"].sum()),
                "cumulative_net_revenue": float(net.sum()),
                "clv": tail_clv(d, econ),
            }
            rows.extend((int(rep), name, m.name, values[m.name]) for m in METRICS)
    df = pd.DataFrame(rows, columns=["replication", "operator", "metric", "value"])
    order = {m.name: k for k, m in enumerate(METRICS)}
    op_order = {n: k for k, n in enumerate(names)}
    key = df["metric"].map(order) * 10_000 + df["operator"].map(op_order)
    return df.iloc[np.lexsort((df["replication"], key))].reset_index(drop=True)


def metric_matrix(table: pd.DataFrame, metric: str, operator: str) -> np.ndarray:
    """Values of one metric and operator ordered by replication, shape ``(n,)``."""
    sel = table[(table["metric"] == metric) & (table["operator"] == operator)]
    return sel.sort_values("replication")["value"].to_numpy(dtype=float)
