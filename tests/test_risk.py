"""The customers-at-risk table (sim/risk.py): its months, its shape and its direction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_scenario

from sim.results import RISK_FILE, RunResult
from sim.risk import AT_RISK_COLUMNS, QUANTILE_COLUMNS, RISK_COLUMNS, risk_months
from sim.runner import run

BASE = {
    "population.size": 3_000,
    "population.represents": 6_000,
    "simulation.months": 14,
    "simulation.seed": 2024,
    "behaviour.c_base": 0.08,
    "behaviour.number_change_cost": 20.0,
    "behaviour.K_max": 0.3,
}


def result(**changes) -> RunResult:
    return run(make_scenario(**{**BASE, **changes}))


@pytest.fixture(scope="module")
def base() -> RunResult:
    return result()


@pytest.fixture(scope="module")
def cut() -> RunResult:
    """The same market and seed, B cutting every fee by 30 % in month 1."""
    return result(events=[{"kind": "price_change", "month": 1, "operator": "B", "factor": 0.7}])


def test_risk_months_are_every_twelfth_and_the_last() -> None:
    assert risk_months(14) == {12, 14}
    assert risk_months(24) == {12, 24}
    assert risk_months(5) == {5}
    assert risk_months(0) == frozenset()


def test_table_has_the_months_and_operators(base) -> None:
    r = base.risk
    assert tuple(r.columns) == RISK_COLUMNS
    assert sorted(set(r["month"])) == [12, 14]
    assert set(r["operator"]) == {o.name for o in base.scenario.all_operators()}
    ops = base.operators.set_index(["month", "replication", "operator"])
    for row in r.itertuples():
        assert row.customers == ops.loc[(row.month, row.replication, row.operator), "subscribers"]
        assert row.customers == 2 * row.agents  # scaled by represents / size


def test_quantiles_and_counts_are_monotone(base) -> None:
    r = base.risk
    q = r[list(QUANTILE_COLUMNS)].to_numpy(float)
    assert (np.diff(q, axis=1) >= 0).all() and (q >= 0).all() and (q <= 1).all()
    counts = r[list(AT_RISK_COLUMNS)].to_numpy(float)
    assert (np.diff(counts, axis=1) <= 0).all()  # fewer customers above a higher threshold
    assert (counts[:, 0] <= r["customers"].to_numpy()).all()
    assert (counts[:, 0] > 0).all()  # a distribution with something in it


def test_mean_chance_is_the_months_churn(base) -> None:
    """The chance is scaled to the operator's churn of the month just completed."""
    ops = base.operators.set_index(["month", "replication", "operator"])
    for row in base.risk.itertuples():
        churn = ops.loc[(row.month, row.replication, row.operator), "churn_rate"]
        assert row.leave_mean == pytest.approx(churn, rel=0.05)  # less only where capped at 1


def test_rival_price_cut_puts_more_customers_at_risk(base, cut) -> None:
    """Common random numbers: B's 30 % cut raises A's and C's customers at risk."""
    key = ["month", "replication", "operator"]
    a, b = base.risk.set_index(key), cut.risk.set_index(key)
    for op in "AC":
        rows = [k for k in a.index if k[2] == op]
        before = a.loc[rows, ["at_risk_5pct", "at_risk_10pct"]].to_numpy().sum()
        after = b.loc[rows, ["at_risk_5pct", "at_risk_10pct"]].to_numpy().sum()
        assert after > 1.1 * before, op


def test_saved_and_loaded_and_optional(base, tmp_path: Path) -> None:
    folder = base.save(tmp_path / "run", figures=False)
    assert (folder / RISK_FILE).is_file()
    back = RunResult.load(folder)
    assert back.risk.reset_index(drop=True).equals(base.risk.reset_index(drop=True))
    (folder / RISK_FILE).unlink()  # a folder written before the risk table
    assert RunResult.load(folder).risk.empty
