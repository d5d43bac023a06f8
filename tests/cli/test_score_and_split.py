"""Splits, ``telsim score`` and forecasting from a fit, from the command line alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibration"))
from calkit import SEED, write_calibration
from clikit import assert_user_error, invoke

from sim.scenario import load_scenario


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> Path:
    return write_calibration(tmp_path_factory.mktemp("split"), trials=4)


@pytest.fixture(scope="module")
def split_fit(targets, tmp_path_factory) -> Path:
    """4 trials fitted on the months before 2009-06 (month 5), scored on the rest."""
    out = tmp_path_factory.mktemp("fit") / "cal"
    result = invoke("calibrate", targets, "--out", out, "--holdout-from", "2009-06")
    assert result.exit_code == 0, result.output
    assert "trial 4/4" in result.stderr  # plain progress lines: no terminal here
    assert "profile point" in result.stderr
    assert "held out" in result.stdout and "identification" in result.stdout
    return out


def test_holdout_from_fits_the_past_and_scores_the_rest(split_fit):
    fit = pd.read_csv(split_fit / "fit.csv")
    dated = fit.dropna(subset=["month"])
    assert set(dated.loc[dated["month"] >= 5, "split"]) == {"test"}
    assert set(dated.loc[dated["month"] < 5, "split"]) == {"train"}
    assert (fit.loc[fit["split"] == "test", "weight"] == 0).all()  # not in the loss
    summary = json.loads((split_fit / "summary.json").read_text())
    assert summary["split"] == "holdout_from 2009-06"
    assert summary["fit"]["test"]["moments"] == (fit["split"] == "test").sum() > 0
    assert summary["fitted_moments"] == (fit["split"] == "train").sum()
    trained = fit[fit["split"] == "train"]
    assert summary["loss"]["check_run"] == pytest.approx(
        (trained["weight"] * trained["z"] ** 2).sum(), rel=1e-2
    )
    for value in fit["observed"].astype(str):  # fit.csv is rounded to 6 significant digits
        assert len(value.replace("-", "").replace(".", "").lstrip("0").split("e")[0]) <= 6


def test_the_calibrated_scenario_forecasts(split_fit, targets, tmp_path):
    text = (split_fit / "calibrated_scenario.yaml").read_text()
    for fragment in ("Targets file:", str(targets.resolve()), "Method: tpe", "Loss ", "rms z"):
        assert fragment in text
    calibrated = load_scenario(split_fit / "calibrated_scenario.yaml")
    base = load_scenario(targets.parent / "scenario.yaml")
    assert calibrated.name == "caltest_calibrated"
    assert calibrated.simulation.months == base.simulation.months
    assert calibrated.population.size == base.population.size
    record = calibrated.calibration  # what its reports' caveat says
    assert record is not None and record.calibrated
    assert targets.name in record.against and record.method.startswith("tpe")
    assert record.fit.startswith("rms z ") and "held-out moments" in record.out_of_sample
    result = invoke("run", split_fit / "calibrated_scenario.yaml", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert f"Calibrated against the targets of {targets.name}" in report


def test_run_size_settings_are_not_baked_in(targets, tmp_path):
    """A fit over 4 months of 600 agents; the base's 6 months, 1,200 agents and an event
    at month 6 (after the fit's horizon) stay in the calibrated scenario."""
    folder = targets.parent
    raw = yaml.safe_load(targets.read_text())
    raw["set"] = ["simulation.months=4", "population.size=600"]
    raw["targets"] = [t for t in raw["targets"] if t["name"] in ("churn", "intention")]
    raw["targets"][0]["months"] = [1, 2, 3, 4]
    raw["surveys"][0].update(months=[3], follow_up=0)
    sc = yaml.safe_load((folder / "scenario.yaml").read_text())
    sc["events"] = [
        {"kind": "price_change", "month": 6, "operator": "A", "plan": "basic", "monthly_fee": 40}
    ]
    for name in ("market.csv", "panel.csv", "satisfaction.csv"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(sc))
    panel = pd.read_csv(folder / "panel.csv")
    panel[panel["month"] == 3].to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "targets.yaml").write_text(yaml.safe_dump(raw))
    out = tmp_path / "cal"
    args = ("--out", out, "--trials", "2", "--profile", "0", "-q")
    result = invoke("calibrate", tmp_path / "targets.yaml", *args)
    assert result.exit_code == 0, result.output
    assert not (out / "profile.csv").exists()  # --profile 0: the plausible trials only
    calibrated = load_scenario(out / "calibrated_scenario.yaml")
    assert (calibrated.simulation.months, calibrated.population.size) == (6, 1200)
    assert [e.month for e in calibrated.events] == [6]


def test_score_is_the_calibration_check_run(split_fit, targets, tmp_path):
    """Scoring the calibrated scenario with the calibration's seed and check replications
    gives the calibration's own fit table: one code path."""
    out = tmp_path / "score"
    result = invoke(
        "score", split_fit / "calibrated_scenario.yaml", targets, "--out", out,
        "--replications", "2", "--seed", SEED, "--holdout-from", "2009-06",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "rms z per target" in result.stdout
    assert {"fit.csv", "score.json", "fit_shares.png", "fit_intention.png"} <= {
        p.name for p in out.iterdir()
    }
    scored = pd.read_csv(out / "fit.csv")
    fitted = pd.read_csv(split_fit / "fit.csv")
    pd.testing.assert_frame_equal(scored, fitted)
    summary = json.loads((out / "score.json").read_text())
    assert summary["fit"]["test"]["rms_z"] == pytest.approx(
        json.loads((split_fit / "summary.json").read_text())["fit"]["test"]["rms_z"]
    )


def test_holdout_fraction_is_drawn_with_the_seed(targets, tmp_path):
    scenario = targets.parent / "scenario.yaml"
    runs = []
    for k, seed in enumerate((1, 1, 2)):
        out = tmp_path / f"s{k}"
        args = ("score", scenario, targets, "--out", out, "--no-figures", "-q")
        result = invoke(*args, "--holdout-fraction", "0.25", "--seed", seed)
        assert result.exit_code == 0, result.output
        runs.append(pd.read_csv(out / "fit.csv")["split"].tolist())
    assert runs[0] == runs[1] != runs[2]
    assert runs[0].count("test") == round(0.25 * len(runs[0]))


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (
            ["--holdout-from", "2030-01"],
            ["split.holdout_from", "2030-01", "expected a month of the run"],
        ),
        (["--holdout-from", "June"], ["--holdout-from", "expected a month YYYY-MM"]),
        (["--holdout-fraction", "1.5"], ["--holdout-fraction", "between 0 and 1"]),
        (["--holdout-from", "2009-03", "--holdout-fraction", "0.2"], ["expected one of them"]),
    ],
)
def test_bad_splits_exit_2(targets, tmp_path, options, fragments):
    result = invoke(
        "score", targets.parent / "scenario.yaml", targets, "--out", tmp_path / "o", *options
    )
    assert_user_error(result, *fragments)


def test_identification_comes_from_the_loss_profile(split_fit):
    profile = pd.read_csv(split_fit / "profile.csv")
    summary = json.loads((split_fit / "summary.json").read_text())
    assert set(profile["parameter"]) == {"c_base", "beta_price"}
    assert (profile.groupby("parameter").size() >= 8).all()
    trials = pd.read_parquet(split_fit / "trials.parquet")
    for name, value in summary["best_parameters"].items():
        u = summary["uncertainty"][name]
        assert u["interval_from"] == "profile" and u["low"] <= value <= u["high"]
        at_best = profile[(profile["parameter"] == name) & (profile["value"] == value)]
        assert at_best["loss"].iloc[0] == pytest.approx(trials["loss"].min())  # same seed
    assert (split_fit / "profile.png").stat().st_size > 0
