"""Churn as operators report it (docs/model.md, market exit): directional tests.

Each comparison runs two scenarios with the same seed, so both draw the same random
numbers (common random numbers) and the difference is the effect of the change.
Reported churn is switches out plus disconnections; gross adds are switches in plus
new-to-market lines.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_scenario

from sim.runner import run

BASE = {
    "population.size": 3_000,
    "simulation.months": 12,
    "simulation.seed": 7,
    "behaviour.c_base": 0.05,
    "population.contracts": {"share_on_contract": 0.5},
    "operators.A.plans": [
        {"name": "prepaid", "monthly_fee": 40.0, "prepaid": True},
        {"name": "postpaid", "monthly_fee": 50.0},
        {"name": "contract", "monthly_fee": 60.0, "contract_months": 24},
    ],
}


def totals(**changes) -> pd.Series:
    """Counts over months 1..12 and operators of the base market with ``changes``."""
    ops = run(make_scenario(**{**BASE, **changes})).operators
    return ops[ops["month"] > 0].sum(numeric_only=True)


@pytest.fixture(scope="module")
def base() -> pd.Series:
    return totals()


def test_no_hazard_no_disconnections(base):
    assert base["disconnections"] == 0
    assert base["churners"] == base["switchers_out"] > 0
    assert base["gross_adds"] == base["switchers_in"] + base["entrants"]


@pytest.mark.parametrize(
    "hazard",
    [
        "behaviour.disconnect_prepaid",
        "behaviour.disconnect_month_to_month",
        "behaviour.disconnect_contract",
        "behaviour.disconnect_life_event",
    ],
)
def test_a_disconnection_hazard_raises_reported_churn(base, hazard):
    more = totals(**{hazard: 0.03})
    assert more["disconnections"] > 0
    assert more["churners"] == more["switchers_out"] + more["disconnections"]
    assert more["churners"] > base["churners"]


def test_hazards_act_on_their_plan_type():
    """Prepaid hazard: only prepaid customers leave; contract hazard: only those in contract."""
    spec = {**BASE, "behaviour.c_base": 0.0, "behaviour.c_market": 0.0}
    # one operator holding all three plan types, so disconnections come only from A
    for hazard, plan in [
        ("behaviour.disconnect_prepaid", "prepaid"),
        ("behaviour.disconnect_contract", "contract"),
    ]:
        only = {
            **spec,
            "operators.A.plans": [p for p in BASE["operators.A.plans"] if p["name"] != plan],
        }
        with_plan = run(make_scenario(**{**spec, hazard: 0.05})).operators
        without_plan = run(make_scenario(**{**only, hazard: 0.05})).operators
        assert with_plan.loc[with_plan["operator"] == "A", "disconnections"].sum() > 0, plan
        assert without_plan.loc[without_plan["operator"] == "A", "disconnections"].sum() == 0, plan


def test_segment_multiplier_scales_the_hazard():
    segs = [
        {"name": "stable", "share": 0.5, "disconnection": 0.5},
        {"name": "mobile", "share": 0.5, "disconnection": 2.0},
    ]
    seg = run(
        make_scenario(
            **{**BASE, "population.segments": segs, "behaviour.disconnect_life_event": 0.02}
        )
    ).segments
    by = seg[seg["month"] > 0].groupby("segment")["disconnections"].sum()
    assert by["mobile"] > 2.5 * by["stable"]


def test_leavers_stay_out_unless_they_come_back():
    gone = totals(**{"behaviour.disconnect_life_event": 0.03})
    back = totals(**{"behaviour.disconnect_life_event": 0.03, "behaviour.reentry_prob": 0.3})
    assert gone["entrants"] == 0  # no entry scheduled, no re-entry
    assert back["entrants"] > 0
    assert back["gross_adds"] == back["switchers_in"] + back["entrants"]


def test_ported_switches_only_with_portability():
    on = totals(number_portability=True)
    off = totals(number_portability=False)
    assert on["ported"] == on["switchers_out"] > 0
    assert off["ported"] == 0 and off["switchers_out"] > 0


# --------------------------------------------------------------------------- contracts
CONTRACTS = {
    "population.contracts": {"share_on_contract": 0.8},
    "behaviour.c_base": 0.1,
    "operators.A.plans": [{"name": "c", "monthly_fee": 50.0, "contract_months": 24}],
    "operators.B.plans": [{"name": "c", "monthly_fee": 45.0, "contract_months": 24}],
    "operators.C.plans": [{"name": "c", "monthly_fee": 40.0, "contract_months": 24}],
}


def with_etf(**plan) -> pd.Series:
    """Totals of the contract market with ``plan`` fields set on every operator's plan."""
    changes = {
        key: [{**p, **plan} for p in plans] if key.endswith(".plans") else plans
        for key, plans in CONTRACTS.items()
    }
    return totals(**changes)


def test_buyouts_happen_and_cost_what_the_schedule_says():
    flat = with_etf(early_termination_fee=60.0)
    assert 0 < flat["buyouts"] < flat["switchers_out"]
    assert flat["buyout_fees"] == pytest.approx(60.0 * flat["buyouts"])


def test_a_declining_buyout_holds_less_than_a_flat_fee():
    flat = with_etf(early_termination_fee=120.0)
    declining = with_etf(early_termination_fee=120.0, etf_declining=True)
    assert declining["buyouts"] > flat["buyouts"]
    assert declining["buyout_fees"] / declining["buyouts"] < 120.0


def test_remaining_fees_due_hold_customers_in_contract():
    flat = with_etf(early_termination_fee=60.0)
    owed = with_etf(early_termination_fee=60.0, etf_remaining_fee_share=0.3)
    assert owed["buyouts"] < flat["buyouts"]
    assert owed["churners"] < flat["churners"]


# --------------------------------------------------------------------------- trust, failures
def test_month0_trust_grows_with_tenure_and_holds_customers(base):
    from sim.market.model import MarketModel

    spec = make_scenario(**{**BASE, "behaviour.trust_tenure": 1.0, "behaviour.trust_tau": 12.0})
    st = MarketModel(spec, seed=1).state
    n = st.n_active
    old = st.trust[:n][st.tenure[:n] >= 36].mean()
    new = st.trust[:n][st.tenure[:n] <= 3].mean()
    assert old > new + 0.5
    assert totals(**{"behaviour.trust_tenure": 1.0})["churners"] < base["churners"]


def failures(**changes) -> pd.Series:
    return totals(**{"operators.A.failure_rate": 0.1, **changes})


def test_service_failures_raise_churn():
    none = failures(**{"operators.A.failure_rate": 0.0})
    hit = failures(
        **{"behaviour.failure_satisfaction_loss": 0.2, "behaviour.failure_trust_loss": 0.2}
    )
    assert none["service_failures"] == 0 and hit["service_failures"] > 0
    assert hit["churners"] > none["churners"]


def test_churn_rises_sharply_after_repeated_failures():
    """With c_failure, the churn of those who failed twice recently exceeds twice that of once."""
    from sim.market.model import MarketModel

    spec = make_scenario(
        **{
            **BASE,
            "behaviour.c_base": 0.0,
            "behaviour.c_market": 0.0,
            "behaviour.c_dissat": 0.0,
            "behaviour.c_failure": 0.15,
            "behaviour.failure_decay": 0.0,
            "operators.A.failure_rate": 0.3,
            "population.size": 6_000,
        }
    )
    model = MarketModel(spec, seed=3)
    model.step()
    model.step()
    st = model.state
    n = st.n_active
    fails = st.failures[:n].copy()
    was_a = st.operator[:n] == 0
    model.step()
    left = model.state.operator[:n] != 0
    once = left[was_a & (fails == 1.0)].mean()
    twice = left[was_a & (fails == 2.0)].mean()
    assert twice > 2.0 * once > 0


# --------------------------------------------------------------------------- marketing
def test_marketing_works_for_the_advertiser():
    """A campaign by B: with beta_marketing, the switchers it stirs up go to B, not to C.

    Without salience (beta_marketing 0) the campaign only makes A's customers consider
    switching, and they choose among all rivals; with it, B's offer makes B salient.
    """
    campaign = {
        "events": [{"kind": "marketing_campaign", "month": 1, "operator": "B", "reach": 0.6}],
        "operators.C.marketing_reach": 0.05,
    }

    def from_a(beta: float) -> pd.Series:
        sw = run(make_scenario(**{**BASE, **campaign, "behaviour.beta_marketing": beta})).switching
        return sw[sw["from_operator"] == "A"].groupby("to_operator")["subscribers"].sum()

    neutral, salient = from_a(0.0), from_a(1.0)
    assert salient["B"] > 1.2 * neutral["B"]
    assert salient["B"] / salient["C"] > 1.5 * neutral["B"] / neutral["C"]
