"""``telsim compare``: paired runs into one folder; bad or unpaired inputs exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from clikit import assert_user_error, invoke
from typer.testing import Result

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"
SMALL = ["--population", "2000", "--months", "12", "--replications", "3"]
CHEAP_UNICOM = "operators.Unicom.plans.0.monthly_fee=23"


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """The default scenario against itself with Unicom's 2G fee halved."""
    out = tmp_path_factory.mktemp("cli") / "cmp"
    result = invoke("compare", DEFAULT, *SMALL, "--vary", CHEAP_UNICOM, "--out", out)
    return result, out


def compare_saved_runs(out: Path, target: Path, *options: str) -> Result:
    """``telsim compare`` on the two run folders a comparison in ``out`` saved."""
    runs = out / "runs"
    return invoke(
        "compare",
        runs / "china_3g_2009",
        runs / "china_3g_2009_varied",
        "--out",
        target,
        "--no-figures",
        *options,
    )


def test_compare_writes_the_comparison_folder(compared: tuple[Result, Path]) -> None:
    result, out = compared
    assert result.exit_code == 0, result.output
    for name in (
        "comparison.md",
        "comparison.csv",
        "comparison.json",
        "overlay.png",
        "differences.png",
    ):
        assert (out / name).stat().st_size > 0, name
    for label in ("china_3g_2009", "china_3g_2009_varied"):
        assert (out / "runs" / label / "operators.parquet").is_file()
    assert "china_3g_2009_varied vs china_3g_2009" in result.stdout
    assert "Unicom" in result.stdout and "Paired intervals are" in result.stdout
    csv = pd.read_csv(out / "comparison.csv")
    unicom = csv[(csv.metric == "cumulative_revenue") & (csv.operator == "Unicom")].iloc[0]
    assert unicom["paired_high"] < 0 and not unicom["within_noise"]  # half the fee: less money


def test_run_folders_reproduce_the_numbers(compared: tuple[Result, Path], tmp_path: Path) -> None:
    _, out = compared
    again = compare_saved_runs(out, tmp_path / "again", "--quiet")
    assert again.exit_code == 0, again.output
    assert again.stdout == ""
    first = pd.read_csv(out / "comparison.csv")
    second = pd.read_csv(tmp_path / "again" / "comparison.csv")
    pd.testing.assert_frame_equal(first, second)
    assert not (tmp_path / "again" / "overlay.png").exists()


def test_run_folders_with_other_seeds_are_refused(compared: tuple[Result, Path]) -> None:
    _, out = compared
    runs = out / "runs"
    result = invoke("compare", DEFAULT, runs / "china_3g_2009", "--seed", "5", *SMALL)
    assert_user_error(result, "china_3g_2009: made with seed 2009", "would not be paired")


def test_one_input_is_refused() -> None:
    assert_user_error(invoke("compare", DEFAULT), "two or more", "--vary")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert_user_error(
        invoke("compare", DEFAULT, missing), str(missing), "no such scenario file or run folder"
    )


def test_folder_that_is_not_a_run_is_refused(tmp_path: Path) -> None:
    assert_user_error(
        invoke("compare", DEFAULT, tmp_path), "not a telsim run folder", "summary.json"
    )


def test_invalid_scenario_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT.read_text().replace("monthly_fee: 46", "monthly_fee: -5"))
    assert_user_error(invoke("compare", DEFAULT, bad, *SMALL), str(bad), "monthly_fee")


def test_set_on_run_folders_only_is_refused(compared: tuple[Result, Path]) -> None:
    _, out = compared
    runs = out / "runs"
    result = invoke(
        "compare", runs / "china_3g_2009", runs / "china_3g_2009_varied", "--set", CHEAP_UNICOM
    )
    assert_user_error(result, "--set: every input is a run folder")


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = invoke("compare", DEFAULT, DEFAULT, "--out", target)
    assert_user_error(result, "exists and is not a folder")


def test_one_replication_is_refused() -> None:
    result = invoke("compare", DEFAULT, DEFAULT, "--replications", "1")
    assert result.exit_code == 2
    assert "--replications" in result.stderr


@pytest.fixture
def columns_80():
    """An 80-column terminal (the console's width, whatever the test runner's is)."""
    from sim.cli.common import out

    old = out._width
    out.width = 80
    yield
    out._width = old


def test_terminal_table_fits_80_columns_and_cuts_no_number(
    compared: tuple[Result, Path], tmp_path: Path, columns_80: None
) -> None:
    """Issue 16: at 80 columns the table cut cells to "2,454.…" and "[-8.79…"."""
    _, out = compared
    again = compare_saved_runs(out, tmp_path / "again")
    assert again.exit_code == 0, again.output
    assert "…" not in again.stdout
    assert max(len(line) for line in again.stdout.splitlines()) <= 80
    csv = pd.read_csv(out / "comparison.csv")
    intervals = re.findall(r"\[[+-][\d,.]+, [+-][\d,.]+\]", again.stdout)
    assert len(intervals) == len(csv)  # every interval printed whole, one per row
    assert "China Unicom" in again.stdout  # operators by their display names
    assert "(CNY billions)" in again.stdout and "(currency)" not in again.stdout


def test_policy_titles_name_the_policies(tmp_path: Path) -> None:
    result = invoke(
        "compare",
        DEFAULT,
        "--population", "500", "--months", "2", "--replications", "2",
        "--vary", "title=Cheap Unicom",
        "--vary", CHEAP_UNICOM,
        "--out", tmp_path / "cmp",
        "--no-figures",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Cheap Unicom vs 3G launch (base case)" in result.stdout
