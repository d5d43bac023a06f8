"""The caveat: the calibration record, the match to reported data, few replications."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import reportkit
from conftest import make_scenario

from sim.report.caveat import (
    calibration_lines,
    caveat,
    model_errors,
    reported_data,
    validation_line,
)
from sim.runner import run
from sim.scenario import CalibrationRecord, load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _calibrated(**record: Any) -> Any:
    """The report kit's scenario with a calibration record (validated like a file's)."""
    return reportkit.scenario().model_copy(update={"calibration": CalibrationRecord(**record)})


def test_no_record_means_not_calibrated() -> None:
    calibrated, headline, lines = calibration_lines(reportkit.scenario())
    assert not calibrated and headline == "Not calibrated."
    assert "not a forecast" in lines[0]


def test_a_record_names_what_it_was_fitted_to_and_how_well() -> None:
    scenario = _calibrated(
        against="subscribers",
        period="2009-01 .. 2012-09",
        method="CMA-ES.",
        fit="rms z 1.53",
        out_of_sample="rms z 2.98",
        date=dt.date(2026, 12, 1),  # YAML reads an unquoted date as a date
    )
    calibrated, headline, lines = calibration_lines(scenario)
    assert calibrated and headline == "Calibrated against subscribers (2009-01 .. 2012-09)."
    assert lines[:4] == [
        "Method: CMA-ES.",
        "Calibrated on: 2026-12-01.",
        "Fit: rms z 1.53.",
        "Out of sample: rms z 2.98.",
    ]
    assert "not validated forecasts" in lines[-1]


def test_explicitly_not_calibrated() -> None:
    calibrated, _, lines = calibration_lines(_calibrated(calibrated=False, against="x"))
    assert not calibrated and "calibrated: false" in lines[0]


def test_the_shipped_china_scenario_says_it_is_calibrated_and_how_well() -> None:
    china = load_scenario(ROOT / "scenarios" / "china_3g_2009.yaml")
    calibrated, headline, lines = calibration_lines(china)
    assert calibrated and headline.startswith("Calibrated against China Mobile")
    assert any(line.startswith("Out of sample: ") for line in lines)


def _reported_run(tmp_path: Path, csv_text: str) -> Any:
    csv = tmp_path / "reported.csv"
    csv.write_text(csv_text)
    spec = make_scenario(
        **{
            "simulation.months": 4,
            "simulation.start": "2009-01",
            "population.size": 300,
            "reported": {
                "path": str(csv),
                "operator": "op",
                "operators": {"a": "A", "b": "B", "c": "C"},
                "subscribers": "subs",
            },
        }
    )
    return run(spec)


def test_validation_against_reported_shares(tmp_path: Path) -> None:
    result = _reported_run(
        tmp_path, "month_end,op,subs\n2009-03,a,500\n2009-03,b,300\n2009-03,c,200\n"
    )
    points, problem = reported_data(result.scenario)
    assert problem is None and points is not None
    errors = model_errors(result, points, "share")
    assert len(errors) == 3 and errors["date"].nunique() == 1  # the month of the 2009-03 row
    date = errors["date"].iloc[0]
    ops = result.operators
    sim_a = ops[(ops["date"] == date) & (ops["operator"] == "A")]["share"].median()
    assert errors.set_index("operator").loc["A", "error"] == pytest.approx(sim_a - 0.5)
    rms = (errors["error"] ** 2).mean() ** 0.5
    line = validation_line(result, points, "reported.csv")
    label = f"{date:%Y-%m}"
    assert f"off by {100 * rms:.1f} points rms" in line and f"{label} to {label}" in line


def test_reported_data_outside_the_run_and_missing_file(tmp_path: Path) -> None:
    result = _reported_run(tmp_path, "month_end,op,subs\n2015-03,a,500\n")
    points, _ = reported_data(result.scenario)
    assert "none falls inside this run" in validation_line(result, points, "reported.csv")
    (tmp_path / "reported.csv").unlink()
    text = caveat(result).text()
    assert "was not found" in text


def test_few_replications_are_flagged() -> None:
    text = caveat(reportkit.result()).text()  # 2 replications
    assert "Only 2 replications" in text and "carries no reported data" in text
