"""The cohorts table (sim/cohorts.py): every dimension adds up to the operators table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import make_scenario

from sim.cohorts import COHORT_COLUMNS, DIMENSIONS
from sim.results import COHORTS_FILE, RunResult
from sim.runner import run


@pytest.fixture(scope="module")
def result() -> RunResult:
    return run(
        make_scenario(
            **{
                "population.size": 1_500,
                "population.represents": 3_000,
                "simulation.months": 8,
                "population.entry_per_month": 0.02,
                "population.contracts": {"share_on_contract": 0.5},
                "behaviour.c_base": 0.06,
                "behaviour.disconnect_month_to_month": 0.01,
                "operators.A.plans": [
                    {"name": "pre", "monthly_fee": 40.0, "prepaid": True},
                    {"name": "c", "monthly_fee": 50.0, "contract_months": 12},
                    {"name": "home", "monthly_fee": 70.0, "household_bundle": True},
                ],
                "operators.A.loyalty_tiers": [
                    {"name": "silver", "min_tenure_months": 12, "benefit": 0.05}
                ],
            }
        )
    )


def test_each_dimension_adds_up_to_the_operators(result):
    ops = result.operators.set_index(["month", "replication", "operator"])
    cohorts = result.cohorts
    assert tuple(cohorts.columns) == COHORT_COLUMNS
    assert set(cohorts["dimension"]) == set(DIMENSIONS)
    for dim, rows in cohorts.groupby("dimension"):
        total = rows.groupby(["month", "replication", "operator"])[
            ["subscribers", "churners", "gross_adds"]
        ].sum()
        pd.testing.assert_frame_equal(
            total, ops.loc[total.index, ["subscribers", "churners", "gross_adds"]], obj=dim
        )
    a = cohorts[cohorts["operator"] == "A"]
    assert set(a.loc[a["dimension"] == "loyalty_tier", "cohort"]) == {"no tier", "silver"}
    assert a.loc[a["cohort"] == "prepaid", "churners"].sum() > 0


def test_churn_rate_is_over_last_months_stock(result):
    c = result.cohorts
    row = c[(c["operator"] == "A") & (c["cohort"] == "month-to-month")].set_index("month")
    assert row.loc[3, "churn_rate"] == pytest.approx(
        row.loc[3, "churners"] / row.loc[2, "subscribers"]
    )


def test_saved_and_read_back_and_optional_in_old_folders(result, tmp_path: Path):
    result.save(tmp_path, figures=False)
    back = RunResult.load(tmp_path)
    pd.testing.assert_frame_equal(back.cohorts, result.cohorts)
    (tmp_path / COHORTS_FILE).unlink()
    assert RunResult.load(tmp_path).cohorts.empty
