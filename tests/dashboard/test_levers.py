"""Levers: sliders derived from the scenario, and lever values turned back into scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_scenario

from sim.dashboard import levers as lv
from sim.errors import UserError
from sim.scenario import Scenario, dump_yaml, load_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def china() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "china_3g_2009.yaml")


def by_key(spec: Scenario) -> dict[str, lv.Lever]:
    return {lever.key: lever for lever in lv.levers(spec)}


def test_every_operator_gets_its_levers_with_ranges_from_the_scenario(china: Scenario) -> None:
    levers = by_key(china)
    assert list(levers)[:3] == ["population", "seed", "number_portability"]
    for j, name in enumerate(["Mobile", "Unicom", "Telecom"]):
        for kind in ("fee", "subsidy", "quality", "reach", "retention"):
            assert f"{kind}_{j}" in levers, (kind, name)
            assert levers[f"{kind}_{j}"].label.startswith(name)
    # the fee slider is the main plan's fee (most customers at month 0), half to 1.5 times it
    unicom_fee = levers["fee_1"]
    assert "gsm_2g" in unicom_fee.label and unicom_fee.value == 46.0
    assert unicom_fee.min <= 23.0 and unicom_fee.max >= 69.0 and unicom_fee.max < 75
    assert levers["fee_0"].value == 75.0  # gotone_2g has the highest initial weight
    # the subsidy slider is the most subsidised plan, from 0 to twice it
    assert levers["subsidy_1"].value == 600.0 and levers["subsidy_1"].max == 1200.0
    assert levers["subsidy_0"].value == 300.0  # td_3g; the month-24 change is not a plan
    assert levers["quality_2"].value == 0.55 and levers["quality_2"].max == 1.0
    assert levers["reach_2"].max >= 3 * 0.07
    for lever in levers.values():
        if lever.widget.startswith("Slider"):
            assert lever.min <= lever.value <= lever.max, lever
            assert lever.step > 0


def test_model_params_are_what_solaraviz_draws(china: Scenario) -> None:
    params = lv.model_params(china)
    assert params["base"] is china  # a fixed parameter: not a widget
    assert params["fee_1"] == {
        "type": "SliderFloat",
        "label": "Unicom fee (gsm_2g)",
        "value": 46.0,
        "min": 23.0,
        "max": 69.0,
        "step": 0.5,
    }
    assert params["seed"] == {"type": "InputText", "label": "Seed", "value": "2009"}
    assert params["number_portability"]["type"] == "Checkbox"
    assert params["population"]["type"] == "SliderInt"


def test_default_levers_reproduce_the_scenario(china: Scenario) -> None:
    assert lv.overrides(china, lv.defaults(china)) == {}
    assert lv.build_scenario(china, {}) is china
    assert lv.describe(china, lv.defaults(china)) == []


def test_fee_lever_moves_every_fee_of_the_operator_in_proportion(china: Scenario) -> None:
    spec = lv.build_scenario(china, {"fee_1": 23.0})
    unicom = spec.operators[1]
    assert [p.monthly_fee for p in unicom.plans] == [23.0, 48.0]
    assert [p.monthly_fee for p in spec.operators[0].plans] == [75.0, 40.0, 88.0]  # others kept
    assert lv.describe(china, {"fee_1": 23.0}) == ["Unicom fee (gsm_2g): 46 -> 23 CNY/month"]
    assert lv.describe(china, {"subsidy_1": 300.0}) == ["Unicom subsidy (wo_3g): 600 -> 300 CNY"]


def test_fee_lever_scales_plan_launches_and_absolute_price_changes() -> None:
    spec = make_scenario(
        events=[
            {
                "kind": "plan_launch",
                "month": 2,
                "operator": "B",
                "plan": {"name": "new", "monthly_fee": 30.0, "handset_subsidy": 100.0},
            },
            {"kind": "price_change", "month": 3, "operator": "B", "monthly_fee": 40.0},
            {"kind": "price_change", "month": 4, "operator": "B", "factor": 0.9},
            {"kind": "subsidy_change", "month": 5, "operator": "B", "handset_subsidy": 150.0},
        ]
    )
    levers = by_key(spec)
    assert levers["fee_1"].value == 45.0
    assert levers["subsidy_1"].value == 100.0 and "new" in levers["subsidy_1"].label
    assert "subsidy_0" not in levers  # A never subsidises a handset: no slider to move
    out = lv.build_scenario(spec, {"fee_1": 90.0, "subsidy_1": 50.0})
    assert out.operators[1].plans[0].monthly_fee == 90.0
    launch, absolute, factor, subsidy = out.events
    assert launch.plan.monthly_fee == 60.0 and launch.plan.handset_subsidy == 50.0
    assert absolute.monthly_fee == 80.0
    assert factor.factor == 0.9  # a relative change stays relative
    assert subsidy.handset_subsidy == 75.0


def test_operator_entering_later_has_levers_at_its_event_path() -> None:
    entrant = {
        "name": "D",
        "networks": [{"generation": 2}],
        "plans": [{"name": "cheap", "monthly_fee": 20.0}],
    }
    spec = make_scenario(events=[{"kind": "operator_entry", "month": 3, "operator": entrant}])
    sites = lv.operator_sites(spec)
    assert [s.path for s in sites] == [
        "operators.0",
        "operators.1",
        "operators.2",
        "events.0.operator",
    ]
    out = lv.build_scenario(spec, {"fee_3": 25.0, "quality_3": 0.9})
    assert out.events[0].operator.plans[0].monthly_fee == 25.0
    assert out.events[0].operator.service_quality == 0.9


def test_quality_reach_portability_and_seed_land_in_their_fields(china: Scenario) -> None:
    spec = lv.build_scenario(
        china, {"quality_2": 0.8, "reach_0": 0.1, "number_portability": True, "seed": " 42 "}
    )
    assert spec.operators[2].service_quality == 0.8
    assert spec.operators[0].marketing_reach == 0.1
    assert spec.number_portability is True
    assert spec.simulation.seed == 42


def test_retention_budget_creates_a_programme_and_scales_with_population(china: Scenario) -> None:
    spec = lv.build_scenario(china, {"retention_2": 1000.0})
    assert spec.operators[2].retention.budget == 1000.0
    assert spec.operators[2].retention.discount == 0.2  # schema defaults fill the rest
    half = lv.build_scenario(china, {"retention_2": 1000.0, "population": 50_000})
    assert half.population.size == 50_000
    # with population.represents the budget is real money: the engine divides it
    assert half.operators[2].retention.budget == 1000.0
    assert half.population.represents == china.population.represents
    line = lv.describe(china, {"retention_2": 1000.0, "population": 50_000})[-1]
    assert line == "Telecom retention budget: 0 -> 1,000 CNY/month"


def test_retention_campaign_budgets_scale_with_population() -> None:
    spec = make_scenario(
        population__size=2000,
        events=[{"kind": "retention_campaign", "month": 2, "operator": "A", "budget": 400.0}],
    )
    out = lv.build_scenario(spec, {"population": 4000})
    assert out.events[0].budget == 800.0


def test_population_outside_the_interactive_range_is_clamped() -> None:
    big = make_scenario(population__size=2_000_000)
    levers = by_key(big)
    assert levers["population"].value == lv.INTERACTIVE_MAX
    spec = lv.build_scenario(big, {})
    assert spec.population.size == lv.INTERACTIVE_MAX
    assert "Subscriber agents: 2,000,000 -> 500,000" in lv.describe(big, {})
    small = make_scenario(population__size=300)
    assert by_key(small)["population"].min == 300
    assert lv.build_scenario(small, {}) is small


@pytest.mark.parametrize("text", ["abc", "1.5", "-3", str(2**63), ""])
def test_a_bad_seed_is_a_user_error_naming_the_field(text: str) -> None:
    with pytest.raises(UserError, match=r"seed: expected a whole number from 0 to .*got"):
        lv.parse_seed(text)


def test_seed_accepts_spaces_and_separators() -> None:
    assert lv.parse_seed(" 1_000 ") == 1000
    assert lv.parse_seed("2,009") == 2009
    assert lv.parse_seed(7) == 7


def test_unknown_lever_is_refused(china: Scenario) -> None:
    with pytest.raises(UserError, match=r"unknown lever\(s\) \['fee_9'\]"):
        lv.resolve(china, {"fee_9": 1.0})


def test_slider_noise_is_not_a_change(china: Scenario) -> None:
    # vuetify reports min + k * step, which can carry binary noise
    assert lv.overrides(china, {"reach_0": 0.05000000000000001}) == {}


def test_built_scenarios_round_trip_through_yaml(tmp_path: Path, china: Scenario) -> None:
    spec = lv.build_scenario(china, {"fee_1": 30.0, "subsidy_2": 800.0, "population": 20_000})
    path = tmp_path / "s.yaml"
    path.write_text(dump_yaml(spec), encoding="utf-8")
    assert load_scenario(path) == spec
