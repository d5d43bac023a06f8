"""Sweep metrics agree with the run's own tables and summary."""

from __future__ import annotations

import pytest
from conftest import make_scenario

from sim.metrics import OPERATOR_COLUMNS
from sim.runner import run
from sim.sweep.metrics import compute_metrics, metric_names
from sim.sweep.spec import Sweep

METRICS = [
    "final_share",
    "mean_monthly_churn",
    "cumulative_switchers",
    "revenue",
    "clv",
    {"column": "arpu", "month": 5},
    {"column": "churners", "operator": "B"},
    {"column": "share", "month": 3, "segment": "mass", "operator": "C"},
]


@pytest.fixture(scope="module")
def result():
    scenario = make_scenario(
        population__size=2000, simulation__months=10, population__represents=4e6
    )
    return run(scenario, seed=3, replications=1)


def spec() -> Sweep:
    return Sweep.model_validate(
        {
            "name": "m",
            "base": "x.yaml",
            "parameters": {"behaviour.c_base": [0.02]},
            "design": {"kind": "grid"},
            "metrics": METRICS,
        }
    )


def test_metrics_match_the_summary_and_tables(result) -> None:
    m = compute_metrics(spec(), result)
    assert list(m) == metric_names(spec(), result.scenario)
    summary = result.summary()["operators"]
    ops = result.operators
    for op in "ABC":
        assert m[f"final_share.{op}"] == pytest.approx(summary[op]["final_share"]["p50"])
        assert m[f"mean_monthly_churn.{op}"] == pytest.approx(
            summary[op]["mean_monthly_churn"]["p50"]
        )
        assert m[f"clv.{op}"] == pytest.approx(summary[op]["clv"]["p50"])
        mine = ops[(ops["operator"] == op) & (ops["month"] > 0)]
        assert m[f"revenue.{op}"] == pytest.approx(mine["revenue"].sum())
        won = result.switching[result.switching["to_operator"] == op]["subscribers"].sum()
        assert m[f"cumulative_switchers.{op}"] == pytest.approx(won)
        at5 = ops[(ops["operator"] == op) & (ops["month"] == 5)]["arpu"].item()
        assert m[f"arpu@5.{op}"] == pytest.approx(at5)
    assert sum(m[f"final_share.{op}"] for op in "ABC") == pytest.approx(1.0)
    assert m["revenue.market"] == pytest.approx(sum(m[f"revenue.{op}"] for op in "ABC"))
    assert m["cumulative_switchers.market"] == pytest.approx(result.switching["subscribers"].sum())
    assert m["cumulative_switchers.market"] > 0
    last_b = ops[(ops["operator"] == "B") & (ops["month"] == 10)]["churners"].item()
    assert m["churners@10.B"] == last_b
    seg = result.segments
    c3 = seg[(seg["segment"] == "mass") & (seg["operator"] == "C") & (seg["month"] == 3)]["share"]
    assert m["share@3.mass.C"] == pytest.approx(c3.item())


def test_market_churn_is_churners_over_last_months_subscribers(result) -> None:
    m = compute_metrics(spec(), result)
    by_month = result.operators.groupby("month")[["subscribers", "churners"]].sum()
    rates = by_month["churners"].to_numpy()[1:] / by_month["subscribers"].to_numpy()[:-1]
    assert m["mean_monthly_churn.market"] == pytest.approx(rates.mean())
    assert 0 < m["mean_monthly_churn.market"] < 1


def test_operator_columns_are_the_tables_numeric_columns(result) -> None:
    numeric = set(result.operators.select_dtypes("number").columns) - {"month", "replication"}
    assert numeric == set(OPERATOR_COLUMNS)
