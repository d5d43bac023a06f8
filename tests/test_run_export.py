"""Run exports (sim.export): CSV files and a workbook that pandas reads back as the run's tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import make_scenario

from sim import run
from sim.errors import UserError
from sim.export import export_run, summary_table
from sim.results import RunResult


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = make_scenario(
        **{"population.size": 300, "simulation.months": 3, "simulation.replications": 2}
    )
    folder = tmp_path_factory.mktemp("export") / "run"
    run(spec).save(folder, figures=False)
    return folder


def test_csv_files_are_the_tables(saved: Path) -> None:
    paths = export_run(saved, "csv")
    assert sorted(p.name for p in paths) == [
        "operators.csv",
        "risk.csv",
        "segments.csv",
        "summary.csv",
        "switching.csv",
    ]
    result = RunResult.load(saved)
    back = pd.read_csv(saved / "operators.csv", parse_dates=["date"])
    pd.testing.assert_frame_equal(back, result.operators, check_dtype=False)
    risk = pd.read_csv(saved / "risk.csv")
    pd.testing.assert_frame_equal(risk, result.risk, check_dtype=False)
    assert not list(saved.glob(".*.tmp"))


def test_workbook_has_the_summary_and_one_sheet_per_table(saved: Path) -> None:
    (path,) = export_run(saved, "xlsx")
    assert path.name == "test.xlsx"
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["summary", "about", "operators", "segments", "switching", "risk"]
    result = RunResult.load(saved)
    for name in ("operators", "segments", "switching", "risk"):
        table = getattr(result, name)
        assert sheets[name].shape == table.shape, name
        assert list(sheets[name].columns) == list(table.columns)
    pd.testing.assert_frame_equal(sheets["operators"], result.operators, check_dtype=False)
    summary = sheets["summary"].set_index("operator")
    json_summary = result.summary()["operators"]
    assert summary.loc["A", "final_share_p50"] == pytest.approx(
        json_summary["A"]["final_share"]["p50"]
    )
    about = dict(sheets["about"].itertuples(index=False))
    assert about["calibration"] == "Not calibrated."
    assert about["replications"] == "2"


def test_summary_table_columns(saved: Path) -> None:
    table = summary_table(RunResult.load(saved))
    assert list(table["operator"]) == ["A", "B", "C"]
    assert {"clv_p5", "clv_p50", "clv_p95", "share_change_p50"} <= set(table.columns)


def test_unknown_format_and_too_long_a_table(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UserError, match="--format: expected one of csv, xlsx"):
        export_run(saved, "ods")
    monkeypatch.setattr("sim.export.EXCEL_ROWS", 10)
    with pytest.raises(UserError, match="expected --format csv"):
        export_run(saved, "xlsx")


def test_a_folder_without_the_risk_table_exports_the_others(saved: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(saved, old)
    (old / "risk.parquet").unlink()
    names = sorted(p.name for p in export_run(old, "csv"))
    assert names == ["operators.csv", "segments.csv", "summary.csv", "switching.csv"]
