"""``telsim sweep`` and ``telsim sensitivity``: the issue's commands on its example files,
a real ``dask scheduler`` + ``dask worker``, and one clear message for every mistake."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from clikit import assert_user_error, invoke
from conftest import base_raw

from sim.outdir import update_results_dir
from sim.sweep import executors

ROOT = Path(__file__).resolve().parents[2]
SWEEPS = ROOT / "scenarios" / "sweeps"
DASK = Path(sys.executable).parent / "dask"


def test_sweep_quick_look_on_two_workers_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "sweep1"
    quick = ["--set", "population.size=1500", "--set", "simulation.months=36"]
    quick += ["--samples", "2", "--replications", "1"]
    args = ["sweep", SWEEPS / "subsidy_vs_price.yaml", "--out", out, *quick]
    result = invoke(*args, "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "complete: 4 of 4 runs, 0 failed" in " ".join(result.stdout.split())
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and runs["error"].isna().all()
    assert sorted(runs["operators.Unicom.plans.wo_3g.handset_subsidy"].unique()) == [0, 1200]
    assert (out / "heatmap_final_share.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["agents"] == 1500 and summary["session"]["workers"] == 2

    again = invoke(*args)
    assert_user_error(again, f"--out {out}", "already holds 4 finished runs", "--resume")
    resumed = invoke(*args, "--resume", "--no-figures")
    assert resumed.exit_code == 0, resumed.output
    assert "ran 0 in" in " ".join(resumed.stdout.split())
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), runs)


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory) -> Iterator[str]:
    """A real ``dask scheduler`` and one single-threaded ``dask worker``, stopped after."""
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    log = (folder / "dask.log").open("w")
    procs = [
        subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                info,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.is_file() or not info.read_text().strip():
            assert procs[0].poll() is None, (folder / "dask.log").read_text()
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [
                    DASK,
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    "--local-directory",
                    folder,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=folder,
            )
        )
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def test_sobol_sweep_on_a_dask_scheduler_then_sensitivity(
    dask_scheduler: str, tmp_path: Path
) -> None:
    quick = ["--set", "population.size=1000", "--set", "simulation.months=30", "--samples", "2"]
    cluster, local = tmp_path / "sweep2", tmp_path / "local"
    path = SWEEPS / "sobol_lockin.yaml"
    result = invoke(
        "sweep", path, "--scheduler", dask_scheduler, "--out", cluster, "--no-figures", *quick
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "complete: 14 of 14 runs, 0 failed" in text and "dask" in text
    assert invoke("sweep", path, "--out", local, "--no-figures", *quick).exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(cluster / "runs.parquet"), pd.read_parquet(local / "runs.parquet")
    )

    result = invoke("sensitivity", cluster, "--metric", "final_share.Unicom", "--resamples", "20")
    assert result.exit_code == 0, result.output
    assert "ST" in result.stdout and "behaviour.K_max" in result.stdout
    assert "± half-width of the 95 % bootstrap confidence interval" in result.stdout
    table = pd.read_parquet(cluster / "sensitivity.parquet")
    assert set(table["index"]) == {"S1", "ST"} and set(table["metric"]) == {"final_share.Unicom"}
    # 2 base samples give no readable index: a warning, and no "share of variance" chart
    warning = " ".join(result.stderr.split())
    assert "warning: the indices of 1 of 1 metrics are too uncertain to read" in warning
    assert "With N = 2 base samples, raise --samples" in warning
    assert "(too uncertain)" in " ".join(result.stdout.split())
    assert not table["reliable"].any()
    assert not (cluster / "sensitivity_final_share.png").exists()


def test_a_quick_sobol_look_ends_with_a_warning_and_no_variance_chart(tmp_path: Path) -> None:
    """The issue's quick look (4 base samples): the sweep says its indices cannot be read."""
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base_raw()), encoding="utf-8")
    sweep = {
        "name": "quick",
        "base": "base.yaml",
        "set": {"population.size": 1500, "simulation.months": 8},
        "parameters": {
            "operators.A.plans.basic.monthly_fee": {"uniform": [30, 70]},
            "behaviour.c_base": {"uniform": [0.01, 0.05]},
        },
        "design": {"kind": "saltelli", "samples": 4},
        "metrics": ["final_share"],
        "seed": 5,
    }
    (tmp_path / "quick.yaml").write_text(yaml.safe_dump(sweep), encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("sweep", tmp_path / "quick.yaml", "--out", out)
    assert result.exit_code == 0, result.output
    warning = " ".join(result.stderr.split())
    assert (
        "warning: sensitivity indices: the indices of 3 of 3 metrics are too uncertain" in warning
    )
    assert "With N = 4 base samples, raise --samples" in warning
    assert (out / "sensitivity.json").is_file()
    assert not (out / "sensitivity_final_share.png").exists()
    # a second writer is refused while the folder is being written, and leaves it whole
    before = (out / "sensitivity.json").read_bytes()
    with update_results_dir(out, "sweep"):
        assert_user_error(invoke("sensitivity", out), "being written by another telsim process")
    assert (out / "sensitivity.json").read_bytes() == before
    assert invoke("sensitivity", out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_mistakes_exit_2_with_one_message(tmp_path: Path, monkeypatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (SWEEPS / "subsidy_vs_price.yaml").read_text().replace("kind: grid", "kind: grind")
    )
    assert_user_error(
        invoke("sweep", bad, "--out", tmp_path / "o"), str(bad), "design.kind", "'grid'"
    )
    assert_user_error(invoke("sweep", tmp_path / "none.yaml"), "none.yaml: sweep file not found")
    assert_user_error(
        invoke("sweep", SWEEPS / "subsidy_vs_price.yaml", "--set", "population.sise=3"),
        "--set population.sise: unknown field",
    )
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert_user_error(
        invoke(
            "sweep",
            SWEEPS / "subsidy_vs_price.yaml",
            "--out",
            tmp_path / "s",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--samples",
            "2",
            "--replications",
            "1",
        ),
        f"--scheduler tcp://127.0.0.1:{port}: cannot connect",
    )
    assert_user_error(
        invoke("sensitivity", tmp_path / "nowhere"), "nowhere: sweep folder not found"
    )
    (tmp_path / "empty").mkdir()
    assert_user_error(invoke("sensitivity", tmp_path / "empty"), "not a finished sweep folder")
