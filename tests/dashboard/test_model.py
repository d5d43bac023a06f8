"""DashboardModel: MarketModel from lever values, re-created the way SolaraViz resets it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario

from sim.dashboard.levers import defaults, model_params
from sim.dashboard.model import DashboardModel
from sim.runner import run
from sim.scenario import Scenario


@pytest.fixture(scope="module")
def small() -> Scenario:
    return make_scenario(population__size=2000, simulation__months=6)


def test_stepping_the_dashboard_is_replication_0_of_run(small: Scenario) -> None:
    model = DashboardModel(small, **defaults(small))
    for _ in range(4):
        model.step()
    result = run(small, replications=1)
    ops = result.operators
    for t in range(5):
        expected = ops[ops["month"] == t]["share"].to_numpy()
        np.testing.assert_array_equal(model.shares(t), expected)


def test_levers_change_the_model_the_same_way_run_overrides_do(small: Scenario) -> None:
    model = DashboardModel(small, **{**defaults(small), "fee_2": 20.0, "seed": "11"})
    assert model.spec.operators[2].plans[0].monthly_fee == 20.0
    assert model.scenario_seed == 11
    for _ in range(3):
        model.step()
    result = run(small, seed=11, replications=1, overrides={"operators.C.plans.0.monthly_fee": 20})
    ops = result.operators
    np.testing.assert_array_equal(model.shares(3), ops[ops["month"] == 3]["share"].to_numpy())
    assert model.changes == ["Seed: 7 -> 11", "C fee (basic): 40 -> 20"]


def test_the_model_stops_at_the_last_month(small: Scenario) -> None:
    model = DashboardModel(small)
    assert model.running
    for _ in range(small.simulation.months):
        model.step()
    assert model.month == small.simulation.months and not model.running
    model.step()  # Play may call once more: nothing happens
    assert model.month == small.simulation.months


def test_a_bad_seed_is_reported_on_the_page_not_raised(small: Scenario) -> None:
    model = DashboardModel(small, seed="twelve")
    assert model.scenario_seed == small.simulation.seed
    assert len(model.problems) == 1
    assert "seed: expected a whole number" in model.problems[0]
    assert "'twelve'" in model.problems[0] and "kept seed 7" in model.problems[0]


def test_solaraviz_reset_recreates_the_model_from_widget_values(small: Scenario) -> None:
    """Mesa's Reset: check the params, then call the class with the widget values."""
    from mesa.visualization.solara_viz import (
        _build_model_init_kwargs,
        _check_model_params,
        split_model_params,
    )

    params = model_params(small)
    first = DashboardModel(small, **defaults(small))
    _check_model_params(first, params)
    user, fixed = split_model_params(params)
    assert set(fixed) == {"base"}
    values = {**fixed, **{k: v["value"] for k, v in user.items()}, "fee_0": 60.0}
    kwargs = _build_model_init_kwargs(
        first, values, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    again = type(first)(**kwargs)
    assert isinstance(again, DashboardModel) and again is not first
    assert again.month == 0
    assert again.spec.operators[0].plans[0].monthly_fee == 60.0
