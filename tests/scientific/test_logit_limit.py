"""The logit limit of docs/model.md.

"Without lock-in, social terms and noise in satisfaction, and with consideration 1, one
month's shares equal the logit shares softmax(U/mu) up to sampling error."

With every lock-in term at zero, no social or word-of-mouth term, no on-net discount and
consideration probability 1, every subscriber draws a fresh operator each month from the
same probabilities ``softmax(U/mu)``, whatever operator they are on. So one month's
subscriber counts are multinomial(N, softmax(U/mu)) and each share has standard error
``sqrt(p (1 - p) / N)``. Months are independent draws (the choice stream is keyed by
month), so the mean share over T months has standard error ``sqrt(p (1 - p) / (N T))``.

The expected utilities are computed here from the formula, independently of the kernel:
``U_j = brand_j + price_sens*beta_price*fee_j/ref + quality_sens*beta_quality*(cov_j*perf_j
+ service_quality_j)`` for a 2G handset on a 2G-only network.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.runner import run
from sim.scenario import validate_scenario

N = 20_000
MONTHS = 6
Z = 3.0  # tolerance in standard errors

# (mu, beta_price, beta_quality, segment price/quality sensitivity, reference price,
#  operators as (brand, service quality, fee, coverage, network quality))
PARAMETER_SETS = {
    "three_defaults": dict(
        mu=0.5,
        beta_price=-2.0,
        beta_quality=2.0,
        price_sens=1.0,
        quality_sens=1.0,
        ref=50.0,
        ops=[(0.3, 0.5, 50.0, 1.0, 0.8), (0.1, 0.5, 45.0, 0.9, 0.7), (0.0, 0.55, 40.0, 0.8, 0.6)],
    ),
    "two_price_sensitive": dict(
        mu=1.3,
        beta_price=-3.0,
        beta_quality=1.0,
        price_sens=1.7,
        quality_sens=0.4,
        ref=80.0,
        ops=[(0.0, 0.4, 90.0, 1.0, 0.9), (0.4, 0.2, 60.0, 0.7, 0.5)],
    ),
    "three_quality_sensitive": dict(
        mu=0.8,
        beta_price=-1.0,
        beta_quality=3.0,
        price_sens=0.5,
        quality_sens=1.5,
        ref=40.0,
        ops=[(-0.2, 0.7, 55.0, 0.95, 0.9), (0.5, 0.3, 35.0, 0.6, 0.6), (0.2, 0.5, 45.0, 0.8, 0.75)],
    ),
}


def logit_scenario(p: dict) -> dict:
    """A scenario in the logit limit: no lock-in, no social terms, consideration 1."""
    names = [f"op{k}" for k in range(len(p["ops"]))]
    operators = [
        {
            "name": name,
            "brand": brand,
            "service_quality": service,
            "marketing_reach": 0.05,
            "contacts_per_month": 0.0,
            "networks": [{"generation": 2, "coverage": cov, "quality": perf}],
            "plans": [{"name": "only", "monthly_fee": fee, "contract_months": 0}],
        }
        for name, (brand, service, fee, cov, perf) in zip(names, p["ops"], strict=True)
    ]
    return {
        "name": "logit_limit",
        "simulation": {"months": MONTHS, "seed": 11, "replications": 1},
        "population": {
            "size": N,
            "initial_shares": {name: 1.0 / len(names) for name in names},
            "segments": [
                {
                    "name": "all",
                    "share": 1.0,
                    "reference_price": p["ref"],
                    "price_sensitivity": p["price_sens"],
                    "quality_sensitivity": p["quality_sens"],
                }
            ],
            "contracts": {"share_on_contract": 0.0},
            "handsets": {2: 1.0},
            "bundle_share": 0.0,
        },
        "network": {"kind": "small_world", "mixing": "global", "mean_degree": 0},
        "operators": operators,
        "number_portability": False,
        "behaviour": {
            "c_base": 1.0,
            "K_max": 0.0,
            "trust_0": 0.0,
            "theta_up": 0.0,
            "theta_down": 0.0,
            "sat_spread": 0.0,
            "number_change_cost": 0.0,
            "bundle_cost": 0.0,
            "beta_social": 0.0,
            "beta_wom": 0.0,
            "beta_price": p["beta_price"],
            "beta_quality": p["beta_quality"],
            "mu": p["mu"],
        },
    }


def expected_utilities(p: dict) -> np.ndarray:
    """``U_j`` from the model formula (2G handset, 2G-only network: eff_q = cov * perf)."""
    return np.array(
        [
            brand
            + p["price_sens"] * p["beta_price"] * fee / p["ref"]
            + p["quality_sens"] * p["beta_quality"] * (cov * perf + service)
            for brand, service, fee, cov, perf in p["ops"]
        ]
    )


def softmax(u: np.ndarray, mu: float) -> np.ndarray:
    e = np.exp((u - u.max()) / mu)
    return e / e.sum()


def observed_shares(p: dict) -> np.ndarray:
    """(MONTHS, J) simulated shares in months 1..MONTHS."""
    result = run(validate_scenario(logit_scenario(p)))
    ops = result.operators
    table = ops[ops["month"] > 0].pivot(index="month", columns="operator", values="share")
    return table[[f"op{k}" for k in range(len(p["ops"]))]].to_numpy()


@pytest.fixture(scope="module", params=list(PARAMETER_SETS))
def case(request):
    p = PARAMETER_SETS[request.param]
    return p, softmax(expected_utilities(p), p["mu"]), observed_shares(p)


def test_month_one_shares_are_logit_shares(case):
    _, expected, shares = case
    se = np.sqrt(expected * (1 - expected) / N)
    assert np.all(np.abs(shares[0] - expected) < Z * se), (shares[0], expected, se)


def test_mean_share_over_months_is_logit_share(case):
    """Pooling independent months makes the check sqrt(T) times tighter."""
    _, expected, shares = case
    se = np.sqrt(expected * (1 - expected) / (N * MONTHS))
    assert np.all(np.abs(shares.mean(axis=0) - expected) < Z * se), (shares.mean(0), expected, se)


def wrong_formulas(p: dict) -> dict[str, np.ndarray]:
    """Shares that plausible mistakes in the utility would give."""
    u = expected_utilities(p)
    ops = p["ops"]
    no_multipliers = dict(p, price_sens=1.0, quality_sens=1.0)
    return {
        "mu doubled": softmax(u, 2.0 * p["mu"]),
        "brand ignored": softmax(u - np.array([brand for brand, *_ in ops]), p["mu"]),
        "coverage ignored": softmax(
            u
            + np.array(
                [
                    p["quality_sens"] * p["beta_quality"] * perf * (1.0 - cov)
                    for _, _, _, cov, perf in ops
                ]
            ),
            p["mu"],
        ),
        "segment multipliers ignored": softmax(expected_utilities(no_multipliers), p["mu"]),
    }


def test_check_has_power_against_a_wrong_formula(case):
    """The tolerance is tight enough to reject plausible mistakes in the kernel's utility.

    Each mistake that moves some expected share by more than 6 SE from the right one
    must be rejected by the same 3-SE check; at least two mistakes qualify per set.
    """
    p, expected, shares = case
    se = np.sqrt(expected * (1 - expected) / (N * MONTHS))
    testable = 0
    for name, alt in wrong_formulas(p).items():
        if np.max(np.abs(alt - expected) / se) < 2 * Z:
            continue  # this parameter set cannot tell that mistake apart
        testable += 1
        assert np.any(np.abs(shares.mean(axis=0) - alt) > Z * se), name
    assert testable >= 2
