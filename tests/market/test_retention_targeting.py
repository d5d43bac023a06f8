"""Value-based retention (docs/model.md step 2): budgets that do not depend on agent count,
and targeting by expected value saved. Comparisons use common random numbers."""

from __future__ import annotations

import pandas as pd
from conftest import make_scenario

from sim.runner import run

BASE = {
    "simulation.months": 12,
    "simulation.seed": 11,
    "behaviour.c_base": 0.08,
    "population.segments": [
        {"name": "low", "share": 0.5, "spend": 0.4, "price_sensitivity": 1.6},
        {"name": "high", "share": 0.5, "spend": 2.0, "price_sensitivity": 0.7},
    ],
}


def operator_a(**changes) -> pd.DataFrame:
    ops = run(make_scenario(**{**BASE, **changes})).operators
    return ops[(ops["operator"] == "A") & (ops["month"] > 0)]


def test_a_real_money_budget_works_as_hard_at_any_population():
    """Offers per customer do not depend on how many agents stand for the market."""
    programme = {"operators.A.retention": {"budget": 2.0e6, "discount": 0.2, "offer_months": 3}}
    rates = []
    for size in (2_000, 4_000):
        a = operator_a(**programme, **{"population.size": size, "population.represents": 1e6})
        rates.append(a["retention_offers"].sum() / a["agents"].sum())
    assert rates[0] > 0
    assert abs(rates[0] - rates[1]) < 0.1 * rates[0]


def test_a_share_budget_offers_that_share():
    a = operator_a(
        **{
            "population.size": 3_000,
            "operators.A.retention": {"budget": 0.0, "budget_share": 0.05, "discount": 0.2},
        }
    )
    offered = a["retention_offers"].to_numpy()
    before = a["agents"].shift(1).fillna(0).to_numpy()  # customers when the offers were made
    assert (offered[1:] <= 0.05 * before[1:] + 1).all() and offered.sum() > 0


def test_value_targeting_earns_more_than_risk_targeting():
    """Same money: offers by expected value saved keep more revenue than offers by risk."""
    spec = {
        "population.size": 4_000,
        "operators.A.retention": {
            "budget": 3000.0,
            "discount": 0.1,
            "offer_months": 2,
            "value_months": 36,
        },
    }
    risk = operator_a(**spec)
    value = operator_a(
        **{**spec, "operators.A.retention": {**spec["operators.A.retention"], "targeting": "value"}}
    )
    assert value["retention_offers"].sum() > 0
    # the value programme spends on high-spend customers: each offer costs more
    assert (
        value["retention_cost"].sum() / value["retention_offers"].sum()
        > risk["retention_cost"].sum() / risk["retention_offers"].sum()
    )
    assert value["revenue"].sum() > risk["revenue"].sum()


def test_retention_roi_reports_saved_customers_cost_and_net_revenue():
    from sim.compare.retention import retention_roi

    spec = make_scenario(
        **{
            **BASE,
            "population.size": 3_000,
            "operators.A.retention": {
                "budget": 3000.0,
                "discount": 0.1,
                "offer_months": 2,
                "value_months": 36,
                "targeting": "value",
            },
        }
    )
    roi = retention_roi(spec).set_index("operator")
    a = roi.loc["A"]
    assert a["offers"] > 0 and a["retention_cost"] > 0
    assert a["saved_customers"] > 0
    assert a["roi"] == a["net_revenue_effect"] / a["retention_cost"]
    assert (roi.loc[["B", "C"], ["offers", "retention_cost"]] == 0).all().all()


def test_a_winback_offer_brings_recent_leavers_back():
    """Common random numbers: A's win-back offer wins back leavers, at a retention cost."""
    size = {"population.size": 3_000}
    offer = {"discount": 0.2, "offer_months": 3, "winback_months": 6, "winback_bonus": 2.0}
    without = operator_a(**size)
    with_offer = operator_a(**size, **{"operators.A.retention": offer})
    assert without["winbacks"].sum() == 0 and without["retention_cost"].sum() == 0
    assert with_offer["winbacks"].sum() > 0
    assert with_offer["switchers_in"].sum() > without["switchers_in"].sum() + 0.5 * (
        with_offer["winbacks"].sum()
    )
    assert with_offer["subscribers"].iloc[-1] > without["subscribers"].iloc[-1]
    assert with_offer["retention_cost"].sum() > 0
    assert with_offer["retention_offers"].sum() == 0  # no budget: win-backs only
