"""Running sweeps: identical rows whatever the executor, failures recorded, outputs written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sweepkit import small_sweep, write_sweep

from sim.engine.rng import replication_seed
from sim.errors import UserError
from sim.sweep.runner import plan, run_sweep
from sim.sweep.spec import load_sweep


@pytest.fixture(scope="module")
def sweep_path(tmp_path_factory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("sweep"))


@pytest.fixture(scope="module")
def serial(sweep_path: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "out"
    run_sweep(load_sweep(sweep_path), out, workers=1)
    return out


def test_rows_parameters_and_common_random_numbers(serial: Path) -> None:
    runs = pd.read_parquet(serial / "runs.parquet")
    assert len(runs) == 6 * 2
    assert list(runs["index"]) == list(range(12))
    assert list(runs.columns[:6]) == [
        "index",
        "point",
        "replication",
        "seed",
        "operators.A.plans.basic.monthly_fee",
        "behaviour.c_base",
    ]
    assert runs["error"].isna().all()
    # Replication r of every point has the seed replication_seed(sweep seed, r).
    for r in (0, 1):
        assert set(runs.loc[runs["replication"] == r, "seed"]) == {replication_seed(11, r)}
    fees = runs.groupby("point")["operators.A.plans.basic.monthly_fee"].first()
    assert sorted(set(fees)) == [30.0, 50.0, 70.0]
    # A's price moves its share (with the same seeds, only the parameter differs).
    share = runs.groupby("operators.A.plans.basic.monthly_fee")["final_share.A"].mean()
    assert share[30.0] > share[70.0]
    summary = json.loads((serial / "summary.json").read_text())
    assert summary["runs"] == {"total": 12, "done": 12, "failed": 0}
    assert summary["complete"] and summary["session"]["runs"] == 12
    for name in ("design.parquet", "sweep.yaml", "scenario.yaml", "failures.json"):
        assert (serial / name).is_file()
    assert sorted(p.name for p in serial.glob("*.png")) == [
        "heatmap_clv.png",
        "heatmap_cumulative_switchers.png",
        "heatmap_final_share.png",
        "heatmap_mean_monthly_churn.png",
        "heatmap_revenue.png",
    ]


@pytest.mark.parametrize(
    ("workers", "executor"),
    [(2, "local"), (2, "dask"), (0, "local")],
    ids=["pool2", "dask-local-cluster", "auto"],
)
def test_same_rows_whatever_the_executor(
    serial: Path, sweep_path: Path, tmp_path: Path, workers: int, executor: str
) -> None:
    from sim.sweep.executors import cores

    outcome = run_sweep(
        load_sweep(sweep_path), tmp_path / "o", workers=workers, executor=executor, figures=False
    )
    assert outcome.workers == (workers or cores()) and outcome.failed == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "o/runs.parquet"), pd.read_parquet(serial / "runs.parquet")
    )


def test_a_failing_run_is_recorded_and_the_sweep_completes(tmp_path: Path) -> None:
    # 2e9 subscribers pass the schema but no machine here holds them: run() refuses
    # them (a UserError inside the run), which must cost one row, not the sweep.
    raw = small_sweep(parameters={"population.size": [1000, 2_000_000_000, 1200]}, replications=1)
    loaded = load_sweep(write_sweep(tmp_path, raw))
    outcome = run_sweep(loaded, tmp_path / "o", figures=True)
    assert (outcome.total, outcome.done, outcome.failed) == (3, 3, 1)
    runs = pd.read_parquet(tmp_path / "o/runs.parquet")
    assert runs["error"].notna().tolist() == [False, True, False]
    assert runs.loc[1, "error"].startswith("UserError: population.size")
    assert runs.loc[1, ["final_share.A", "clv.B"]].isna().all()
    assert runs.loc[[0, 2], "final_share.A"].notna().all()
    failures = json.loads((tmp_path / "o/failures.json").read_text())
    assert [f["index"] for f in failures] == [1]
    assert "Traceback" in failures[0]["traceback"]
    summary = json.loads((tmp_path / "o/summary.json").read_text())
    assert summary["runs"]["failed"] == 1 and summary["failures"][0]["index"] == 1
    assert (tmp_path / "o/response_final_share.png").is_file()


def test_time_series_are_kept_on_request(tmp_path: Path) -> None:
    raw = small_sweep(keep_timeseries=True, parameters={"behaviour.c_base": [0.01, 0.03]})
    loaded = load_sweep(write_sweep(tmp_path, raw), replications=1)
    run_sweep(loaded, tmp_path / "o", workers=1, figures=False)
    ts = pd.read_parquet(tmp_path / "o/timeseries.parquet")
    assert len(ts) == 2 * 9 * 3  # runs x (months + 1) x operators
    assert list(ts.columns[:5]) == ["index", "point", "replication", "month", "date"]
    runs = pd.read_parquet(tmp_path / "o/runs.parquet")
    last = ts[ts["month"] == 8].set_index(["index", "operator"])["share"]
    assert last[(1, "B")] == pytest.approx(runs.loc[1, "final_share.B"])


def test_resume_rules(serial: Path, sweep_path: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--resume"):
        run_sweep(load_sweep(sweep_path), serial, figures=False)
    with pytest.raises(UserError, match="different sweep definition"):
        run_sweep(load_sweep(sweep_path, replications=1), serial, resume=True, figures=False)
    before = pd.read_parquet(serial / "runs.parquet")
    outcome = run_sweep(load_sweep(sweep_path), serial, resume=True, figures=False)
    assert outcome.ran_now == 0 and outcome.done == 12
    pd.testing.assert_frame_equal(pd.read_parquet(serial / "runs.parquet"), before)


def test_plan_indexes_point_major(sweep_path: Path) -> None:
    _, tasks = plan(load_sweep(sweep_path))
    assert [(t.index, t.point, t.replication) for t in tasks[:3]] == [
        (0, 0, 0),
        (1, 0, 1),
        (2, 1, 0),
    ]
