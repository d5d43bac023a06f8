"""``population.from_csv``: month-0 customers drawn from a file's rows (the IBM example).

The feature lives in the scenario schema and the synthesis (sim/scenario.py,
sim/market/tables.py, sim/engine/state.py); it exists for calibration, so its tests sit
here. Both engines synthesize through the same function, so they agree on such a run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario

from sim.errors import UserError
from sim.market.model import MarketModel
from sim.runner import run
from sim.scenario import load_scenario

ROWS = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e"],
        "Contract": ["Month-to-month", "One year", "Two year", "One year", "Month-to-month"],
        "tenure": [0, 30, 50, 7, 12],
        "charges": [20.0, 90.0, 60.0, 45.0, 50.0],
        "senior": ["0", "1", "0", "1", "0"],
    }
)


def _scenario(tmp_path: Path, **from_csv):
    path = tmp_path / "customers.csv"
    ROWS.to_csv(path, index=False)
    spec = {
        "path": str(path),
        "tenure": "tenure",
        "plan": "Contract",
        "plans": {"Month-to-month": "m2m", "One year": "y1", "Two year": "y2"},
        "charges": "charges",
        **from_csv,
    }
    plans = [
        {"name": "m2m", "monthly_fee": 50.0},
        {"name": "y1", "monthly_fee": 45.0, "contract_months": 12, "early_termination_fee": 100.0},
        {"name": "y2", "monthly_fee": 40.0, "contract_months": 24, "early_termination_fee": 200.0},
    ]
    return make_scenario(
        **{
            "population.size": 4000,
            "population.initial_shares": {"A": 1.0},
            "population.from_csv": spec,
            "population.segments": [
                {"name": "adult", "share": 0.5, "reference_price": 50.0},
                {"name": "senior", "share": 0.5, "reference_price": 40.0},
            ],
            "operators.A.plans": plans,
            "simulation.months": 3,
        }
    )


def _state(sc):
    model = MarketModel(sc, seed=9)
    n = sc.population.size
    st = model.state
    return model, {
        "plan": st.plan[:n].astype(int),
        "tenure": st.tenure[:n].astype(int),
        "contract_left": st.contract_left[:n].astype(int),
        "spend": st.spend[:n].astype(float),
        "segment": st.segment[:n].astype(int),
        "operator": st.operator[:n].astype(int),
    }


def test_each_customer_takes_a_row_its_plan_tenure_contract_and_bill(tmp_path):
    sc = _scenario(tmp_path, segment="senior", segments={"0": "adult", "1": "senior"})
    model, s = _state(sc)
    plan_names = [p for _, p in model.tables.plan_keys]
    fee = {"m2m": 50.0, "y1": 45.0, "y2": 40.0}
    months = {"m2m": 0, "y1": 12, "y2": 24}
    by_row = {
        (r.Contract, r.tenure): r for r in ROWS.itertuples()
    }  # (contract, tenure) identifies the row here
    contract_of = {"m2m": "Month-to-month", "y1": "One year", "y2": "Two year"}
    seen = set()
    for k in range(sc.population.size):
        plan = plan_names[s["plan"][k]]
        row = by_row[(contract_of[plan], s["tenure"][k])]
        seen.add(row.id)
        cm = months[plan]
        assert s["contract_left"][k] == (cm - row.tenure % cm if cm else 0)
        assert s["spend"][k] == pytest.approx(row.charges / fee[plan], rel=1e-6)
        assert s["segment"][k] == int(row.senior)
        assert s["operator"][k] == 0
    assert seen == set(ROWS["id"])
    counts = pd.Series(s["tenure"]).value_counts(normalize=True)
    assert counts.min() > 0.15  # five rows drawn about equally often (with replacement)


def test_rows_are_drawn_by_the_seed_and_the_run_is_deterministic(tmp_path):
    sc = _scenario(tmp_path)
    _, first = _state(sc)
    _, again = _state(sc)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    a = run(sc, seed=1, replications=1).operators
    b = run(sc, seed=1, replications=1, engine="reference").operators
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def test_a_relative_path_is_taken_from_the_scenario_folder(tmp_path):
    import yaml

    sc = _scenario(tmp_path)
    raw = sc.model_dump(mode="json", exclude_none=True)
    raw["population"]["from_csv"]["path"] = "customers.csv"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw))
    loaded = load_scenario(tmp_path / "s.yaml")
    assert Path(loaded.population.from_csv.path) == (tmp_path / "customers.csv").absolute()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"tenure": "tenur"}, "population.from_csv.tenure: no column 'tenur'"),
        (
            {"plans": {"Month-to-month": "m2m", "One year": "y1"}},
            "has no entry for value(s) ['Two year']",
        ),
        (
            {"plans": {"Month-to-month": "m2m", "One year": "y1", "Two year": "y3"}},
            "operator A has month-0 customers but no plan 'y3'",
        ),
        (
            {"charges": "id"},
            "population.from_csv.charges: column 'id' row 2 is 'a'; expected a number >= 0",
        ),
        ({"path": "/nonexistent/customers.csv"}, "population.from_csv.path: file not found"),
    ],
)
def test_bad_population_files_give_one_clear_message(tmp_path, change, fragment):
    sc = _scenario(tmp_path, **change)
    with pytest.raises(UserError) as info:
        MarketModel(sc, seed=1)
    assert fragment in str(info.value)


def test_schema_errors_name_the_field(tmp_path):
    with pytest.raises(UserError, match=r"from_csv\.plans must map its values"):
        _scenario(tmp_path, plans={})
    with pytest.raises(UserError, match=r"from_csv.segments\['9'\]: unknown segment 'old'"):
        _scenario(tmp_path, segment="senior", segments={"9": "old"})
