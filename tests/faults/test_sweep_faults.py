"""kill -9 of ``telsim sweep --workers 2``: no orphan, a consistent store, --resume finishes it."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sweep"))
from faultkit import LINUX_ONLY, cli, kill_after, start, wait_children, wait_gone
from sweepkit import small_sweep, write_sweep

pytestmark = LINUX_ONLY

FAST = ("-q", "--no-figures")


def store_is_consistent(folder: Path) -> None:
    """Every part the manifest lists is readable and holds the runs it is listed for."""
    marker = json.loads((folder / ".telsim.json").read_text(encoding="utf-8"))
    assert marker["kind"] == "sweep"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, ranges in manifest["parts"].items():
        rows = set(pq.read_table(folder / "parts" / name).column("index").to_pylist())
        assert {i for a, b in ranges for i in range(a, b + 1)} <= rows


def test_kill_9_orphans_no_worker_and_resume_gives_the_uninterrupted_rows(tmp_path: Path) -> None:
    raw = small_sweep(set={"population.size": 20000, "simulation.months": 12})
    sweep = write_sweep(tmp_path / "def", raw)
    reference = tmp_path / "reference"
    assert cli("sweep", sweep, "--out", reference, *FAST).returncode == 0
    expected = pd.read_parquet(reference / "runs.parquet")
    target = tmp_path / "out"
    rng = random.Random(6)
    kills = 0
    for _ in range(2):
        resume = ["--resume"] if target.exists() else []
        proc = start("sweep", sweep, "--out", target, "--workers", "2", *FAST, *resume)
        # a resource tracker, the forkserver and two workers: then a random moment
        family = kill_after(proc, rng.uniform(0.0, 1.5)) if wait_children(proc, 4) else None
        if family is None:
            break  # the runs left finished first
        kills += 1
        assert wait_gone(family, within=5.0) == set(), "processes outlived the killed sweep"
        store_is_consistent(target)
    assert kills, "the sweep finished before any kill"
    done = cli("sweep", sweep, "--out", target, "--resume", *FAST)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(target / "runs.parquet"), expected)
    assert json.loads((target / ".telsim.json").read_text(encoding="utf-8"))["complete"] is True

    # a part damaged after the fact (a disk error, a bad copy) is reported and run again
    part = target / "parts" / "run-0000003.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    again = cli("sweep", sweep, "--out", target, "--resume", "--no-figures")
    assert again.returncode == 0, again.stderr
    text = " ".join(again.stdout.split())
    assert "note: parts/run-0000003.parquet" in text and "ran again" in text, text
    assert "this session ran 1" in text
    pd.testing.assert_frame_equal(pd.read_parquet(target / "runs.parquet"), expected)


def test_kill_9_of_a_sweep_on_a_dask_local_cluster_orphans_no_worker(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "def", small_sweep(set={"population.size": 20000}))
    proc = start(
        "sweep", sweep, "--out", tmp_path / "out", "--executor", "dask", "--workers", "2", *FAST
    )
    assert wait_children(proc, 3), proc.communicate()  # a resource tracker and two workers
    family = kill_after(proc, 1.0)
    assert family is not None, "the sweep finished before the kill"
    assert wait_gone(family, within=10.0) == set(), "Dask workers outlived the killed sweep"
