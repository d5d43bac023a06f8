"""Sensitivity indices: known answers on closed forms, on the model a parameter with no
effect on a metric gets an index of zero, and indices from too small a sample are judged
unreliable from their confidence intervals (a warning, no bar chart)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sweepkit import small_sweep, write_sweep

from sim.errors import UserError
from sim.sweep.designs import make_design
from sim.sweep.plots import save_sensitivity_figures
from sim.sweep.runner import run_sweep
from sim.sweep.sensitivity import (
    MIN_SAMPLES,
    analyse,
    morris_indices,
    sobol_indices,
    unreliable_warning,
    verdicts,
    write_sensitivity,
)
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
    # 4 base samples / 3 trajectories: too few to read, so no "share of variance" chart
    assert not table["reliable"].any()
    assert set(saved["unreliable"]) == {"final_share.A", "clv.A"}
    assert not (out / "sensitivity_final_share.png").exists()


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


def tidy(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["metric", "parameter", "index", "value", "conf"])


def test_verdicts_from_the_intervals() -> None:
    sobol = tidy(
        [
            ("good", "a", "S1", 0.7, 0.05),
            ("good", "a", "ST", 0.75, 0.06),
            ("good", "b", "S1", 0.0, 0.01),
            ("good", "b", "ST", -0.004, 0.01),  # below 0 within its interval: fine
            ("wide", "a", "S1", 0.58, 30.0),
            ("wide", "a", "ST", 1.09, 1.6),
            ("outside", "a", "S1", 1.3, 0.09),  # above 1 beyond its interval
            ("outside", "a", "ST", 0.9, 0.05),
        ]
    )
    judged = {v.metric: v for v in verdicts(sobol, samples=64)}
    assert judged["good"].reliable and judged["good"].reason == ""
    assert not judged["wide"].reliable
    assert judged["wide"].reason == "S1 of a = 0.58 ± 30, interval wider than ±0.1"
    assert not judged["outside"].reliable and "outside [0, 1]" in judged["outside"].reason
    few = verdicts(sobol, samples=MIN_SAMPLES - 1)
    assert not any(v.reliable for v in few)
    assert "only 9 samples" in few[0].reason

    morris = tidy(
        [
            ("ranked", "a", "mu_star", 10.0, 4.9),
            ("ranked", "b", "mu_star", 1.0, 0.5),
            ("ranked", "c", "mu_star", 0.0, 0.0),
            ("unranked", "a", "mu_star", 10.0, 6.0),
            ("flat", "a", "mu_star", 0.0, 0.0),
        ]
    )
    judged = {v.metric: v for v in verdicts(morris, samples=10)}
    assert judged["ranked"].reliable and judged["flat"].reliable
    assert judged["unranked"].reason.startswith("mu* of a = 10 ± 6, interval wider than ±0.5")


def test_a_closed_form_is_read_at_large_n_but_not_at_small_n() -> None:
    """y = x0 + 2 x1: N = 1024 gives tight intervals; N = 4 gives nonsense, judged so."""
    rows = []
    for n in (4, 1024):
        x = design("saltelli", n)
        for name, v in sobol_indices(NAMES, x[:, 0] + 2 * x[:, 1], seed=1).items():
            rows += [(f"n{n}", name, k, v[k], v[f"{k}_conf"]) for k in ("S1", "ST")]
    table = tidy(rows)
    small = table[table["metric"] == "n4"]
    assert ((small["value"] < 0) | (small["value"] > 1) | (small["conf"] > 0.5)).any()
    assert [v.reliable for v in verdicts(table[table["metric"] == "n1024"], 1024)] == [True]
    assert [v.reliable for v in verdicts(small, 4)] == [False]


def test_sweep_warns_and_charts_only_reliable_metrics(tmp_path: Path) -> None:
    """The issue's quick look: a Sobol sweep of 4 base samples warns, with no bar chart;
    a chart from an earlier analysis goes, and reliable metrics keep their panels."""
    raw = small_sweep(
        parameters=PARAMS,
        design={"kind": "saltelli", "samples": 4},
        replications=1,
        metrics=["final_share"],
    )
    out = tmp_path / "o"
    stale = out / "sensitivity_final_share.png"
    outcome = run_sweep(load_sweep(write_sweep(tmp_path, raw)), out, figures=False)
    assert outcome.warnings == []  # no figures: no analysis
    stale.write_bytes(b"an old chart")
    outcome = run_sweep(load_sweep(write_sweep(tmp_path, raw)), out, resume=True)
    assert len(outcome.warnings) == 1
    assert "too uncertain to read" in outcome.warnings[0]
    assert "N = 4 base samples, raise --samples" in outcome.warnings[0]
    assert not stale.exists()

    table = analyse(out)
    spec = load_sweep(write_sweep(tmp_path, raw)).spec
    assert unreliable_warning(table, spec) == outcome.warnings[0].removeprefix(
        "sensitivity indices: "
    )
    table.loc[table["metric"] == "final_share.B", "reliable"] = True  # as if N were large
    paths = save_sensitivity_figures(out, table, 0.95)
    assert paths == [stale]
    assert unreliable_warning(table.assign(reliable=True), spec) is not None  # judged anew
