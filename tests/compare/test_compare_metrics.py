"""Per-replication metrics agree with the run's own tables and summary."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario

from sim.compare.metrics import METRICS, metric_matrix, replication_metrics
from sim.results import RunResult, annualised_churn
from sim.runner import run


@pytest.fixture(scope="module")
def result() -> RunResult:
    spec = make_scenario(
        **{
            "simulation.replications": 3,
            "population.represents": 5_000_000,
            # real money (represents): 2,000 a month per 1,000 agents
            "operators.B.retention": {"budget": 2000.0 * 5_000, "discount": 0.3},
        }
    )
    return run(spec)


def test_one_value_per_metric_operator_and_replication(result: RunResult) -> None:
    table = replication_metrics(result)
    assert len(table) == len(METRICS) * 3 * 3
    assert list(table.columns) == ["replication", "operator", "metric", "value"]
    assert list(dict.fromkeys(table["metric"])) == [m.name for m in METRICS]
    assert list(dict.fromkeys(table["operator"])) == ["A", "B", "C"]
    assert np.isfinite(table["value"]).all()


def test_metrics_agree_with_the_summary_and_the_tables(result: RunResult) -> None:
    table = replication_metrics(result)
    summary = result.summary()["operators"]
    shares = result.final_shares()
    ops = result.operators[result.operators["month"] > 0]
    for op in ("A", "B", "C"):
        np.testing.assert_array_equal(metric_matrix(table, "final_share", op), shares[op])
        clv = metric_matrix(table, "clv", op)
        assert np.median(clv) == pytest.approx(summary[op]["clv"]["p50"])
        churn = metric_matrix(table, "annualised_churn", op)
        assert np.median(churn) == pytest.approx(summary[op]["annualised_churn"]["p50"])
        mine = ops[ops["operator"] == op]
        for rep in range(3):
            rows = mine[mine["replication"] == rep]
            assert churn[rep] == pytest.approx(annualised_churn(rows["churn_rate"]))
            revenue = metric_matrix(table, "cumulative_revenue", op)[rep]
            net = metric_matrix(table, "cumulative_net_revenue", op)[rep]
            assert revenue == pytest.approx(rows["revenue"].sum())
            # revenue is already after retention discounts: only subsidies come off
            assert net == pytest.approx((rows["revenue"] - rows["subsidy_cost"]).sum())
    # B gives retention discounts, so subtracting them again would show here; money is scaled.
    assert ops.loc[ops["operator"] == "B", "retention_cost"].sum() > 0
    assert metric_matrix(table, "cumulative_revenue", "B").min() > 1e6


def test_operator_selection_and_order(result: RunResult) -> None:
    table = replication_metrics(result, ["C", "A"])
    assert list(dict.fromkeys(table["operator"])) == ["C", "A"]
