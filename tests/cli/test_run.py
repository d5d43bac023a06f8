"""The ``telsim`` command line: user errors exit 2 with one message, runs write full results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from clikit import assert_user_error, invoke

from sim import runner as sim_runner
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"
SMALL = ["--population", "3000", "--months", "12", "--replications", "2"]
RUN_FILES = {
    ".telsim.json",
    "report.html",
    "report.md",
    "report_figures",
    "operators.parquet",
    "segments.parquet",
    "switching.parquet",
    "cohorts.parquet",
    "risk.parquet",
    "summary.json",
    "scenario.yaml",
    "shares.png",
    "churn.png",
    "switching.png",
}


def write_scenario(tmp_path: Path, change: Any = None, name: str = "s.yaml") -> Path:
    raw = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    if change is not None:
        change(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def negative_fee(raw: dict[str, Any]) -> None:
    raw["operators"][1]["plans"][0]["monthly_fee"] = -5


# --------------------------------------------------------------------------- bad input
def test_missing_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert_user_error(invoke("run", path, "--out", tmp_path / "out"), str(path), "not found")
    assert not (tmp_path / "out").exists()


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\n  foo: [1, 2\n", encoding="utf-8")
    assert_user_error(invoke("run", path), str(path), "line 2, column 6", "not valid YAML")


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- name: x\n- name: y\n", encoding="utf-8")
    assert_user_error(invoke("validate", path), str(path), "expected a mapping", "got list")


def test_schema_violation_in_file(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, negative_fee)
    for command in ("run", "validate"):
        assert_user_error(
            invoke(command, path),
            str(path),
            # rich must not swallow [gsm_2g] as a markup tag
            "operators[Unicom].plans[gsm_2g].monthly_fee",
            "greater than or equal to 0",
            "got -5",
        )


def test_unknown_set_path() -> None:
    assert_user_error(
        invoke("run", DEFAULT, "--set", "operators.Unicom.nope=1"),
        "--set operators.Unicom.nope",
        "unknown field",
        "brand",
        "plans",
    )


def test_unknown_list_item_in_set_path() -> None:
    assert_user_error(
        invoke("validate", DEFAULT, "--set", "operators.Vodafone.brand=1"),
        "'Vodafone'",
        "['Mobile', 'Unicom', 'Telecom']",
    )


def test_malformed_set() -> None:
    assert_user_error(
        invoke("run", DEFAULT, "--set", "simulation.months"),
        "--set 'simulation.months'",
        "expected PATH=VALUE",
    )


def test_set_value_of_wrong_type() -> None:
    assert_user_error(
        invoke("run", DEFAULT, "--set", "simulation.months=abc"),
        "simulation.months",
        "valid integer",
        "got 'abc'",
    )


def test_set_value_out_of_range() -> None:
    assert_user_error(
        invoke("validate", DEFAULT, "--set", "operators.Unicom.plans.0.monthly_fee=-1"),
        "operators[Unicom].plans[gsm_2g].monthly_fee",
        "got -1",
    )


def test_unknown_operator_in_event(tmp_path: Path) -> None:
    assert_user_error(
        invoke("run", DEFAULT, "--set", "events.0.operator=Vodafone", "--out", tmp_path / "o"),
        "events[0] (marketing_campaign)",
        "unknown operator 'Vodafone'",
    )
    path = write_scenario(tmp_path, lambda r: r["events"][1].update(operator="Vodafone"))
    assert_user_error(invoke("validate", path), str(path), "events[1]", "'Vodafone'")


def test_unknown_event_kind(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, lambda r: r["events"][0].update(kind="price_war"))
    assert_user_error(invoke("validate", path), str(path), "events[0]", "'price_war'")


def test_shares_not_summing_to_one(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, lambda r: r["population"]["initial_shares"].update(Mobile=0.5))
    assert_user_error(invoke("run", path), str(path), "initial_shares must sum to 1, got 0.752")


def test_edge_list_with_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_user_error(
        invoke(
            "run",
            DEFAULT,
            "--population",
            "100",
            "--months",
            "1",
            "--replications",
            "1",
            "--set",
            "network.kind=edge_list",
            "--set",
            "network.path=nope.txt",
            "--out",
            out,
            "--quiet",
        ),
        "nope.txt",
    )
    assert not out.exists()


def test_edge_list_without_path() -> None:
    assert_user_error(
        invoke("validate", DEFAULT, "--set", "network.kind=edge_list"),
        "network.kind 'edge_list' needs network.path",
    )


def test_population_too_large_is_refused_before_allocating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim_runner, "available_memory", lambda: 16 * 2**30)

    def no_model(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a model was built for a run that cannot fit")

    monkeypatch.setattr("sim.market.model.MarketModel", no_model)
    out = tmp_path / "big"
    message = assert_user_error(
        invoke("run", DEFAULT, "--population", "2000000000", "--out", out), "population.size"
    )
    assert "2,000,000,000" in message and "GiB" in message and "16.0 GiB is available" in message
    assert not out.exists()


def test_population_above_schema_limit() -> None:
    assert_user_error(
        invoke("validate", DEFAULT, "--set", "population.size=2000000001"),
        "population.size",
        "less than or equal to 2000000000",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--replications", "0"],
        ["--population", "5"],
        ["--months", "0"],
        ["--threads", "0"],
        ["--replications", "many"],
    ],
)
def test_out_of_range_option_is_a_usage_error(args: list[str]) -> None:
    result = invoke("run", DEFAULT, *args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert args[0] in result.stderr
    assert "Invalid value" in result.stderr


def test_output_path_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("keep me\n", encoding="utf-8")
    for out in (blocker, blocker / "sub"):
        assert_user_error(
            invoke("run", DEFAULT, *SMALL, "--out", out, "--quiet"),
            f"--out {out}",
            "is not a folder",
        )
    assert blocker.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


# --------------------------------------------------------------------------- subprocess
def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize(
    ("make_args", "fragments"),
    [
        (lambda tmp: ["run", tmp / "missing.yaml"], ["missing.yaml", "not found"]),
        (
            lambda tmp: ["validate", write_scenario(tmp, negative_fee)],
            ["operators[Unicom].plans[gsm_2g].monthly_fee", "got -5"],
        ),
        (lambda tmp: ["run", DEFAULT, "--set", "months=12"], ["unknown field 'months'"]),
        (lambda tmp: ["run", DEFAULT, "--replications", "0"], ["--replications"]),
    ],
    ids=["missing-file", "schema", "set-path", "usage"],
)
def test_subprocess_exits_2_without_traceback(
    tmp_path: Path, make_args: Any, fragments: list[str]
) -> None:
    proc = _cli(*make_args(tmp_path))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    text = " ".join(proc.stderr.split())
    for fragment in fragments:
        assert fragment in text, (fragment, proc.stderr)


def test_subprocess_refuses_a_population_that_does_not_fit(tmp_path: Path) -> None:
    spec = load_scenario(DEFAULT, ["population.size=2000000000"])
    have = sim_runner.available_memory()
    if have is None or have > sim_runner.estimate_memory(spec):
        pytest.skip("this machine could hold 2e9 agents")
    out = tmp_path / "big"
    proc = _cli("run", DEFAULT, "--population", "2000000000", "--out", out, "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "GiB" in proc.stderr and "population.size" in proc.stderr
    assert not out.exists()


def test_console_script() -> None:
    script = shutil.which("telsim", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("telsim console script not installed next to this python")
    proc = subprocess.run(
        [script, "validate", "does-not-exist.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "does-not-exist.yaml: scenario file not found" in proc.stderr
    ok = subprocess.run(
        [script, "validate", DEFAULT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout


# --------------------------------------------------------------------------- good input
def test_validate_default_scenario() -> None:
    result = invoke("validate", DEFAULT)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert text.startswith(f"valid: {DEFAULT}")
    assert "3 operators" in text and "100,000 agents" in text and "60 months" in text
    assert "3 events" in text and "MiB to run" in text
    assert result.stderr == ""


def test_validate_with_overrides() -> None:
    result = invoke(
        "validate", DEFAULT, "--set", "population.size=5000", "--set", "simulation.months=30"
    )
    assert result.exit_code == 0, result.output
    assert "5,000 agents" in result.stdout and "30 months" in result.stdout


def test_schema_prints_json() -> None:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["title"] == "telsim scenario"
    assert "Plan" in schema["$defs"]
    assert schema["$defs"]["Plan"]["properties"]["monthly_fee"]["description"]


def test_help_lists_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "validate", "schema"):
        assert command in result.stdout


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "base"
    result = invoke(
        "run",
        DEFAULT,
        *SMALL,
        "--out",
        out,
        "--quiet",
        "--set",
        "operators.Unicom.plans.0.monthly_fee=79",
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout == ""  # --quiet
    return out


def test_run_writes_every_file(run_dir: Path) -> None:
    assert {p.name for p in run_dir.iterdir()} == RUN_FILES  # and nothing else: no *.tmp left
    assert [p.name for p in run_dir.parent.iterdir()] == ["base"]  # no lock, no staging left
    for name in RUN_FILES:
        assert (run_dir / name).stat().st_size > 0, name
    for png in ("shares.png", "churn.png", "switching.png"):
        assert (run_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_tables(run_dir: Path) -> None:
    ops = pd.read_parquet(run_dir / "operators.parquet")
    assert sorted(ops["month"].unique()) == list(range(13))
    assert sorted(ops["replication"].unique()) == [0, 1]
    assert set(ops["operator"]) == {"Mobile", "Unicom", "Telecom"}
    assert len(ops) == 13 * 2 * 3
    total = ops.groupby(["replication", "month"])["share"].sum()
    assert total.between(1 - 1e-9, 1 + 1e-9).all()
    first = ops[(ops["month"] == 0) & (ops["replication"] == 0)].set_index("operator")["share"]
    assert first["Mobile"] == pytest.approx(0.745, abs=0.03)
    seg = pd.read_parquet(run_dir / "segments.parquet")
    assert set(seg["segment"]) == {"youth", "young_adult", "mass", "business"}
    sw = pd.read_parquet(run_dir / "switching.parquet")
    assert {"month", "from_operator", "to_operator", "subscribers"} <= set(sw.columns)
    assert (sw["from_operator"] != sw["to_operator"]).all()


def test_run_summary(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "china_3g_2009"
    assert summary["months"] == 12 and summary["replications"] == 2
    assert set(summary["operators"]) == {"Mobile", "Unicom", "Telecom"}
    for row in summary["operators"].values():
        band = row["final_share"]
        assert set(band) == {"p5", "p50", "p95"}
        assert 0 <= band["p5"] <= band["p50"] <= band["p95"] <= 1
    median = sum(row["final_share"]["p50"] for row in summary["operators"].values())
    assert median == pytest.approx(1, abs=0.02)
    prov = summary["provenance"]
    assert prov["seed"] == 2009
    assert len(prov["replication_seeds"]) == 2
    assert isinstance(prov["threads"], int) and prov["threads"] >= 1
    assert prov["wall_seconds"] > 0
    written = load_scenario(run_dir / "scenario.yaml")
    assert prov["scenario_sha256"] == written.digest()


def test_written_scenario_records_what_ran(run_dir: Path) -> None:
    written = load_scenario(run_dir / "scenario.yaml")
    assert written.operators[1].plans[0].name == "gsm_2g"
    assert written.operators[1].plans[0].monthly_fee == 79  # the --set override
    assert written.population.size == 3000
    assert written.simulation.months == 12
    assert written.simulation.replications == 2
    assert written.simulation.seed == 2009
    # --months 12 drops the month-24 event that can no longer happen, and keeps the rest
    assert [(e.kind, e.month) for e in written.events] == [("marketing_campaign", 9)]
    assert written.operators[0].plans[0].monthly_fee == 75


def test_rerunning_the_written_scenario_reproduces_the_run(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    result = invoke("run", run_dir / "scenario.yaml", "--out", out, "--no-figures")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Unicom" in result.stdout and "results in" in result.stdout  # the summary table
    before = pd.read_parquet(run_dir / "operators.parquet")
    after = pd.read_parquet(out / "operators.parquet")
    pd.testing.assert_frame_equal(before, after)
    assert not list(out.glob("*.png"))
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))["provenance"]
    first = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["provenance"]
    assert again["scenario_sha256"] == first["scenario_sha256"]
    assert again["replication_seeds"] == first["replication_seeds"]


def test_another_seed_gives_another_run(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "seed"
    result = invoke(
        "run",
        run_dir / "scenario.yaml",
        "--out",
        out,
        "--no-figures",
        "--quiet",
        "--seed",
        "7",
        "--replications",
        "1",
    )
    assert result.exit_code == 0, (result.output, result.exception)
    before = pd.read_parquet(run_dir / "operators.parquet")
    after = pd.read_parquet(out / "operators.parquet")
    assert json.loads((out / "summary.json").read_text())["provenance"]["seed"] == 7
    rep0 = before[before["replication"] == 0].reset_index(drop=True)
    assert not rep0["subscribers"].equals(after["subscribers"])


def test_run_summary_fits_80_columns_and_says_how_far_to_trust_it(tmp_path: Path) -> None:
    """Issue 16: the terminal summary carried no caveat and showed operator ids."""
    from sim.cli.common import out as console

    old, console.width = console._width, 80
    try:
        result = invoke(
            "run", DEFAULT, "--population", "500", "--months", "3", "--replications", "2",
            "--out", tmp_path / "r", "--no-figures",
        )  # fmt: skip
    finally:
        console._width = old
    assert result.exit_code == 0, (result.output, result.exception)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "…" not in result.stdout
    text = " ".join(result.stdout.split())
    assert "China Unicom" in text and "(CNY)" in text
    assert "Calibrated against China Mobile, China Unicom and China Telecom" in text
    assert "Out of sample: the same fit made on data to 2011-12" in text
    assert "Only 2 replications" in text
    assert "reported data (china_subscribers.csv)" in text
