"""``telsim export`` and ``telsim run --format``; ``telsim list`` of shipped files and a folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from clikit import assert_user_error, invoke

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"
TINY = ["--population", "300", "--months", "2", "--replications", "2", "--no-figures"]


def test_run_format_and_export(tmp_path: Path) -> None:
    """Issue 16: run tables were Parquet only."""
    out = tmp_path / "run"
    result = invoke("run", DEFAULT, *TINY, "--out", out, "--format", "xlsx")
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"exported: {out / 'china_3g_2009.xlsx'}" in result.stdout
    sheets = pd.read_excel(out / "china_3g_2009.xlsx", sheet_name=None)
    assert {"summary", "operators", "segments", "switching"} <= set(sheets)
    again = invoke("export", out, "--format", "csv", "--format", "xlsx")
    assert again.exit_code == 0, again.output
    assert (out / "operators.csv").is_file() and (out / "summary.csv").is_file()
    assert invoke("report", out, "--quiet").exit_code == 0  # still a whole run folder


def test_export_errors(tmp_path: Path) -> None:
    assert_user_error(invoke("export", tmp_path / "nothing"), "folder not found")
    bad = invoke("export", tmp_path, "--format", "ods")
    assert bad.exit_code == 2 and "ods" in bad.output


def test_list_shipped_files() -> None:
    """Issue 16: no way to list the shipped scenarios and sweeps from the CLI."""
    result = invoke("list")
    assert result.exit_code == 0, result.output
    text = result.stdout
    heads = ["Scenarios", "Sweeps", "Calibration targets"]
    assert [text.index(h) for h in heads] == sorted(text.index(h) for h in heads)
    for path in (*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/sweeps/*.yaml")):
        assert str(path.relative_to(ROOT)) in text or str(path) in text, path
    assert "calibration/china_3g_2009_2012.yaml" in text
    assert "3G launch (base case): China's three operators from January 2009" in " ".join(
        text.split()
    )


def test_list_a_folder_of_ones_own(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "name: mine\ndescription: My own market. More words.\noperators: []\n"
    )
    (tmp_path / "notes.yaml").write_text("- just a list\n")
    result = invoke("list", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert "mine.yaml" in result.stdout and "My own market." in result.stdout
    assert "More words" not in result.stdout and "notes.yaml" not in result.stdout
    assert_user_error(invoke("list", "--dir", tmp_path / "nope"), "--dir", "folder not found")
