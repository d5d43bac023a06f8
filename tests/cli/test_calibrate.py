"""``telsim calibrate``: outputs of a small run, resume, and one clear message per user error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibration"))
from calkit import write_calibration
from clikit import assert_user_error, invoke

from sim.scenario import load_scenario

FILES = {
    "calibrated_scenario.yaml",
    "fit.csv",
    "moments.csv",
    "trials.parquet",
    "check_operators.parquet",
    "check_responses.parquet",
    "summary.json",
    "loss_history.png",
    "parameters.png",
    "correlations.png",
    "fit_shares.png",
    "fit_churn.png",
    "fit_intention.png",
    "fit_satisfaction.png",
}


@pytest.fixture
def keep_threads():
    """--threads sets numba's thread count for the process: put it back afterwards."""
    import numba

    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> Path:
    return write_calibration(tmp_path_factory.mktemp("cli"), trials=6)


def test_calibrate_writes_every_output_and_resumes(targets, tmp_path, keep_threads):
    out = tmp_path / "cal"
    result = invoke("calibrate", targets, "--out", out, "--trials", "4", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert FILES <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["evaluations"] == 4 and summary["method"] == "tpe"
    assert set(summary["best_parameters"]) == {"c_base", "beta_price"}
    assert summary["provenance"]["fingerprint"] and summary["provenance"]["scenario_sha256"]
    fit = pd.read_csv(out / "fit.csv")
    assert len(fit) == summary["moments"] == 20
    assert {"observed", "se", "simulated", "sim_p5", "sim_p95", "z"} <= set(fit.columns)
    calibrated = load_scenario(out / "calibrated_scenario.yaml")  # ready for telsim run
    assert calibrated.behaviour.c_base == pytest.approx(summary["best_parameters"]["c_base"])
    assert "best loss" not in result.stdout and "results in" in result.stdout

    again = invoke("calibrate", targets, "--out", out, "--trials", "6")
    assert_user_error(again, "already holds trials", "--resume")
    resumed = invoke("calibrate", targets, "--out", out, "--trials", "6", "--resume", "-q")
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["evaluations"] == 6 and summary["session"]["evaluations_now"] == 2


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda r: r["parameters"][1].update(path="behaviour.beta_prize"),
            ["targets.yaml", "parameters[beta_price].path", "beta_prize"],
        ),
        (
            lambda r: r["targets"][0].update(weight=-1),
            ["targets.yaml", "targets[shares].weight", "greater than or equal to 0"],
        ),
        (
            lambda r: r["data"]["panel"]["columns"].update(n="respondents"),
            ["targets.yaml", "data.panel.columns.n", "no column 'respondents'", "panel.csv"],
        ),
    ],
)
def test_bad_targets_files_exit_2_with_one_message(targets, tmp_path, change, fragments):
    raw = yaml.safe_load(targets.read_text())
    change(raw)
    for name in ("scenario.yaml", "market.csv", "panel.csv", "satisfaction.csv"):
        (tmp_path / name).write_bytes((targets.parent / name).read_bytes())
    bad = tmp_path / "targets.yaml"
    bad.write_text(yaml.safe_dump(raw))
    assert_user_error(invoke("calibrate", bad, "--out", tmp_path / "o"), *fragments)


def test_bad_options_exit_2(targets, tmp_path):
    assert_user_error(invoke("calibrate", tmp_path / "none.yaml"), "targets file not found")
    assert_user_error(
        invoke("calibrate", targets, "--out", tmp_path / "o", "--set", "behaviour.c_bse=1"),
        "c_bse",
    )
    (tmp_path / "file").write_text("x")
    assert_user_error(
        invoke("calibrate", targets, "--out", tmp_path / "file" / "sub"), "is not a folder"
    )
    result = invoke("calibrate", targets, "--method", "annealing")
    assert result.exit_code == 2 and "annealing" in result.output


def _with_panel(targets: Path, folder: Path, edit) -> Path:
    """A copy of the targets file and its data whose panel.csv first row ``edit`` changes."""
    for name in ("targets.yaml", "scenario.yaml", "market.csv", "satisfaction.csv"):
        (folder / name).write_bytes((targets.parent / name).read_bytes())
    panel = pd.read_csv(targets.parent / "panel.csv")
    edit(panel)
    panel.to_csv(folder / "panel.csv", index=False)
    return folder / "targets.yaml"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("n", 0, "expected a sample size of at least 1"),
        ("n", -3, "expected a sample size of at least 1"),
        ("value", 1.4, "expected a share between 0 and 1"),
        ("value", -0.1, "expected a share between 0 and 1"),
    ],
)
def test_bad_data_exit_2_naming_file_row_and_column(targets, tmp_path, column, value, expected):
    def edit(panel: pd.DataFrame) -> None:
        panel.loc[0, column] = value

    bad = _with_panel(targets, tmp_path, edit)
    result = invoke("calibrate", bad, "--out", tmp_path / "o")
    assert_user_error(result, "targets.yaml", f"column '{column}'", "panel.csv line 2", expected)


def test_a_missing_data_column_is_named(targets, tmp_path):
    bad = _with_panel(targets, tmp_path, lambda panel: panel.pop("n"))
    result = invoke("calibrate", bad, "--out", tmp_path / "o")
    assert_user_error(result, "data.panel.columns.n", "no column 'n'", "panel.csv")


def test_a_copied_targets_file_names_the_missing_relative_path(targets, tmp_path):
    copy = tmp_path / "elsewhere" / "targets.yaml"
    copy.parent.mkdir()
    copy.write_bytes(targets.read_bytes())
    result = invoke("calibrate", copy, "--out", tmp_path / "o")
    assert_user_error(
        result, "scenario: file not found: 'scenario.yaml'", "relative to the targets file's folder"
    )
