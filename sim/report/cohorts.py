"""The report's churn section: churn as operators report it, and churn by cohort.

Reported churn is switches out plus disconnections, gross adds switches in plus
new-to-market lines (docs/model.md, market exit); the cohort table gives monthly churn
by contract status, tenure band, bundle, loyalty tier and segment
(``cohorts.parquet``). Rates pool replications and months 1..T: churners over the
stock a month earlier. Customers at risk (``risk.parquet``, sim/risk.py) close it.
"""

from __future__ import annotations

import pandas as pd

from sim import plots
from sim.metrics import at_risk_column, leave_quantile_column
from sim.report import fmt
from sim.report.content import Section, Table
from sim.report.figures import currency_unit
from sim.results import RunResult, tail_clv_gross_net

DIMENSION_LABELS = {
    "contract": "Contract",
    "tenure": "Tenure",
    "bundle": "Bundle",
    "loyalty_tier": "Loyalty tier",
    "segment": "Segment",
}


def pooled_rate(df: pd.DataFrame, num: str, den: str = "subscribers") -> float:
    """Sum of ``num`` over months >= 1 over the sum of ``den`` a month earlier."""
    by_month = df.groupby(["replication", "month"])[[num, den]].sum().sort_index()
    prev = by_month[den].groupby(level="replication").shift(1)
    later = by_month.index.get_level_values("month") > 0
    total = prev[later].sum()
    return float(by_month[num][later].sum() / total) if total > 0 else 0.0


def churn_parts(result: RunResult) -> Table:
    """Per operator: monthly churn, its switching and disconnection parts, gross adds."""
    labels = plots.operator_labels(result)
    econ = result.scenario.economics
    rows = []
    for name, ops in result.operators.groupby("operator", sort=False):
        later = ops[ops["month"] > 0]
        clvs = [tail_clv_gross_net(d, econ) for _, d in ops.groupby("replication")]
        adds = later["gross_adds"].sum()
        switches = later["switchers_out"].sum()
        rows.append(
            [
                labels.get(name, name),
                fmt.pct(pooled_rate(ops, "churners"), 2),
                fmt.pct(pooled_rate(ops, "switchers_out"), 2),
                fmt.pct(pooled_rate(ops, "disconnections"), 2),
                fmt.pct(later["ported"].sum() / switches if switches else 0.0, 0),
                fmt.pct(later["buyouts"].sum() / switches if switches else 0.0, 0),
                fmt.pct(later["entrants"].sum() / adds if adds else 0.0, 0),
                fmt.money(float(pd.Series([g for g, _ in clvs]).median())),
                fmt.money(float(pd.Series([n for _, n in clvs]).median())),
            ]
        )
    unit = currency_unit(result)
    columns = [
        "Operator",
        "Churn (%/month)",
        "of which switching",
        "of which disconnection",
        "Switches that kept the number",
        "Switches that bought out a contract",
        "Gross adds new to the market",
        f"CLV gross ({unit})",
        f"CLV net of subsidy and retention ({unit})",
    ]
    return Table(columns, rows, [False] + [True] * (len(columns) - 1))


def cohort_table(result: RunResult) -> Table:
    """One row per cohort: each operator's monthly churn, and the stock at the end."""
    c = result.cohorts
    labels = plots.operator_labels(result)
    names = list(dict.fromkeys(c["operator"]))
    last = c[c["month"] == c["month"].max()]
    rows = []
    for (dim, cohort), group in c.groupby(["dimension", "cohort"], sort=False):
        stock = last[(last["dimension"] == dim) & (last["cohort"] == cohort)]["subscribers"]
        reps = max(1, c["replication"].nunique())
        cells = [DIMENSION_LABELS.get(dim, dim), cohort, fmt.count(stock.sum() / reps)]
        for name in names:
            mine = group[group["operator"] == name]
            cells.append(fmt.pct(pooled_rate(mine, "churners"), 2) if len(mine) else "–")
        rows.append(cells)
    columns = ["Dimension", "Cohort", "Subscribers at end", *(labels.get(n, n) for n in names)]
    return Table(columns, rows, [False, False] + [True] * (len(columns) - 2))


# Thresholds of the report's table (risk.parquet has more): shipped markets churn 0.2-2 %
# a month, so 1 % separates their customers; 5-20 % show a market in upheaval.
AT_RISK_SHOWN = (0.01, 0.05, 0.1, 0.2)


def risk_table(result: RunResult) -> Table | None:
    """Per operator at the last month: chance of leaving next month, customers at risk.

    Each cell is the median over replications; None for a run folder without the risk
    table.
    """
    r = result.risk
    if r.empty:
        return None
    labels = plots.operator_labels(result)
    last = r[r["month"] == r["month"].max()]
    rows = []
    for name, group in last.groupby("operator", sort=False):
        med = group.drop(columns=["operator"]).median(numeric_only=True)
        cells = [
            labels.get(name, name),
            fmt.count(med["customers"]),
            fmt.pct(med["leave_mean"], 2),
            fmt.pct(med[leave_quantile_column(0.5)], 2),
            fmt.pct(med[leave_quantile_column(0.9)], 2),
        ]
        for t in AT_RISK_SHOWN:
            n = med[at_risk_column(t)]
            share = n / med["customers"] if med["customers"] > 0 else 0.0
            cells.append(f"{fmt.count(n)} ({fmt.pct(share, 0)})")
        rows.append(cells)
    columns = [
        "Operator",
        "Customers",
        "Mean chance of leaving (%/month)",
        "Median chance",
        "90th percentile",
        *(f"At risk: above {t * 100:g} %/month" for t in AT_RISK_SHOWN),
    ]
    return Table(columns, rows, [False] + [True] * (len(columns) - 1))


def churn_section(result: RunResult) -> Section | None:
    """The section, or None for a run folder written before cohorts existed."""
    if result.cohorts.empty:
        return None
    note = (
        "Churn as operators report it: switches out plus disconnections (lines that left "
        "the market), over last month's subscribers, pooled over months and replications. "
        "By cohort, a churner counts with its state at the start of the month (contract "
        "status, tenure band, bundle, loyalty tier) and the rate is over that cohort's "
        "stock a month earlier; customers move between tenure bands and tiers as they age. "
        "CLV gross: margin on the bill before retention discounts; net: margin on what was "
        "paid less handset subsidies; both over the last 12 months, as the key numbers' CLV."
    )
    tables = [churn_parts(result), cohort_table(result)]
    risk = risk_table(result)
    if risk is not None:
        month = int(result.risk["month"].max())
        note += (
            f" Customers at risk (last table, after month {month}): each customer's chance "
            "of leaving next month, the retention programme's risk score scaled so that an "
            "operator's mean is its churn that month (capped at 1); risk.parquet has it every "
            "12 months with more quantiles and thresholds."
        )
        tables.append(risk)
    return Section("churn", "Churn", note=note, tables=tables)
