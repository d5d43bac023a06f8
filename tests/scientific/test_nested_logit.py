"""The nested-logit limit of the plan (and generation) choice, docs/model.md step 6.

With ``plan_mu > 0`` an operator's plans form a nest: a market entrant picks operator j
with probability ``softmax(IV / mu)``, ``IV_j = brand_j + plan_mu log sum_p exp(u_p /
plan_mu)``, and then plan p of j with probability ``softmax(u_p / plan_mu)`` (McFadden's
nested logit; Jun & Park 1999 choose among generations this way).

Set-up: everyone at month 0 is on operator ``B`` and never reconsiders (every
consideration term 0), so operator ``A``'s customers are exactly its entrants. ``A``
sells a 2G plan and a 3G plan (whose handset comes from a device market with a price and
an availability below 1, so the handset-cost and access terms are in the check); ``B``
one 2G plan. Spend does not vary, so ``A``'s revenue tells how many took each plan.
Counts are multinomial: shares have standard error ``sqrt(p (1 - p) / n)``.
"""

from __future__ import annotations

import math

import pytest

from sim.runner import run
from sim.scenario import validate_scenario

N = 20_000
MONTHS = 5
ENTRY = 0.2
Z = 3.0

MU, PLAN_MU = 0.6, 0.3
BETA_PRICE, BETA_QUALITY, BETA_SUBSIDY, BETA_TECH = -2.0, 2.0, 0.5, 0.9
REF = 50.0
SERVICE = 0.5
FEE_2G, FEE_3G, FEE_B = 40.0, 55.0, 45.0
SUBSIDY, HANDSET, AVAILABILITY = 100.0, 150.0, 0.7
Q2, Q3, QB = 0.7, 0.9, 0.75
BRAND_A, BRAND_B = 0.2, 0.4


def scenario(plan_mu: float) -> dict:
    quiet = {"c_base": 0.0, "c_dissat": 0.0, "c_expiry": 0.0, "c_market": 0.0, "c_social": 0.0}
    return {
        "name": "nested_logit",
        "simulation": {"months": MONTHS, "seed": 3, "replications": 1},
        "population": {
            "size": N,
            "entry_per_month": ENTRY,
            "initial_shares": {"B": 1.0},
            "segments": [{"name": "all", "share": 1.0, "reference_price": REF}],
            "handsets": {2: 1.0},
            "spend_spread": 0.0,
        },
        "network": {"kind": "small_world", "mixing": "global", "mean_degree": 0},
        "devices": [
            {
                "standard": "X",
                "generation": 3,
                "availability": AVAILABILITY,
                "handset_price": HANDSET,
            }
        ],
        "operators": [
            {
                "name": "A",
                "brand": BRAND_A,
                "service_quality": SERVICE,
                "networks": [
                    {"generation": 2, "coverage": 1.0, "quality": Q2},
                    {"generation": 3, "coverage": 1.0, "quality": Q3, "standard": "X"},
                ],
                "plans": [
                    {"name": "voice", "monthly_fee": FEE_2G},
                    {
                        "name": "smart",
                        "monthly_fee": FEE_3G,
                        "generation": 3,
                        "handset_subsidy": SUBSIDY,
                    },
                ],
            },
            {
                "name": "B",
                "brand": BRAND_B,
                "service_quality": SERVICE,
                "networks": [{"generation": 2, "coverage": 1.0, "quality": QB}],
                "plans": [{"name": "only", "monthly_fee": FEE_B}],
            },
        ],
        "behaviour": {
            **quiet,
            "beta_social": 0.0,
            "beta_wom": 0.0,
            "beta_price": BETA_PRICE,
            "beta_quality": BETA_QUALITY,
            "beta_subsidy": BETA_SUBSIDY,
            "beta_tech": BETA_TECH,
            "mu": MU,
            "plan_mu": plan_mu,
            "p_innovation": 0.0,
            "q_imitation": 0.0,
            "beta_migration_subsidy": 0.0,
        },
    }


def utilities() -> tuple[float, float, float]:
    """The model formula: A's 2G plan, A's 3G plan (handset and access terms), B's plan."""
    u2 = BETA_PRICE * FEE_2G / REF + BETA_QUALITY * (Q2 + SERVICE)
    u3 = (
        BETA_PRICE * FEE_3G / REF
        + BETA_TECH
        + BETA_SUBSIDY * (SUBSIDY - HANDSET) / REF
        + BETA_QUALITY * (Q3 + SERVICE)
        + MU * math.log(AVAILABILITY)
    )
    ub = BRAND_B + BETA_PRICE * FEE_B / REF + BETA_QUALITY * (QB + SERVICE)
    return u2, u3, ub


def expected(plan_mu: float) -> tuple[float, float]:
    """Share of entrants choosing A, and share of A's entrants on the 3G plan."""
    u2, u3, ub = utilities()
    iv = BRAND_A + plan_mu * math.log(math.exp(u2 / plan_mu) + math.exp(u3 / plan_mu))
    share_a = 1.0 / (1.0 + math.exp((ub - iv) / MU))
    share_3g = 1.0 / (1.0 + math.exp((u2 - u3) / plan_mu))
    return share_a, share_3g


def observed(plan_mu: float) -> tuple[float, float, int, int]:
    ops = run(validate_scenario(scenario(plan_mu))).operators
    last = ops[ops["month"] == MONTHS].set_index("operator")
    entrants = int(ops[ops["month"] > 0]["entrants"].sum())
    on_a = int(last.loc["A", "subscribers"])
    on_3g = int(last.loc["A", "handsets_3g"])
    revenue_3g = (last.loc["A", "revenue"] - FEE_2G * on_a) / (FEE_3G - FEE_2G)
    assert abs(revenue_3g - on_3g) < 1e-6 * FEE_3G * on_a  # the plan split, two ways
    return on_a / entrants, on_3g / on_a, entrants, on_a


@pytest.mark.parametrize("plan_mu", [0.3, 0.15])
def test_entrants_choose_by_nested_logit(plan_mu: float) -> None:
    share_a, share_3g = expected(plan_mu)
    got_a, got_3g, entrants, on_a = observed(plan_mu)
    assert 0.1 < share_a < 0.9 and 0.1 < share_3g < 0.9  # both choices are open
    assert abs(got_a - share_a) < Z * math.sqrt(share_a * (1 - share_a) / entrants)
    assert abs(got_3g - share_3g) < Z * math.sqrt(share_3g * (1 - share_3g) / on_a)


def test_without_the_nest_the_best_plan_is_taken() -> None:
    """plan_mu = 0: the plan of highest utility, and the operator valued at it."""
    _, share_3g = expected(0.3)
    _, got_3g, _, _ = observed(0.0)
    assert got_3g == (1.0 if share_3g > 0.5 else 0.0)


def test_check_has_power() -> None:
    """Valuing A at its best plan instead of the inclusive value would be rejected."""
    share_a, _ = expected(PLAN_MU)
    got_a, _, entrants, _ = observed(PLAN_MU)
    u2, u3, ub = utilities()
    wrong = 1.0 / (1.0 + math.exp((ub - BRAND_A - max(u2, u3)) / MU))
    se = math.sqrt(share_a * (1 - share_a) / entrants)
    assert abs(wrong - share_a) > 2 * Z * se
    assert abs(got_a - wrong) > Z * se
