"""Reading a run folder: a whole one loads as saved; anything else is one UserError naming the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import make_scenario

from sim.errors import UserError
from sim.results import RUN_FILES, TABLE_COLUMNS, RunResult
from sim.runner import run


@pytest.fixture(scope="module")
def saved() -> RunResult:
    spec = make_scenario(population__size=600, population__represents=60_000)
    return run(spec, seed=5, replications=2, overrides={"simulation.months": 4})


@pytest.fixture
def run_dir(saved: RunResult, tmp_path: Path) -> Path:
    return saved.save(tmp_path / "run", figures=False)


def test_loads_what_was_saved(saved: RunResult, run_dir: Path) -> None:
    loaded = RunResult.load(run_dir)
    pd.testing.assert_frame_equal(loaded.operators, saved.operators)
    pd.testing.assert_frame_equal(loaded.segments, saved.segments)
    pd.testing.assert_frame_equal(loaded.switching, saved.switching)
    assert loaded.scenario.digest() == saved.scenario.digest()
    assert loaded.provenance == saved.provenance
    assert loaded.summary() == saved.summary()


def test_tables_have_the_declared_columns_in_order(run_dir: Path) -> None:
    for name, columns in TABLE_COLUMNS.items():
        assert tuple(pd.read_parquet(run_dir / name).columns) == columns


def test_a_folder_written_before_winbacks_loads_with_none(saved: RunResult, run_dir: Path) -> None:
    for name in ("operators", "segments"):
        path = run_dir / f"{name}.parquet"
        pd.read_parquet(path).drop(columns=["winbacks"]).to_parquet(path, index=False)
    loaded = RunResult.load(run_dir)
    pd.testing.assert_frame_equal(
        loaded.operators, saved.operators.assign(winbacks=0.0), check_dtype=False
    )
    assert tuple(loaded.segments.columns) == tuple(saved.segments.columns)
    assert (loaded.segments["winbacks"] == 0).all()


@pytest.mark.parametrize("name", RUN_FILES)
def test_missing_file_is_named(run_dir: Path, name: str) -> None:
    (run_dir / name).unlink()
    with pytest.raises(UserError) as info:
        RunResult.load(run_dir)
    message = str(info.value)
    assert str(run_dir) in message and f"missing {name} " in message
    assert "not a telsim run folder" in message


def test_folder_not_found_or_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="folder not found"):
        RunResult.load(tmp_path / "nope")
    file = tmp_path / "file.txt"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="is not a folder"):
        RunResult.load(file)


def test_broken_summary(run_dir: Path) -> None:
    (run_dir / "summary.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(UserError, match=r"summary\.json: not valid JSON"):
        RunResult.load(run_dir)
    (run_dir / "summary.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(UserError, match=r"summary\.json: expected a JSON object, got list"):
        RunResult.load(run_dir)


def test_broken_table(run_dir: Path) -> None:
    (run_dir / "segments.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(UserError, match=r"segments\.parquet: not a readable Parquet table"):
        RunResult.load(run_dir)


def test_table_missing_a_column(run_dir: Path) -> None:
    path = run_dir / "operators.parquet"
    pd.read_parquet(path).drop(columns=["arpu", "share"]).to_parquet(path)
    with pytest.raises(UserError) as info:
        RunResult.load(run_dir)
    assert "operators.parquet: missing column(s) share, arpu" in str(info.value)


def test_broken_scenario_names_the_file(run_dir: Path) -> None:
    (run_dir / "scenario.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"scenario\.yaml.*not valid YAML"):
        RunResult.load(run_dir)
