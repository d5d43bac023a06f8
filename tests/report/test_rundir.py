"""Reading a run folder: a whole one loads; anything else is one UserError naming the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import reportkit

from sim.errors import UserError
from sim.report.rundir import RUN_FILES, load_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return reportkit.saved_run(tmp_path / "run")


def test_loads_what_was_saved(run_dir: Path) -> None:
    loaded = load_run(run_dir)
    original = reportkit.result()
    pd.testing.assert_frame_equal(loaded.operators, original.operators)
    pd.testing.assert_frame_equal(loaded.segments, original.segments)
    pd.testing.assert_frame_equal(loaded.switching, original.switching)
    assert loaded.scenario.digest() == original.scenario.digest()
    assert loaded.provenance == original.provenance
    assert loaded.summary() == original.summary()


@pytest.mark.parametrize("name", RUN_FILES)
def test_missing_file_is_named(run_dir: Path, name: str) -> None:
    (run_dir / name).unlink()
    with pytest.raises(UserError) as info:
        load_run(run_dir)
    message = str(info.value)
    assert str(run_dir) in message and f"missing {name} " in message
    assert "not a telsim run folder" in message


def test_folder_not_found_or_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="folder not found"):
        load_run(tmp_path / "nope")
    file = tmp_path / "file.txt"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="is not a folder"):
        load_run(file)


def test_broken_summary(run_dir: Path) -> None:
    (run_dir / "summary.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(UserError, match=r"summary\.json: not valid JSON"):
        load_run(run_dir)
    (run_dir / "summary.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(UserError, match=r"summary\.json: expected a JSON object, got list"):
        load_run(run_dir)


def test_broken_table(run_dir: Path) -> None:
    (run_dir / "segments.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(UserError, match=r"segments\.parquet: not a readable Parquet table"):
        load_run(run_dir)


def test_table_missing_a_column(run_dir: Path) -> None:
    path = run_dir / "operators.parquet"
    pd.read_parquet(path).drop(columns=["arpu", "share"]).to_parquet(path)
    with pytest.raises(UserError) as info:
        load_run(run_dir)
    assert "operators.parquet: missing column(s) share, arpu" in str(info.value)


def test_broken_scenario_names_the_file(run_dir: Path) -> None:
    (run_dir / "scenario.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"scenario\.yaml.*not valid YAML"):
        load_run(run_dir)
