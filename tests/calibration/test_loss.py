"""The SMM loss: exactly 0 at the true parameters under common random numbers, > 0 away."""

from __future__ import annotations

import numpy as np
import pytest
from calkit import TRUTH, write_calibration

from sim.calibration.evaluate import evaluate, make_task
from sim.calibration.loss import MISSING_PENALTY, fit_table, smm_loss, z_scores
from sim.calibration.targets import Moment, load_calibration


@pytest.fixture(scope="module")
def cal(tmp_path_factory):
    return load_calibration(write_calibration(tmp_path_factory.mktemp("loss")))


def test_loss_is_exactly_zero_at_the_truth_with_common_random_numbers(cal):
    values = evaluate(make_task(cal, 0, TRUTH, 1))["values"]
    assert len(cal.moments) == 20  # 6 shares, 6 churn rates, 6 intentions, 2 satisfactions
    assert smm_loss(cal.moments, values) == 0.0
    assert np.all(z_scores(cal.moments, values) == 0.0)


def test_loss_grows_away_from_the_truth(cal):
    losses = []
    for c_base in (TRUTH["c_base"], 0.04, 0.0):
        values = evaluate(make_task(cal, 0, {**TRUTH, "c_base": c_base}, 1))["values"]
        losses.append(smm_loss(cal.moments, values))
    assert losses[0] == 0.0 < losses[1] < losses[2]


def _moment(observed: float, se: float, weight: float = 1.0) -> Moment:
    return Moment(target="t", label="x", kind="share", observed=observed, se=se, weight=weight)


def test_loss_is_the_weighted_sum_of_squared_z_over_replication_means():
    moments = [_moment(0.5, 0.1), _moment(0.2, 0.05, weight=2.0)]
    values = np.array([[0.6, 0.8], [0.2, 0.3]])  # means 0.7 and 0.25
    z = z_scores(moments, values)
    assert z == pytest.approx([2.0, 1.0])
    assert smm_loss(moments, values) == pytest.approx(4.0 + 2.0 * 1.0)
    table = fit_table(moments, values)
    assert table["simulated"].tolist() == pytest.approx([0.7, 0.25])
    assert table["contribution"].sum() == pytest.approx(6.0)


def test_a_moment_the_run_cannot_produce_is_penalised_not_nan():
    moments = [_moment(0.5, 0.1)]
    assert smm_loss(moments, np.array([[np.nan, np.nan]])) == MISSING_PENALTY
    assert smm_loss(moments, np.array([[np.nan, 0.5]])) == 0.0  # the mean ignores a NaN replication
