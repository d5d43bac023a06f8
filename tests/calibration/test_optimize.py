"""Optuna calibration: known parameters recovered, deterministic, resumable without rerunning.

The data are simulated at ``TRUTH`` with the calibration's seed (calkit), 1,200 agents x
6 months, so the loss is 0 at the truth and common random numbers make the surface
smooth. Stated tolerance of the recovery: within 15 % of each parameter's bounds after
24 TPE trials.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calkit import TRUTH, write_calibration

from sim.calibration.optimize import run_optuna, sampler_seed
from sim.calibration.targets import load_calibration, scenario_values, start_values
from sim.errors import UserError

TOLERANCE = 0.15  # share of each parameter's bounds


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    return write_calibration(tmp_path_factory.mktemp("opt"), trials=24)


@pytest.fixture(scope="module")
def full(targets, tmp_path_factory):
    """24 trials in one go."""
    return run_optuna(load_calibration(targets), tmp_path_factory.mktemp("full"))


def test_known_parameters_are_recovered_within_the_stated_tolerance(targets, full):
    cal = load_calibration(targets)
    best = full.parameters(full.best(), list(TRUTH))
    for p in cal.spec.parameters:
        error = abs(best[p.name] - TRUTH[p.name]) / (p.high - p.low)
        assert error < TOLERANCE, (p.name, best[p.name], TRUTH[p.name])
    assert full.frame["loss"].min() < 0.1 * full.frame["loss"].median()


def test_resuming_continues_and_ends_with_the_uninterrupted_trials(targets, full, tmp_path):
    out = tmp_path / "cal"
    first = run_optuna(load_calibration(targets, settings={"trials": 10}), out)
    assert first.ran_now == 10
    with pytest.raises(UserError, match="pass --resume"):
        run_optuna(load_calibration(targets), out)
    resumed = run_optuna(load_calibration(targets), out, resume=True)
    assert resumed.ran_now == 24 - 10  # only the remaining trials ran
    assert len(resumed.frame) == 24
    cols = ["trial", "batch", "loss", "param.c_base", "param.beta_price"]
    pd.testing.assert_frame_equal(resumed.frame[cols], full.frame[cols])
    again = run_optuna(load_calibration(targets), out, resume=True)
    assert again.ran_now == 0


def test_resuming_another_calibration_is_refused(targets, tmp_path):
    out = tmp_path / "cal"
    run_optuna(load_calibration(targets, settings={"trials": 4}), out)
    with pytest.raises(UserError, match="different calibration"):
        run_optuna(load_calibration(targets, settings={"seed": 99}), out, resume=True)


def test_batches_not_workers_fix_the_sequence_and_cmaes_runs(targets, tmp_path):
    a = run_optuna(load_calibration(targets, settings={"trials": 8}), tmp_path / "a")
    b = run_optuna(load_calibration(targets, settings={"trials": 8}), tmp_path / "b", workers=2)
    assert b.workers == 2
    pd.testing.assert_frame_equal(a.frame.drop(columns="seconds"), b.frame.drop(columns="seconds"))
    cma = run_optuna(
        load_calibration(targets, settings={"trials": 8, "method": "cmaes"}), tmp_path / "c"
    )
    assert len(cma.frame) == 8 and np.isfinite(cma.frame["loss"]).all()
    assert sampler_seed(1, 0) != sampler_seed(1, 1) < 2**32


def test_start_from_the_scenario_values(targets, tmp_path):
    """``start: scenario``: the first trial is the base scenario's values; cmaes steps from them."""
    settings = {"trials": 12, "method": "cmaes"}
    cal = load_calibration(targets, settings={**settings, "start": "scenario"})
    start = scenario_values(cal.scenario, cal.spec.parameters)
    raw = cal.scenario.model_dump()
    assert start == {"c_base": raw["behaviour"]["c_base"], "beta_price": -2.5}
    near = run_optuna(cal, tmp_path / "near").frame.sort_values("trial")
    assert (near.iloc[0]["param.c_base"], near.iloc[0]["param.beta_price"]) == (0.08, -2.5)
    middle = run_optuna(load_calibration(targets, settings=settings), tmp_path / "mid").frame
    # the first batch is sampled before CMA-ES knows the space; then a tenth of the range
    # around the start (0.08 of 0..0.25), against a sixth around the middle (0.125)
    later = near[near["trial"] >= 4]["param.c_base"]
    assert later.sub(0.08).abs().mean() / 0.25 < 0.15
    assert later.mean() < middle[middle["trial"] >= 4]["param.c_base"].mean()


def test_a_start_by_name_is_checked_against_the_parameters(targets):
    cal = load_calibration(targets, settings={"start": {"c_base": 0.2}})
    assert start_values(cal)["c_base"] == 0.2
    with pytest.raises(UserError, match=r"settings.start.c_base: 0.9 is outside .*0.0 .. 0.25"):
        load_calibration(targets, settings={"start": {"c_base": 0.9}})
    with pytest.raises(UserError, match=r"settings.start.nope: not a parameter"):
        load_calibration(targets, settings={"start": {"nope": 1.0}})
