"""Comparative statics of docs/model.md: moves that must push churn one way.

"Raising any lock-in, raising a rival's price, or an outage of the own operator moves
churn in the expected direction." Each test runs a baseline and a changed scenario with
the same seed, so both draw the same random numbers (common random numbers): the
difference is the effect of the change, not noise. Churn is compared as the mean monthly
churn rate of an operator over months 1..24, pooled over replications.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_scenario

from sim.runner import run

N = 8_000
MONTHS = 24
REPLICATIONS = 2
SEED = 2024

BASE = {
    "population.size": N,
    "simulation.months": MONTHS,
    "simulation.replications": REPLICATIONS,
    "simulation.seed": SEED,
    # a market with enough switching that effects show in 24 months
    "behaviour.c_base": 0.08,
    "behaviour.number_change_cost": 20.0,
    "behaviour.K_max": 0.3,
}


def operators(**changes) -> pd.DataFrame:
    """Operator table of the base market with ``changes`` (dotted keys) applied."""
    return run(make_scenario(**{**BASE, **changes})).operators


def mean_churn(ops: pd.DataFrame, operator: str | None = None, months=(1, MONTHS)) -> float:
    """Mean monthly churn rate over ``months`` (inclusive) and replications.

    Of one operator, or of the whole market (all churners over all subscribers a month
    earlier) when ``operator`` is None.
    """
    if operator is not None:
        ops = ops[ops["operator"] == operator]
    market = ops.groupby(["replication", "month"])[["churners", "subscribers"]].sum()
    prev = market.groupby(level="replication")["subscribers"].shift(1)
    rate = market["churners"] / prev
    month = rate.index.get_level_values("month")
    return float(rate[(month >= months[0]) & (month <= months[1])].mean())


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return operators()


@pytest.mark.parametrize(
    "lockin",
    [
        {"behaviour.number_change_cost": 80.0},
        {"behaviour.K_max": 1.5},
        {"behaviour.trust_0": 0.8},
        {"behaviour.bundle_cost": 150.0, "population.bundle_share": 0.6},
    ],
    ids=["number_change_cost", "K_max", "trust_0", "bundle"],
)
def test_more_lockin_less_churn(base, lockin):
    more = operators(**lockin)
    for op in "ABC":
        assert mean_churn(more, op) < mean_churn(base, op), op
    assert mean_churn(more) < 0.8 * mean_churn(base)


def test_rival_price_cut_raises_churn_of_the_others(base):
    cut = operators(events=[{"kind": "price_change", "month": 1, "operator": "B", "factor": 0.7}])
    for op in "AC":
        assert mean_churn(cut, op) > 1.1 * mean_churn(base, op), op
    assert mean_churn(cut, "B") < mean_churn(base, "B")


def test_rival_price_rise_lowers_churn_of_the_others(base):
    rise = operators(events=[{"kind": "price_change", "month": 1, "operator": "B", "factor": 1.3}])
    for op in "AC":
        assert mean_churn(rise, op) < mean_churn(base, op), op
    assert mean_churn(rise, "B") > 1.2 * mean_churn(base, "B")


def test_own_outage_raises_own_churn(base):
    out = operators(events=[{"kind": "outage", "month": 1, "operator": "A", "quality_drop": 0.5}])
    assert mean_churn(out, "A") > 1.5 * mean_churn(base, "A")
    # and it ends: with a 6-month duration, churn falls back below the permanent outage's
    short = operators(
        events=[{"kind": "outage", "month": 1, "operator": "A", "quality_drop": 0.5, "duration": 6}]
    )
    assert mean_churn(short, "A", (1, 6)) > 1.5 * mean_churn(base, "A", (1, 6))
    assert mean_churn(short, "A", (7, MONTHS)) < mean_churn(out, "A", (7, MONTHS))


def test_number_portability_raises_churn_after_it_applies():
    locked = {"behaviour.number_change_cost": 80.0, "number_portability": False}
    without = operators(**locked)
    with_np = operators(**locked, events=[{"kind": "number_portability", "month": 12}])
    before = without[without["month"] < 12].reset_index(drop=True)
    pd.testing.assert_frame_equal(with_np[with_np["month"] < 12].reset_index(drop=True), before)
    after = (12, MONTHS)
    assert mean_churn(with_np, months=after) > 2.0 * mean_churn(without, months=after)
    for op in "ABC":
        assert mean_churn(with_np, op, after) > mean_churn(without, op, after), op
