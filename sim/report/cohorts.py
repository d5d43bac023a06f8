"""The report's churn section: churn as operators report it, and churn by cohort.

Reported churn is switches out plus disconnections, gross adds switches in plus
new-to-market lines (docs/model.md, market exit); the cohort table gives monthly churn
by contract status, tenure band, bundle, loyalty tier and segment
(``cohorts.parquet``). Rates pool replications and months 1..T: churners over the
stock a month earlier.
"""

from __future__ import annotations

import pandas as pd

from sim import plots
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
    return Section("churn", "Churn", note=note, tables=[churn_parts(result), cohort_table(result)])
