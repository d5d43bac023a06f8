"""kill -9 of ``telsim calibrate``: the trial store stays whole and --resume ends as if never killed."""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibration"))
from calkit import write_calibration
from faultkit import LINUX_ONLY, cli, kill_after, start

pytestmark = LINUX_ONLY

FAST = ("-q", "--no-figures", "--trials", "8")


def trials(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "trials.parquet").drop(columns="seconds")  # timing varies


def test_kill_9_then_resume_gives_the_uninterrupted_trials(tmp_path: Path) -> None:
    targets = write_calibration(tmp_path / "def", trials=8)
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert cli("calibrate", targets, "--out", reference, *FAST).returncode == 0
    whole = time.monotonic() - started  # caches warm now: later runs take about as long
    target = tmp_path / "out"
    rng = random.Random(9)
    killed = 0
    for delay in (rng.uniform(0.3, 0.7) * whole for _ in range(2)):
        resume = ["--resume"] if target.exists() else []
        killed += (
            kill_after(start("calibrate", targets, "--out", target, *FAST, *resume), delay)
            is not None
        )
        if target.exists():
            marker = json.loads((target / ".telsim.json").read_text(encoding="utf-8"))
            assert marker["kind"] == "calibration"
    assert killed
    done = cli("calibrate", targets, "--out", target, "--resume", *FAST)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(trials(target), trials(reference))
