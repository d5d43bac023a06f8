"""Kill a sweep with SIGKILL mid-way, resume it: exactly the rows of an uninterrupted sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from sweepkit import small_sweep, write_sweep

from sim.sweep.runner import run_sweep
from sim.sweep.spec import load_sweep


def stored_runs(out: Path) -> int:
    try:
        return json.loads((out / "manifest.json").read_text())["runs"]
    except (OSError, ValueError, KeyError):
        return 0


def test_sigkill_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    raw = small_sweep(keep_timeseries=True)  # 6 points x 2 replications
    path = write_sweep(tmp_path, raw)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(killed), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while stored_runs(killed) < 2:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the sweep stored no runs in time"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = stored_runs(killed)
    assert 2 <= before < 12, "kill the sweep before it finished"
    assert not (killed / "runs.parquet").exists()

    outcome = run_sweep(load_sweep(path), killed, resume=True, figures=False)
    assert (outcome.ran_now, outcome.done, outcome.failed) == (12 - before, 12, 0)

    straight = tmp_path / "straight"
    run_sweep(load_sweep(path), straight, figures=False)
    for name in ("runs.parquet", "timeseries.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(killed / name), pd.read_parquet(straight / name), check_exact=True
        )


def test_a_missing_or_damaged_series_is_run_again_on_resume(tmp_path: Path) -> None:
    """A stored row implies its time series: a lost or truncated one is rewritten, same bytes."""
    loaded = load_sweep(write_sweep(tmp_path, small_sweep(keep_timeseries=True)))
    out = tmp_path / "out"
    run_sweep(loaded, out, figures=False)
    runs = pd.read_parquet(out / "runs.parquet")
    series = pd.read_parquet(out / "timeseries.parquet")
    truncated = out / "timeseries" / "run-0000002.parquet"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    (out / "timeseries" / "run-0000005.parquet").unlink()
    outcome = run_sweep(loaded, out, resume=True, figures=False)
    assert outcome.ran_now == 2
    notes = " ".join(outcome.notes)
    assert "timeseries/run-0000005.parquet (missing)" in notes, notes
    assert "timeseries/run-0000002.parquet (" in notes, notes
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), runs)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"), series)
