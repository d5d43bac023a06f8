"""Uncertainty summaries: the plausible set of trials, weighted posterior quantiles, flags."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from sim.calibration.outputs import (
    abc_uncertainty,
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
    return SimpleNamespace(spec=SimpleNamespace(parameters=params), moments=[None] * n_moments)


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
    u = optuna_uncertainty(_cal(20), _trials(losses, a, b))
    assert u["a"]["weakly_identified"] is True and u["a"]["share_of_bounds"] == pytest.approx(0.8)
    assert u["b"]["weakly_identified"] is False and u["b"]["plausible_trials"] == 5
    few = optuna_uncertainty(_cal(20), _trials([1.0, 90.0], [0.1, 0.9], [1.0, 2.0]))
    assert few["a"]["weakly_identified"] is None


def test_weighted_quantiles_and_posterior_summaries():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert weighted_quantiles(x, np.ones(4), [0.5]) == pytest.approx([2.5])
    assert weighted_quantiles(x, np.array([0, 0, 0, 1.0]), [0.05, 0.95]) == pytest.approx([4, 4])
    post = pd.DataFrame(
        {"a": np.linspace(0.0, 1.0, 11), "b": np.full(11, 2.0), "weight": np.full(11, 1 / 11)}
    )
    u = abc_uncertainty(_cal(5), post)
    assert u["a"]["mean"] == pytest.approx(0.5) and u["a"]["weakly_identified"] is True
    assert u["b"]["p5"] == u["b"]["p95"] == 2.0 and u["b"]["weakly_identified"] is False
    r = correlations(pd.DataFrame({"a": [0, 1, 2, 3.0], "b": [0, 2, 4, 6.0]}), ["a", "b"], None)
    assert r == {"a~b": 1.0}
