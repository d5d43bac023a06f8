"""Sensitivity indices: known answers on closed forms, and on the model a parameter with
no effect on a metric gets an index of zero."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sweepkit import small_sweep, write_sweep

from sim.errors import UserError
from sim.sweep.designs import make_design
from sim.sweep.runner import run_sweep
from sim.sweep.sensitivity import analyse, morris_indices, sobol_indices, write_sensitivity
from sim.sweep.spec import Sweep, load_sweep

NAMES = ["x0", "x1", "x2"]


def design(kind: str, samples: int, **extra) -> np.ndarray:
    spec = Sweep.model_validate(
        {
            "name": "k",
            "base": "x.yaml",
            "parameters": {n: {"uniform": [0, 1]} for n in NAMES},
            "design": {"kind": kind, "samples": samples, **extra},
            "seed": 3,
        }
    )
    return make_design(spec).unit


def test_sobol_indices_of_a_linear_model() -> None:
    """y = x0 + 2 x1 with uniform inputs: variances 1/12 and 4/12, so S = 0.2, 0.8, 0."""
    x = design("saltelli", 1024)
    result = sobol_indices(NAMES, x[:, 0] + 2 * x[:, 1], seed=1)
    for name, expected in zip(NAMES, (0.2, 0.8, 0.0), strict=True):
        assert result[name]["S1"] == pytest.approx(expected, abs=0.03)
        assert result[name]["ST"] == pytest.approx(expected, abs=0.03)
        assert result[name]["ST_conf"] < 0.1
    assert result["x2"]["ST"] == 0.0


def test_sobol_indices_of_a_constant_are_zero() -> None:
    x = design("saltelli", 8)
    result = sobol_indices(NAMES, np.full(len(x), 3.0))
    assert all(v == 0.0 for r in result.values() for v in r.values())


def test_morris_effects_of_a_linear_model() -> None:
    x = design("morris", 20, levels=4)
    result = morris_indices(NAMES, x, 3 * x[:, 0] - x[:, 1], levels=4, seed=1)
    assert result["x0"]["mu_star"] == pytest.approx(3.0)
    assert result["x1"]["mu_star"] == pytest.approx(1.0)
    assert result["x1"]["mu"] == pytest.approx(-1.0)
    assert result["x2"]["mu_star"] == 0.0
    assert result["x0"]["sigma"] == pytest.approx(0.0, abs=1e-9)


PARAMS = {
    "operators.A.plans.basic.monthly_fee": {"uniform": [30, 70]},
    "economics.margin": {"uniform": [0.3, 0.7]},  # only CLV depends on it
}


@pytest.mark.parametrize(
    ("design_spec", "key"),
    [({"kind": "saltelli", "samples": 4}, "ST"), ({"kind": "morris", "samples": 3}, "mu_star")],
    ids=["saltelli", "morris"],
)
def test_a_parameter_without_effect_gets_zero(tmp_path: Path, design_spec: dict, key: str) -> None:
    raw = small_sweep(
        parameters=PARAMS, design=design_spec, replications=1, metrics=["final_share", "clv"]
    )
    out = tmp_path / "o"
    run_sweep(load_sweep(write_sweep(tmp_path, raw)), out, figures=False)
    table = write_sensitivity(out, ["final_share.A", "clv.A"], resamples=50)
    idx = table[table["index"] == key].set_index(["metric", "parameter"])["value"]
    # The margin changes no decision: with common random numbers the shares are identical.
    assert idx[("final_share.A", "economics.margin")] == 0.0
    assert idx[("final_share.A", "operators.A.plans.basic.monthly_fee")] > 0
    assert idx[("clv.A", "economics.margin")] > 0
    if key == "ST":
        assert idx[("final_share.A", "operators.A.plans.basic.monthly_fee")] > 0.5
    saved = json.loads((out / "sensitivity.json").read_text())
    assert saved["indices"]["final_share.A"]["economics.margin"][key] == 0.0
    assert len(pd.read_parquet(out / "sensitivity.parquet")) == len(table)
    assert (out / "sensitivity_final_share.png").is_file()


def test_sensitivity_needs_a_salib_sweep_and_all_points(tmp_path: Path) -> None:
    out = tmp_path / "grid"
    run_sweep(load_sweep(write_sweep(tmp_path), replications=1), out, figures=False)
    with pytest.raises(UserError, match="design 'grid' has no sensitivity indices; expected"):
        analyse(out)
    with pytest.raises(UserError, match="not a finished sweep folder"):
        analyse(tmp_path / "nowhere")
    raw = small_sweep(
        parameters={"population.size": [1000, 2_000_000_000], "behaviour.c_base": [0.02]},
        design={"kind": "morris", "samples": 2},
        replications=1,
        metrics=["final_share"],
    )
    failing = tmp_path / "failing"
    run_sweep(load_sweep(write_sweep(tmp_path / "f", raw)), failing, figures=False)
    with pytest.raises(UserError, match=r"design points have no successful run"):
        analyse(failing)
    with pytest.raises(UserError, match="--metric nope: not a metric"):
        analyse(failing, ["nope"])
