"""Small calibrations for the tests: a scenario file, a targets file and their data.

``write_calibration(tmp_path)`` writes a 1,200-subscriber, 6-month, three-operator
scenario (contracts on operator A), a survey and a targets file whose observations are
*simulated with known parameters* (``TRUTH``) and the same seed the calibration uses, so
under common random numbers the loss is exactly 0 at the truth.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from conftest import base_raw

TRUTH = {"c_base": 0.08, "beta_price": -2.5}
SEED = 5


def scenario_raw() -> dict[str, Any]:
    """Three operators, a contract plan at A, two segments, 1,200 agents, 6 months."""
    raw = copy.deepcopy(base_raw())
    raw["name"] = "caltest"
    raw["simulation"] = {"months": 6, "seed": 7, "replications": 1}
    raw["population"]["size"] = 1200
    raw["population"]["segments"] = [
        {"name": "mass", "share": 0.6, "reference_price": 50.0},
        {"name": "young", "share": 0.4, "reference_price": 40.0, "price_sensitivity": 1.4},
    ]
    raw["population"]["contracts"] = {"share_on_contract": 0.5}
    raw["operators"][0]["plans"].append(
        {"name": "c12", "monthly_fee": 45.0, "contract_months": 12, "early_termination_fee": 100.0}
    )
    raw["behaviour"] = {"c_base": TRUTH["c_base"], "beta_price": TRUTH["beta_price"]}
    return raw


def targets_raw(trials: int = 12) -> dict[str, Any]:
    """Two parameters; churn by month, shares at month 6, a survey's intention and satisfaction."""
    return {
        "name": "caltest",
        "scenario": "scenario.yaml",
        "parameters": [
            {"name": "c_base", "path": "behaviour.c_base", "low": 0.0, "high": 0.25},
            {"name": "beta_price", "path": "behaviour.beta_price", "low": -5.0, "high": -0.5},
        ],
        "surveys": [{"name": "panel", "months": [3, 5], "respondents": 300, "follow_up": 1}],
        "data": {
            "market": {
                "file": "market.csv",
                "columns": {"month": "month", "operator": "operator", "value": "share"},
                "where": {"kind": "share"},
            },
            "churn": {
                "file": "market.csv",
                "columns": {"month": "month", "value": "share", "se": "se"},
                "where": {"kind": "churn"},
            },
            "panel": {
                "file": "panel.csv",
                "columns": {"month": "month", "group": "operator", "value": "value", "n": "n"},
            },
            "satisfaction": {
                "file": "satisfaction.csv",
                "columns": {"month": "month", "value": "value", "n": "n", "sd": "sd"},
            },
        },
        "targets": [
            {"name": "shares", "statistic": {"kind": "share"}, "data": "market", "se": 0.01},
            {"name": "churn", "statistic": {"kind": "churn_rate"}, "data": "churn"},
            {
                "name": "intention",
                "statistic": {"kind": "intention", "survey": "panel", "by": "operator"},
                "data": "panel",
            },
            {
                "name": "satisfaction",
                "statistic": {"kind": "satisfaction", "survey": "panel"},
                "data": "satisfaction",
            },
        ],
        "settings": {
            "trials": trials,
            "replications": 1,
            "check_replications": 2,
            "seed": SEED,
            "batch": 4,
        },
    }


def write_yaml(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def write_calibration(
    folder: Path, *, trials: int = 12, change: Any = None, data: bool = True
) -> Path:
    """Scenario, targets and (simulated) data files in ``folder``; the targets file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    write_yaml(folder / "scenario.yaml", scenario_raw())
    raw = targets_raw(trials)
    if change is not None:
        change(raw)
    path = write_yaml(folder / "targets.yaml", raw)
    if data:
        write_truth_data(folder)
    return path


def write_truth_data(folder: Path) -> None:
    """Observations simulated at TRUTH with the calibration's seed (exact floats)."""
    from sim.calibration.evaluate import make_task, simulate
    from sim.calibration.targets import load_calibration

    cal = load_calibration(folder / "targets.yaml", expand=False)
    _, result, responses = simulate(make_task(cal, 0, TRUTH, 1))
    ops = result.operators
    rows = [
        {"kind": "share", "month": int(r.month), "operator": r.operator, "share": r.share, "se": ""}
        for r in ops[ops["month"].isin([3, 6])].itertuples()
    ]
    total = ops.groupby("month")[["subscribers", "churners"]].sum()
    for t in range(1, 7):
        rate = total.loc[t, "churners"] / total.loc[t - 1, "subscribers"]
        rows.append({"kind": "churn", "month": t, "operator": "", "share": rate, "se": 0.004})
    pd.DataFrame(rows).to_csv(folder / "market.csv", index=False)
    panel = (
        responses.groupby(["month", "operator"])["intention"]
        .agg(n="size", value="mean")
        .reset_index()
    )
    panel.to_csv(folder / "panel.csv", index=False)
    sat = responses.groupby("month")["satisfaction"].agg(n="size", value="mean", sd="std")
    sat.reset_index().to_csv(folder / "satisfaction.csv", index=False)
