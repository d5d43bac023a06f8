"""Metrics: the numbers a sweep records for each run, read from the run's tables.

Built-in metrics give one column per operator (``final_share.Unicom``) and, where a
market total means something, a ``.market`` column:

- ``final_share.<op>``: share of subscribers in the last month (0-1).
- ``mean_monthly_churn.<op>``: mean of the monthly churn rate over months 1..T (0-1 per
  month); ``.market``: all churners over all subscribers at the start of each month.
- ``cumulative_switchers.<op>``: subscribers won from other operators over the run
  (real subscribers, scaled by ``population.represents``); ``.market``: all switches.
- ``revenue.<op>``: revenue summed over months 1..T (scenario currency); ``.market``.
- ``clv.<op>``: customer lifetime value from the last 12 months' ARPU and churn
  (currency per subscriber), as in ``summary.json``.

A column metric ``{column: C, month: M, operator: O, segment: S}`` records column ``C``
of the operators table (or of the segments table for segment ``S``; the columns are
declared in :mod:`sim.metrics`) at month ``M`` (default: the last), as ``C@M.O``
(``C@M.S.O``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import CURRENCY, METRIC, SUM, ratios
from sim.results import RunResult, tail_clv
from sim.scenario import Scenario
from sim.sweep.spec import ColumnMetric, Sweep

MARKET = "market"
# Placeholder units of counts and money; figures pick thousands, millions or billions.
COUNT_UNIT = "subscribers"
MONEY_UNIT = "currency units"
# Axis label, unit and scale of each built-in metric (a column metric's come from sim.metrics).
SWEEP_AXES: dict[str, tuple[str, str, float]] = {
    "final_share": ("final market share", "%", 100.0),
    "mean_monthly_churn": ("mean monthly churn", "% per month", 100.0),
    "cumulative_switchers": ("cumulative switchers won", COUNT_UNIT, 1.0),
    "revenue": ("cumulative revenue", MONEY_UNIT, 1.0),
    "clv": ("customer lifetime value", "currency per subscriber", 1.0),
}


def metric_names(spec: Sweep, scenario: Scenario) -> list[str]:
    """Every metric column a run of this sweep records, in order (failed runs get NaN)."""
    ops = [o.name for o in scenario.all_operators()]
    names: list[str] = []
    for metric in spec.metrics:
        if isinstance(metric, ColumnMetric):
            month = metric.month if metric.month is not None else scenario.simulation.months
            targets = [metric.operator] if metric.operator else ops
            seg = f"{metric.segment}." if metric.segment else ""
            names += [f"{metric.column}@{month}.{seg}{op}" for op in targets]
        elif metric in ("final_share", "clv"):
            names += [f"{metric}.{op}" for op in ops]
        else:
            names += [f"{metric}.{op}" for op in ops] + [f"{metric}.{MARKET}"]
    return names


def compute_metrics(spec: Sweep, result: RunResult) -> dict[str, float]:
    """The metrics of one single-replication run."""
    ops_table = result.operators
    ops = [o.name for o in result.scenario.all_operators()]
    out: dict[str, float] = {}
    for metric in spec.metrics:
        if isinstance(metric, ColumnMetric):
            out.update(_column_metric(metric, result, ops))
        elif metric == "final_share":
            last = ops_table[ops_table["month"] == ops_table["month"].max()]
            share = last.set_index("operator")["share"]
            out.update({f"final_share.{op}": float(share.get(op, 0.0)) for op in ops})
        elif metric == "mean_monthly_churn":
            out.update(_churn(ops_table, ops))
        elif metric == "cumulative_switchers":
            sw = result.switching
            won = sw.groupby("to_operator")["subscribers"].sum()
            out.update({f"cumulative_switchers.{op}": float(won.get(op, 0.0)) for op in ops})
            out[f"cumulative_switchers.{MARKET}"] = float(sw["subscribers"].sum())
        elif metric == "revenue":
            months = ops_table[ops_table["month"] > 0]
            rev = months.groupby("operator")["revenue"].sum()
            out.update({f"revenue.{op}": float(rev.get(op, 0.0)) for op in ops})
            out[f"revenue.{MARKET}"] = float(months["revenue"].sum())
        elif metric == "clv":
            econ = result.scenario.economics
            months = ops_table[ops_table["month"] > 0]
            groups = dict(tuple(months.groupby("operator", sort=False)))
            out.update(
                {f"clv.{op}": tail_clv(groups[op], econ) if op in groups else np.nan for op in ops}
            )
    return out


def _churn(ops_table: pd.DataFrame, ops: list[str]) -> dict[str, float]:
    months = ops_table[ops_table["month"] > 0]
    per_op = months.groupby("operator")["churn_rate"].mean()
    out = {f"mean_monthly_churn.{op}": float(per_op.get(op, 0.0)) for op in ops}
    # the market's churn rate by month, skipping months without subscribers before
    by_month = ops_table.groupby("month").sum(numeric_only=True).sort_index()
    rate = ratios(by_month, ["churn_rate"], empty=np.nan)["churn_rate"][1:]
    out[f"mean_monthly_churn.{MARKET}"] = float(pd.Series(rate).mean())
    return out


def _column_metric(metric: ColumnMetric, result: RunResult, ops: list[str]) -> dict[str, float]:
    months = int(result.operators["month"].max())
    month = metric.month if metric.month is not None else months
    if metric.segment is not None:
        table = result.segments[result.segments["segment"] == metric.segment]
        seg = f"{metric.segment}."
    else:
        table, seg = result.operators, ""
    at = table[table["month"] == month].set_index("operator")[metric.column]
    targets = [metric.operator] if metric.operator else ops
    return {f"{metric.column}@{month}.{seg}{op}": float(at.get(op, np.nan)) for op in targets}


def timeseries(result: RunResult) -> pd.DataFrame:
    """The monthly operators table of a run, without the replication column (always 0)."""
    return result.operators.drop(columns=["replication"]).reset_index(drop=True)


def family(name: str) -> tuple[str, str]:
    """Split a metric column into (family, operator): ``final_share.Unicom`` -> both parts."""
    head, _, op = name.rpartition(".")
    return head, op


def describe(name: str) -> dict[str, Any]:
    """Axis label, unit and scale of a metric column, for figures.

    Counts and money get a placeholder unit that the figures turn into thousands,
    millions or billions to suit the values.
    """
    head, _ = family(name)
    base, at, month = head.partition("@")
    if at:
        label, unit, scale = _column_axis(base)
        return {"label": f"{label} at month {month}", "unit": unit, "scale": scale}
    label, unit, scale = SWEEP_AXES[base]
    return {"label": label, "unit": unit, "scale": scale}


def _column_axis(column: str) -> tuple[str, str, float]:
    """Axis label, unit and scale of a table column, from its declaration in sim.metrics.

    Fractions are shown in percent; counts and money get the placeholder units.
    """
    m = METRIC[column]
    if m.unit.startswith("fraction"):
        return m.label, m.unit.replace("fraction", "%", 1), 100.0
    if m.unit == CURRENCY:
        return m.label, MONEY_UNIT, 1.0
    return m.label, COUNT_UNIT if m.aggregation == SUM else m.unit, 1.0
