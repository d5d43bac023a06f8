"""Uncertainty summaries: the plausible set of trials, weighted posterior quantiles, flags."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from sim.calibration.outputs import (
    abc_convergence,
    abc_uncertainty,
    bound_hit,
    correlations,
    loss_threshold,
    optuna_uncertainty,
    plausible_trials,
    weighted_quantiles,
)
from sim.calibration.targets import Parameter


def _cal(n_moments: int):
    params = [
        Parameter(name="a", path="x", low=0.0, high=1.0),
        Parameter(name="b", path="y", low=0.01, high=100.0, log=True),
    ]
    abc = SimpleNamespace(population=20, min_epsilon=0.0)
    return SimpleNamespace(
        spec=SimpleNamespace(parameters=params),
        moments=[None] * n_moments,
        train=[None] * n_moments,
        settings=SimpleNamespace(abc=abc),
    )


def _trials(losses, a, b):
    return pd.DataFrame({"trial": range(len(losses)), "loss": losses, "param.a": a, "param.b": b})


def test_the_plausible_threshold_is_chi2_widened_by_the_reduced_chi2():
    frame = _trials([10.0, 11.0, 30.0, np.nan], [0.5] * 4, [1.0] * 4)
    assert loss_threshold(frame, 2, 12) == pytest.approx(10.0 + chi2.ppf(0.68, 2))
    assert loss_threshold(frame, 2, 4) == pytest.approx(10.0 + chi2.ppf(0.68, 2) * 5.0)
    assert plausible_trials(frame, 2, 12)["trial"].tolist() == [0, 1]


def test_a_wide_plausible_range_is_weakly_identified_and_too_few_trials_not_judged():
    losses = [1.0, 1.2, 1.5, 1.7, 2.0, 50.0]
    a = [0.1, 0.9, 0.5, 0.3, 0.7, 0.5]  # spread over 80 % of the bounds
    b = [1.0, 1.1, 0.9, 1.05, 0.95, 50.0]  # a narrow band on the log scale
    u = optuna_uncertainty(_cal(20), _trials(losses, a, b), {"a": 0.1, "b": 1.0})
    assert u["a"]["weakly_identified"] is True and u["a"]["share_of_bounds"] == pytest.approx(0.8)
    assert u["b"]["weakly_identified"] is False and u["b"]["plausible_trials"] == 5
    assert u["a"]["identification"] == "weak" and u["b"]["identification"] == "identified"
    few = optuna_uncertainty(
        _cal(20), _trials([1.0, 90.0], [0.1, 0.9], [1.0, 2.0]), {"a": 0.1, "b": 1.0}
    )
    assert few["a"]["weakly_identified"] is None
    assert few["a"]["identification"] == "not judged"


def test_weighted_quantiles_and_posterior_summaries():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert weighted_quantiles(x, np.ones(4), [0.5]) == pytest.approx([2.5])
    assert weighted_quantiles(x, np.array([0, 0, 0, 1.0]), [0.05, 0.95]) == pytest.approx([4, 4])
    post = pd.DataFrame(
        {"a": np.linspace(0.0, 1.0, 11), "b": np.full(11, 2.0), "weight": np.full(11, 1 / 11)}
    )
    u = abc_uncertainty(_cal(5), post, {"a": 0.5, "b": 2.0})
    assert u["a"]["mean"] == pytest.approx(0.5) and u["a"]["weakly_identified"] is True
    assert u["b"]["p5"] == u["b"]["p95"] == 2.0 and u["b"]["weakly_identified"] is False
    r = correlations(
        pd.DataFrame({"a": [0, 1, 2, 3, 4.0], "b": [0, 2, 4, 6, 8.0]}), ["a", "b"], None
    )
    assert r == {"a~b": 1.0}
    few = pd.DataFrame({"a": [0, 1, 2.0], "b": [1, 0, 3.0]})
    assert correlations(few, ["a", "b"], None) == {}  # three points: no correlation reported


def test_a_best_value_at_a_bound_is_flagged_not_identified():
    params = _cal(20).spec.parameters
    assert bound_hit(params[0], 0.01) == "low" and bound_hit(params[0], 0.5) is None
    assert bound_hit(params[1], 95.0) == "high"  # within 2 % of the log range
    losses = [1.0, 1.2, 1.5, 1.7, 2.0]
    trials = _trials(losses, [0.001, 0.01, 0.005, 0.0, 0.002], [1.0, 1.1, 0.9, 1.05, 0.95])
    u = optuna_uncertainty(_cal(20), trials, {"a": 0.001, "b": 1.0})
    assert u["a"]["at_bound"] == "low" and u["a"]["identification"] == "at low bound"
    assert u["b"]["identification"] == "identified"


def test_a_collapsed_posterior_is_not_judged_and_abc_says_it_did_not_converge():
    w = np.full(20, 1e-6)
    w[3] = 1.0
    post = pd.DataFrame(
        {"a": np.linspace(0.2, 0.8, 20), "b": np.full(20, 2.0), "weight": w / w.sum()}
    )
    u = abc_uncertainty(_cal(5), post, {"a": 0.3, "b": 2.0})
    assert u["a"]["identification"] == "not judged"  # one particle's range means nothing
    falling = pd.DataFrame({"epsilon": [170.0, 110.0, 70.0], "acceptance": [0.5, 0.3, 0.2]})
    c = abc_convergence(_cal(5), post, falling)
    assert not c["converged"] and len(c["warnings"]) == 2
    assert c["epsilon_schedule"] == [170.0, 110.0, 70.0] and c["acceptance_rate"] == 0.2
    assert c["effective_sample_size"] < 2
    even = post.assign(weight=1 / 20)
    settled = pd.DataFrame({"epsilon": [20.0, 15.0, 14.5], "acceptance": [0.5, 0.3, 0.2]})
    ok = abc_convergence(_cal(5), even, settled)
    assert ok["converged"] and ok["warnings"] == [] and ok["effective_sample_size"] == 20


def test_the_profile_interval_is_interpolated_where_the_loss_crosses_the_threshold():
    from sim.calibration.profile import grid, interval

    p = _cal(20).spec.parameters[0]  # a in [0, 1]
    values = np.array(grid(p, 11, 0.5))
    assert len(values) == 11 and values[0] == 0.0 and values[-1] == 1.0
    loss = 100.0 * (values - 0.5) ** 2  # 0 at 0.5; 1.0 at 0.4 and 0.6
    lo, hi = interval(p, values, loss, 0.5, 1.0)
    assert (lo, hi) == pytest.approx((0.4, 0.6))
    lo, hi = interval(p, values, np.zeros(11), 0.5, 1.0)  # flat: the whole bounds
    assert (lo, hi) == (0.0, 1.0)
    coarse = np.array([0.0, 0.5, 1.0])  # a coarse grid does not shrink the interval
    lo, hi = interval(p, coarse, 100.0 * (coarse - 0.5) ** 2, 0.5, 1.0)
    assert (lo, hi) == pytest.approx((0.4, 0.6))


def test_a_profile_below_the_best_trial_says_the_search_stopped_early():
    from sim.calibration.outputs import search_warnings

    cal = _cal(20)  # 18 degrees of freedom: the margin is chi2_0.68(1) = 0.99
    trials = _trials([5.0, 7.0], [0.1, 0.2], [1.0, 1.0])
    lower = pd.DataFrame({"parameter": ["a", "a"], "value": [0.1, 0.4], "loss": [5.0, 3.0]})
    (warning,) = search_warnings(cal, trials, lower)
    assert "lower loss than the best trial" in warning and "a=0.4" in warning
    assert search_warnings(cal, trials, lower.assign(loss=[5.0, 4.5])) == []  # within 0.99
    assert search_warnings(cal, trials, None) == []


def test_the_profile_interval_widens_to_the_plausible_trials():
    losses = [1.0, 1.2, 1.5, 1.7, 2.0, 50.0]
    a = [0.5, 0.3, 0.7, 0.4, 0.6, 0.1]  # trials near the best from 0.3 to 0.7
    b = [1.0, 1.1, 0.9, 1.05, 0.95, 50.0]
    grid_a = np.linspace(0.0, 1.0, 11)
    profile = pd.DataFrame(
        {
            "parameter": ["a"] * 11 + ["b"] * 3,
            "value": [*grid_a, 0.01, 1.0, 100.0],
            "loss": [*(1.0 + 1000.0 * (grid_a - 0.5) ** 2), 90.0, 1.0, 90.0],
        }
    )
    u = optuna_uncertainty(_cal(20), _trials(losses, a, b), {"a": 0.5, "b": 1.0}, profile)
    assert u["a"]["interval_from"] == "profile and plausible trials"
    assert (u["a"]["low"], u["a"]["high"]) == pytest.approx((0.3, 0.7))  # the slice is narrower
    assert u["a"]["share_of_bounds"] == pytest.approx(0.4)


def test_fewer_moments_than_parameters_are_not_judged():
    from sim.calibration.outputs import search_warnings

    losses = [1.0, 1.2, 1.5, 1.7, 2.0]
    trials = _trials(losses, [0.5, 0.51, 0.49, 0.5, 0.5], [1.0, 1.01, 0.99, 1.0, 1.0])
    u = optuna_uncertainty(_cal(1), trials, {"a": 0.5, "b": 1.0})  # 1 moment, 2 parameters
    assert {v["identification"] for v in u.values()} == {"not judged"}
    profile = pd.DataFrame({"parameter": ["a"], "value": [0.5], "loss": [1.0]})
    (warning,) = search_warnings(_cal(1), trials, profile)
    assert "1 fitted moments for 2 parameters" in warning
