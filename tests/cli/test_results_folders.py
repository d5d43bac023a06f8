"""Results folders from the command line: kinds and scenarios kept apart, --overwrite, and
the messages that used to mislead."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sweep"))
from clikit import assert_user_error, invoke
from sweepkit import small_sweep, write_sweep

from sim import runner as sim_runner

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"
PRICE_WAR = ROOT / "scenarios" / "price_war.yaml"
TINY = ["--population", "500", "--months", "6", "--replications", "2", "--quiet"]


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("folders") / "run"
    result = invoke("run", DEFAULT, *TINY, "--out", out, "--no-report")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("folders_sweep")
    raw = small_sweep(parameters={"behaviour.c_base": [0.01, 0.03]}, replications=1)
    out = base / "sweep"
    result = invoke("sweep", write_sweep(base, raw), "--out", out, "-q", "--no-figures")
    assert result.exit_code == 0, result.output
    return out


def test_a_folder_of_one_kind_is_not_used_as_another(run_dir: Path, sweep_dir: Path) -> None:
    before = {p: (run_dir / p).read_bytes() for p in ("summary.json", "scenario.yaml")}
    sweep_file = sweep_dir.parent / "sweep.yaml"
    assert_user_error(
        invoke("sweep", sweep_file, "--out", run_dir, "-q"),
        f"--out {run_dir}: holds a run ('china_3g_2009', written by telsim run), not a sweep",
        "--overwrite",
    )
    assert {p: (run_dir / p).read_bytes() for p in before} == before
    assert_user_error(
        invoke("run", DEFAULT, *TINY, "--out", sweep_dir), "holds a sweep", "not a run"
    )
    assert_user_error(
        invoke("compare", DEFAULT, PRICE_WAR, *TINY, "--out", run_dir), "not a compare"
    )
    assert_user_error(invoke("report", sweep_dir), f"{sweep_dir}: holds a sweep", "not a run")
    assert (sweep_dir / "runs.parquet").is_file() and not (sweep_dir / "report.html").exists()


def test_another_scenario_needs_overwrite_and_then_leaves_nothing_stale(
    run_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert invoke("run", DEFAULT, *TINY, "--out", out).exit_code == 0
    assert {"shares.png", "report.html", "report.md"} <= names(out)
    assert_user_error(
        invoke("run", PRICE_WAR, *TINY, "--no-figures", "--out", out),
        "holds a run of a different scenario: 'china_3g_2009'",
        "this one is 'price_war'",
        "pass --overwrite",
    )
    assert "report.html" in names(out)
    same = invoke("run", DEFAULT, *TINY, "--no-figures", "--out", out)  # same scenario: replaced
    assert same.exit_code == 0, same.output
    assert not {"shares.png", "report.html", "report.md"} & names(out)
    replaced = invoke("run", PRICE_WAR, *TINY, "--no-figures", "--overwrite", "--out", out)
    assert replaced.exit_code == 0, replaced.output
    assert "price_war" in (out / "summary.json").read_text(encoding="utf-8")


def test_months_that_drop_events_say_so(tmp_path: Path) -> None:
    result = invoke(
        "run", DEFAULT, "-n", "500", "-m", "12", "-r", "1", "--no-figures", "--out", tmp_path / "o"
    )
    assert result.exit_code == 0, result.output
    note = " ".join(result.stderr.split())
    assert (
        "note: --months 12 drops events[1] (subsidy_change, month 24), events[2] "
        "(device_market_change, month 25): after the last month" in note
    )
    quiet = invoke(
        "run", DEFAULT, "-n", "500", "-m", "25", "-r", "1", "-q", "--out", tmp_path / "p"
    )
    assert quiet.exit_code == 0 and quiet.stderr == ""  # month 25 is the last: nothing dropped


@pytest.mark.parametrize(
    ("args", "fragments", "not_in"),
    [
        (
            ["run", DEFAULT, "--months", "1000000"],
            ["--months: simulation.months", "less than or equal to 600"],
            "--set",
        ),
        (
            ["validate", DEFAULT, "--set", "behaviour.c_base=nan"],
            ["behaviour.c_base", "finite number"],
            "less than",
        ),
        (
            ["validate", DEFAULT, "--set", "behaviour.mu=inf"],
            ["behaviour.mu", "finite number"],
            "greater",
        ),
        (["run", DEFAULT, "--seed", str(2**64)], ["--seed: simulation.seed"], "--set"),
        (
            ["validate", ROOT / "scenarios"],
            ["scenarios: is a folder, expected a scenario file"],
            "not found",
        ),
    ],
    ids=["months", "nan", "inf", "seed", "folder"],
)
def test_messages_say_what_is_actually_wrong(
    args: list[object], fragments: list[str], not_in: str
) -> None:
    message = assert_user_error(invoke(*args), *fragments)
    assert not_in not in message


def test_validate_reports_memory_and_whether_run_would_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok = invoke("validate", DEFAULT)
    text = " ".join(ok.stdout.split())
    assert ok.exit_code == 0 and "MiB to run" in text and "GiB available" in text
    monkeypatch.setattr(sim_runner, "available_memory", lambda: 2**30)
    assert_user_error(
        invoke("validate", DEFAULT, "--set", "population.size=100000000"),
        f"{DEFAULT}: valid, but telsim run would refuse it on this machine",
        "1.0 GiB is available",
    )
