"""The caveat: calibration record read tolerantly, match to reported data, few replications."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import reportkit
from conftest import make_scenario

from sim.report.caveat import (
    calibration_lines,
    calibration_record,
    caveat,
    model_errors,
    reported_data,
    validation_line,
)
from sim.runner import run


def _with(**attrs: Any) -> SimpleNamespace:
    return SimpleNamespace(**attrs)


def test_no_record_means_not_calibrated() -> None:
    calibrated, headline, lines = calibration_lines(reportkit.scenario())
    assert not calibrated and headline == "Not calibrated."
    assert "not a forecast" in lines[0]


@pytest.mark.parametrize(
    "scenario",
    [
        _with(calibration={"against": "subscribers 2009-2012", "method": "CMA-ES"}),
        _with(
            provenance={"calibration": {"targets": ["subscribers 2009-2012"], "method": "CMA-ES"}}
        ),
        _with(provenance={"against": "subscribers 2009-2012", "method": "CMA-ES"}),
    ],
    ids=["calibration", "provenance.calibration", "provenance"],
)
def test_record_where_the_schema_may_put_it(scenario: Any) -> None:
    calibrated, headline, lines = calibration_lines(scenario)
    assert calibrated and headline == "Calibrated against subscribers 2009-2012."
    assert "Method: CMA-ES." in lines
    assert "not validated forecasts" in lines[-1]


def test_record_fields_and_unknown_keys() -> None:
    record = {
        "targets": "calibration/china_3g_2009_2012.yaml",
        "period": "2009-01 to 2012-09",
        "fit": {"rms_z": 1.17},
        "date": "2026-11-30",
        "seed": 2009,
    }
    _, headline, lines = calibration_lines(_with(provenance=record))
    assert headline == (
        "Calibrated against calibration/china_3g_2009_2012.yaml (2009-01 to 2012-09)."
    )
    assert "Fit: rms_z 1.17." in lines and "Calibrated on: 2026-11-30." in lines
    assert "Also recorded: seed: 2009." in lines


def test_explicitly_not_calibrated_and_model_records() -> None:
    calibrated, _, lines = calibration_lines(_with(calibration={"calibrated": False}))
    assert not calibrated and "calibrated: false" in lines[0]
    model = SimpleNamespace(model_dump=lambda: {"against": "x"})
    assert calibration_record(_with(calibration=model)) == {"against": "x"}
    assert calibration_record(_with(calibration=None, provenance={})) is None


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
