"""The report's churn section (sim/report/cohorts.py)."""

from __future__ import annotations

import dataclasses

import reportkit

from sim.cohorts import empty_cohorts
from sim.report.cohorts import churn_section, pooled_rate, risk_table
from sim.risk import empty_risk


def test_parts_and_cohorts_of_every_operator() -> None:
    result = reportkit.result()
    section = churn_section(result)
    assert section is not None
    operators = result.operators["operator"].nunique()
    parts, cohort_table, _ = section.tables
    assert len(parts.rows) == operators
    assert len(cohort_table.columns) == 3 + operators
    cohorts = {row[1] for row in cohort_table.rows}
    assert {"in contract", "month-to-month", "0-5 months", "no bundle", "young"} <= cohorts


def test_reported_churn_is_switching_plus_disconnection() -> None:
    ops = reportkit.result().operators
    a = ops[ops["operator"] == "A"]
    total = pooled_rate(a, "churners")
    assert total > 0
    assert total == pooled_rate(a, "switchers_out") + pooled_rate(a, "disconnections")


def test_no_section_for_an_old_run_folder() -> None:
    old = dataclasses.replace(reportkit.result(), cohorts=empty_cohorts())
    assert churn_section(old) is None


def test_clv_net_is_below_gross_with_subsidies_and_discounts() -> None:
    from sim.results import tail_clv_gross_net

    result = reportkit.result()
    ops = result.operators
    a = ops[(ops["operator"] == "A") & (ops["replication"] == 0)]
    gross, net = tail_clv_gross_net(a, result.scenario.economics)
    assert 0 < net < gross
    summary = result.summary()["operators"]["A"]
    assert summary["clv_net"]["p50"] < summary["clv"]["p50"] <= summary["clv_gross"]["p50"]


def test_customers_at_risk_of_every_operator_at_the_last_month() -> None:
    result = reportkit.result()
    table = risk_table(result)
    assert table is not None
    last = result.risk[result.risk["month"] == result.scenario.simulation.months]
    assert len(table.rows) == last["operator"].nunique() == 4  # D entered at month 4
    assert len(table.columns) == 9
    section = churn_section(result)
    assert section is not None and section.tables[-1] == table
    assert "after month 12" in section.note


def test_no_risk_table_for_a_folder_without_it() -> None:
    old = dataclasses.replace(reportkit.result(), risk=empty_risk())
    assert risk_table(old) is None
    section = churn_section(old)
    assert section is not None and len(section.tables) == 2
