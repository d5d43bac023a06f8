"""The Bass limit of docs/model.md.

"With mixing: global, homogeneous subscribers and no subsidy, the fraction on a new
generation follows the discrete Bass recursion F(t+1) = F(t) + (p + q F(t))(1 - F(t))."

One operator (nobody can switch), everyone on a 2G handset, a 3G network covering
everything from month 0, no subsidy and ``beta_migration_subsidy = 0``: each month every
2G subscriber upgrades independently with probability ``h_t = p + q F_t`` (times the
segment's innovation / imitation multipliers), where ``F_t`` is last month's population
fraction on 3G. So, given ``F_t``, the number of upgrades is Binomial(N (1 - F_t), h_t).

Tolerances (N = 20000):
- one step: ``F_{t+1} - [F_t + h_t (1 - F_t)]`` with the *simulated* ``F_t`` has exactly
  the binomial standard error ``sqrt((1 - F_t) h_t (1 - h_t) / N)``. The 24 monthly z
  scores are independent, so 3 SE each would fail a correct model about 6 % of the time
  per case; we allow 4 SE each (Bonferroni for 24 at the 3-SE level of 0.27 %) and, to
  keep power against a small systematic error, require ``sum z^2`` below the 99.9 %
  quantile of chi-square with 24 degrees of freedom (51.18) and ``|mean z| sqrt(24) < 3``.
- whole path against the deterministic recursion from F_0 = 0: errors accumulate. To first
  order (linear noise approximation) the deviation ``e_t = F_t - F*_t`` obeys
  ``e_{t+1} = f'(F*_t) e_t + noise_t`` with ``f'(F) = 1 - p + q - 2 q F`` and
  ``Var(noise_t) = (1 - F*_t) h*_t (1 - h*_t) / N``, so ``Var(e_t)`` is computed by that
  recursion; we allow 3 of those standard deviations plus the O(1/N) bias ``q Var(e_t)``
  of the quadratic map. (The naive ``sqrt(F (1 - F) / N)`` would understate the spread
  in the imitation phase, where ``f' > 1`` amplifies earlier noise.)
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.runner import run
from sim.scenario import validate_scenario

N = 20_000
MONTHS = 24
Z = 3.0
Z_EACH = 4.0  # per-month bound for the independent one-step z scores
CHI2_24_999 = 51.18  # scipy.stats.chi2.ppf(0.999, 24)

# name -> (p, q, segment innovation multiplier, segment imitation multiplier)
CASES = {
    "slow_start": (0.01, 0.30, 1.0, 1.0),
    "innovation_led": (0.03, 0.15, 1.0, 1.0),
    "segment_multipliers": (0.01, 0.20, 2.0, 1.5),
}


def bass_scenario(p: float, q: float, innov: float, imit: float) -> dict:
    return {
        "name": "bass_limit",
        "simulation": {"months": MONTHS, "seed": 5, "replications": 1},
        "population": {
            "size": N,
            "initial_shares": {"solo": 1.0},
            "segments": [{"name": "all", "share": 1.0, "innovation": innov, "imitation": imit}],
            "handsets": {2: 1.0},
        },
        "network": {"kind": "small_world", "mixing": "global"},
        "operators": [
            {
                "name": "solo",
                "networks": [
                    {"generation": 2, "coverage": 1.0, "quality": 0.7},
                    {"generation": 3, "launch_month": 0, "coverage": 1.0, "quality": 0.8},
                ],
                "plans": [
                    {"name": "voice", "monthly_fee": 40.0, "generation": 2},
                    {"name": "data", "monthly_fee": 60.0, "generation": 3, "handset_subsidy": 0.0},
                ],
            }
        ],
        "behaviour": {"p_innovation": p, "q_imitation": q, "beta_migration_subsidy": 0.0},
    }


def bass_path(p: float, q: float, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic recursion F*_t from F*_0 = 0, and the linear-noise variance of F_t."""
    f = np.zeros(months + 1)
    var = np.zeros(months + 1)
    for t in range(months):
        h = p + q * f[t]
        slope = 1.0 - p + q - 2.0 * q * f[t]
        f[t + 1] = f[t] + h * (1.0 - f[t])
        var[t + 1] = slope**2 * var[t] + (1.0 - f[t]) * h * (1.0 - h) / N
    return f, var


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    p, q, innov, imit = CASES[request.param]
    ops = run(validate_scenario(bass_scenario(p, q, innov, imit))).operators
    ops = ops.sort_values("month")
    assert (ops["subscribers"] == N).all()
    assert (ops["churners"] == 0).all() and (ops["handsets_4g"] == 0).all()
    frac = (ops["handsets_3g"] / ops["subscribers"]).to_numpy()
    return innov * p, imit * q, frac


def test_one_step_transitions_are_bass(case):
    p, q, frac = case
    assert frac[0] == 0.0
    prev = frac[:-1]
    h = p + q * prev
    predicted = prev + h * (1.0 - prev)
    se = np.sqrt((1.0 - prev) * h * (1.0 - h) / N)
    z = (frac[1:] - predicted) / se
    assert np.all(np.abs(z) < Z_EACH), z
    assert np.sum(z**2) < CHI2_24_999, z
    assert abs(z.mean()) * np.sqrt(z.size) < Z, z


def test_path_follows_bass_recursion(case):
    p, q, frac = case
    expected, var = bass_path(p, q, MONTHS)
    tol = Z * np.sqrt(var) + q * var
    assert np.all(np.abs(frac - expected) <= tol), np.round(
        (frac - expected) / np.sqrt(var[1:].min()), 2
    )
    assert frac[-1] > 0.3  # the diffusion got well under way: the test has something to check


def test_imitation_is_seen(case):
    """The path is not the pure-innovation curve: q matters (the check could fail)."""
    p, _, frac = case
    without_q, var = bass_path(p, 0.0, MONTHS)
    assert np.max(np.abs(frac - without_q) / np.sqrt(var[1:].max())) > 10 * Z
