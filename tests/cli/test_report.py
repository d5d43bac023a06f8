"""``telsim report`` and the report ``telsim run`` writes by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from clikit import assert_user_error, invoke

from sim.report import FIGURE_DIR
from sim.results import RUN_FILES

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"
TINY = ["--population", "1000", "--months", "6", "--replications", "1", "--quiet"]
REPORT_FILES = {"report.html", "report.md", FIGURE_DIR}


@pytest.fixture(scope="module")
def bare_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run saved without a report (and without the figures it would imply)."""
    out = tmp_path_factory.mktemp("cli_report") / "run"
    result = invoke("run", DEFAULT, *TINY, "--out", out, "--no-report")
    assert result.exit_code == 0, (result.output, result.exception)
    return out


def test_run_writes_the_report_by_default(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke("run", DEFAULT, *TINY[:-1], "--out", out)
    assert result.exit_code == 0, (result.output, result.exception)
    assert REPORT_FILES <= {p.name for p in out.iterdir()}
    assert (
        len(list((out / FIGURE_DIR).glob("*.png"))) == 9
    )  # the China scenario carries reported data
    assert f"report: {out / 'report.html'} and " in result.stdout  # one line, unwrapped
    assert "Key numbers" in (out / "report.md").read_text(encoding="utf-8")


def test_no_report_and_no_figures(bare_run: Path, tmp_path: Path) -> None:
    assert not REPORT_FILES & {p.name for p in bare_run.iterdir()}
    assert (bare_run / "shares.png").is_file()
    out = tmp_path / "nofig"
    assert invoke("run", DEFAULT, *TINY, "--out", out, "--no-figures").exit_code == 0
    assert not list(out.rglob("*.png")) and not (out / "report.html").exists()
    out = tmp_path / "nofig_report"
    assert invoke("run", DEFAULT, *TINY, "--out", out, "--no-figures", "--report").exit_code == 0
    assert (out / "report.html").is_file() and not list(out.glob("*.png"))


def test_report_command(bare_run: Path) -> None:
    result = invoke("report", bare_run)
    assert result.exit_code == 0, (result.output, result.exception)
    html, md = bare_run / "report.html", bare_run / "report.md"
    assert result.stdout == f"report: {html} and {md} (9 figures)\n"  # with the validation figure
    assert REPORT_FILES <= {p.name for p in bare_run.iterdir()}
    page = html.read_text(encoding="utf-8")
    assert "China Mobile" in page and 'src="http' not in page


@pytest.mark.parametrize("name", ["operators.parquet", "summary.json", "scenario.yaml"])
def test_report_on_an_incomplete_folder(bare_run: Path, tmp_path: Path, name: str) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for other in RUN_FILES:
        if other != name:
            (broken / other).write_bytes((bare_run / other).read_bytes())
    assert_user_error(invoke("report", broken), str(broken), f"missing {name}")
    assert not (broken / "report.html").exists()


def test_report_on_a_missing_folder(tmp_path: Path) -> None:
    assert_user_error(invoke("report", tmp_path / "nope"), "nope", "folder not found")
    assert_user_error(invoke("report", DEFAULT), "china_3g_2009.yaml", "is not a folder")


def test_report_subprocess_exit_code(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "report", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "not a telsim run folder: missing scenario.yaml" in " ".join(proc.stderr.split())
