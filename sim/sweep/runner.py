"""Run a sweep: expand it into runs, execute them, store each at once, write the outputs.

Run ``index = point * replications + replication`` runs the base scenario with the
point's values as overrides and the seed ``replication_seed(sweep seed, replication)``:
replication r of every point shares one seed (common random numbers), so differences
between points are the parameters' effect, not noise. A run's row depends only on its
task, never on the executor, the worker count or the order runs finish in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.rng import replication_seed
from sim.errors import UserError
from sim.io import atomic_write, write_json, write_text
from sim.scenario import Scenario, dump_yaml
from sim.sweep.designs import DesignPoints, make_design
from sim.sweep.executors import Failure, auto_workers, open_executor
from sim.sweep.metrics import compute_metrics, metric_names, timeseries
from sim.sweep.spec import LoadedSweep, Sweep
from sim.sweep.store import RunStore

# Columns of runs.parquet before the parameters and metrics.
KEY_COLUMNS = ("index", "point", "replication", "seed")
TIMESERIES = "timeseries"


@dataclass(frozen=True)
class RunTask:
    """Everything one run needs; picklable, so it can travel to any worker."""

    index: int
    point: int
    replication: int
    seed: int
    values: dict[str, Any]
    scenario: Scenario
    spec: Sweep
    keep_timeseries: bool


def execute_run(task: RunTask) -> dict[str, Any]:
    """Run one task (in a worker): its metrics, and its monthly table when kept."""
    from sim.runner import run

    result = run(task.scenario, seed=task.seed, replications=1, overrides=task.values, digest=False)
    return {
        "metrics": compute_metrics(task.spec, result),
        "timeseries": timeseries(result) if task.keep_timeseries else None,
    }


def plan(loaded: LoadedSweep) -> tuple[DesignPoints, list[RunTask]]:
    """The design's points and every run of the sweep, in index order."""
    spec = loaded.spec
    design = make_design(spec)
    seeds = [replication_seed(spec.seed, r) for r in range(spec.replications)]
    tasks = [
        RunTask(
            index=p * spec.replications + r,
            point=p,
            replication=r,
            seed=seeds[r],
            values=values,
            scenario=loaded.scenario,
            spec=spec,
            keep_timeseries=spec.keep_timeseries,
        )
        for p, values in enumerate(design.values)
        for r in range(spec.replications)
    ]
    return design, tasks


@dataclass
class SweepOutcome:
    """What a sweep did: totals, this session's timing, and where the outputs are."""

    out: Path
    total: int
    done: int
    failed: int
    ran_now: int
    seconds: float
    workers: int
    executor: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. sensitivity indices unreliable


# Progress callback: (runs stored, total runs, failed runs) after each stored run.
Progress = Callable[[int, int, int], None]


def run_sweep(
    loaded: LoadedSweep,
    out: Path,
    *,
    workers: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    figures: bool = True,
    progress: Progress | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> SweepOutcome:
    """Run every unfinished run of a sweep into ``out``, then write its outputs.

    Args:
        loaded: the validated sweep (see :func:`sim.sweep.spec.load_sweep`).
        out: output folder; it holds the resumable store and the outputs
            (:func:`sim.outdir.open_results_dir`, kind "sweep").
        workers: concurrent runs (local pool or LocalCluster); 0 chooses
            (:func:`~sim.sweep.executors.auto_workers`: single-threaded runs side by side,
            as many as cores, runs and memory allow).
        executor: "local" or "dask".
        scheduler: address of an existing Dask scheduler.
        resume: continue a store that already holds runs of this sweep.
        overwrite: replace what ``out`` holds (another sweep, a run, ...), starting afresh.
        figures: write PNG figures.
        progress: called after each stored run.
        on_start: called once with (runs already stored, total runs) before running.
    """
    from sim.outdir import open_results_dir

    if executor not in ("local", "dask"):
        raise UserError(f"--executor: expected local or dask, got {executor!r}")
    if resume and overwrite:
        raise UserError(
            "--resume and --overwrite: expected one of them (--overwrite starts afresh)"
        )
    with open_results_dir(
        out,
        "sweep",
        name=loaded.spec.name,
        digest=loaded.fingerprint(),
        overwrite=overwrite,
        resumable=True,
    ) as folder:
        outcome = _run_into(
            loaded, folder, workers, executor, scheduler, resume, figures, progress, on_start
        )
    outcome.out = Path(out)
    return outcome


def _run_into(
    loaded: LoadedSweep,
    out: Path,
    workers: int,
    executor: str,
    scheduler: str | None,
    resume: bool,
    figures: bool,
    progress: Progress | None,
    on_start: Callable[[int, int], None] | None,
) -> SweepOutcome:
    """The work of :func:`run_sweep`, in the folder it opened."""
    design, tasks = plan(loaded)
    store = RunStore(out, fingerprint=loaded.fingerprint(), resume=resume)
    _write_definition(loaded, design, out)
    names = metric_names(loaded.spec, loaded.scenario)
    done = store.finished()
    pending = [t for t in tasks if t.index not in done]
    series_notes: list[str] = []
    if loaded.spec.keep_timeseries and done:  # a stored row implies its series: check them
        redo = _damaged_series(out, store)
        series_notes = [f"{TIMESERIES}/{name} ({why})" for name, why in redo.values()]
        pending += [t for t in tasks if t.index in redo]  # their rows stay: series only
    failed = int(_failed_count(store))
    if on_start is not None:
        on_start(len(done), len(tasks))
    started = time.perf_counter()
    n_workers = 1
    kind = "dask" if scheduler is not None else executor
    if workers == 0:
        workers = _auto_workers(loaded.scenario, len(pending))
    if pending:
        with open_executor(workers, kind=kind, scheduler=scheduler) as pool:  # type: ignore[arg-type]
            n_workers = pool.workers
            stored = len(tasks) - len(pending)
            for i, result in pool.map_unordered(execute_run, pending):
                task = pending[i]
                if isinstance(result, Failure):
                    failed += 1
                elif result["timeseries"] is not None:
                    _write_timeseries(out, task, result["timeseries"])
                if task.index in done:  # re-run for its damaged series only
                    continue
                store.append(task.index, _row(task, result, names))
                stored += 1
                if progress is not None:
                    progress(stored, len(tasks), failed)
    seconds = time.perf_counter() - started
    outcome = SweepOutcome(
        out=out,
        total=len(tasks),
        done=len(store.finished()),
        failed=failed,
        ran_now=len(pending),
        seconds=seconds,
        workers=n_workers,
        executor=kind if (kind == "dask" or workers > 1) else "serial",
        notes=[f"{part} was damaged; its runs ran again" for part in store.damaged]
        + [f"{part} was missing or damaged; its run ran again" for part in series_notes],
    )
    write_outputs(loaded, store, outcome, figures=figures)
    return outcome


def _auto_workers(scenario: Scenario, runs: int) -> int:
    """``--workers 0``: as many one-thread runs side by side as cores, runs and memory allow."""
    from sim.runner import available_memory, estimate_memory

    return auto_workers(runs, estimate_memory(scenario), available_memory())


def _damaged_series(out: Path, store: RunStore) -> dict[int, tuple[str, str]]:
    """Finished runs without a whole time series part: index -> (part name, what is wrong).

    Runs are deterministic, so running one again rewrites the same series.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = store.frame()
    ok = df[df["error"].isna()] if "error" in df else df
    damaged = {}
    for index in ok["index"].astype(int):
        name = f"run-{index:07d}.parquet"
        path = out / TIMESERIES / name
        if not path.is_file():
            damaged[index] = (name, "missing")
            continue
        try:
            pq.read_metadata(path)
        except (OSError, pa.ArrowException) as exc:
            damaged[index] = (name, " ".join(str(exc).split()) or type(exc).__name__)
    return damaged


def _failed_count(store: RunStore) -> int:
    if not store.finished():
        return 0
    df = store.frame()
    return int(df["error"].notna().sum()) if "error" in df else 0


def _row(task: RunTask, outcome: dict[str, Any] | Failure, names: list[str]) -> dict[str, Any]:
    """A run's row: keys, parameter values, every metric (NaN if failed), error."""
    row: dict[str, Any] = {
        "point": task.point,
        "replication": task.replication,
        "seed": task.seed,
        **task.values,
    }
    metrics = {} if isinstance(outcome, Failure) else outcome["metrics"]
    row.update({n: float(metrics.get(n, np.nan)) for n in names})
    row["error"] = outcome.error if isinstance(outcome, Failure) else None
    row["traceback"] = outcome.traceback if isinstance(outcome, Failure) else None
    return row


def _write_timeseries(out: Path, task: RunTask, df: pd.DataFrame) -> None:
    """One run's monthly table, written before its row (a stored row implies its series)."""
    df = df.copy()
    df.insert(0, "index", task.index)
    df.insert(1, "point", task.point)
    df.insert(2, "replication", task.replication)
    atomic_write(
        out / TIMESERIES / f"run-{task.index:07d}.parquet",
        lambda p: df.to_parquet(p, index=False),
    )


def _write_definition(loaded: LoadedSweep, design: DesignPoints, out: Path) -> None:
    """The resolved sweep, base scenario and design, so the folder explains itself."""
    write_text(out / "sweep.yaml", _dump_sweep(loaded.spec))
    write_text(out / "scenario.yaml", dump_yaml(loaded.scenario))
    frame = design.frame()
    atomic_write(out / "design.parquet", lambda p: frame.to_parquet(p, index=False))


def _dump_sweep(spec: Sweep) -> str:
    import yaml

    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def runs_frame(store: RunStore, loaded: LoadedSweep) -> pd.DataFrame:
    """The store's rows in the published column order (tracebacks go to failures.json)."""
    df = store.frame()
    names = metric_names(loaded.spec, loaded.scenario)
    params = list(loaded.spec.parameters)
    cols = [*KEY_COLUMNS, *params, *names, "error"]
    missing = [c for c in cols if c not in df]
    if missing and len(df):
        raise UserError(f"{store.folder}: stored runs lack columns {missing}; choose another --out")
    if not len(df):
        return pd.DataFrame(columns=cols)
    return df[cols].reset_index(drop=True)


def write_outputs(
    loaded: LoadedSweep, store: RunStore, outcome: SweepOutcome, *, figures: bool = True
) -> None:
    """runs.parquet, timeseries.parquet, failures.json, summary.json and figures."""
    out = outcome.out
    full = store.frame()
    runs = runs_frame(store, loaded)
    atomic_write(out / "runs.parquet", lambda p: runs.to_parquet(p, index=False))
    if loaded.spec.keep_timeseries:
        _merge_timeseries(out, sorted(store.finished()))
    failures = (
        full.loc[full["error"].notna(), ["index", "point", "replication", "error", "traceback"]]
        if len(full)
        else pd.DataFrame()
    )
    write_json(out / "failures.json", failures.to_dict(orient="records"))
    summary = sweep_summary(loaded, runs, outcome)
    write_json(out / "summary.json", summary)
    if figures and len(runs):
        from sim.sweep import plots

        plots.save_sweep_figures(loaded, runs, out)
        if loaded.spec.design.kind in ("saltelli", "morris") and outcome.failed == 0:
            from sim.sweep.sensitivity import unreliable_warning, write_sensitivity

            warning = unreliable_warning(write_sensitivity(out), loaded.spec)
            if warning:
                outcome.warnings.append(f"sensitivity indices: {warning}")


def _merge_timeseries(out: Path, indices: list[int]) -> None:
    folder = out / TIMESERIES
    parts = [folder / f"run-{i:07d}.parquet" for i in indices]
    frames = [pd.read_parquet(p) for p in parts if p.exists()]
    if frames:
        df = pd.concat(frames, ignore_index=True)
        atomic_write(out / "timeseries.parquet", lambda p: df.to_parquet(p, index=False))


def sweep_summary(loaded: LoadedSweep, runs: pd.DataFrame, outcome: SweepOutcome) -> dict[str, Any]:
    """Counts, timing, and each metric's median and 5-95 % range over all runs."""
    from importlib.metadata import PackageNotFoundError, version

    spec, scenario = loaded.spec, loaded.scenario
    try:
        pkg = version("telsim")
    except PackageNotFoundError:
        pkg = "unknown"
    ok = runs[runs["error"].isna()] if len(runs) else runs
    metrics = {}
    for name in metric_names(spec, scenario):
        values = ok[name].dropna().to_numpy(dtype=float) if len(ok) else np.array([])
        if values.size:
            q = np.quantile(values, [0.05, 0.5, 0.95])
            metrics[name] = {"p5": float(q[0]), "p50": float(q[1]), "p95": float(q[2])}
    rate = (
        outcome.ran_now / outcome.seconds * 60 if outcome.seconds > 0 and outcome.ran_now else None
    )
    return {
        "sweep": spec.name,
        "description": spec.description,
        "base_scenario": scenario.name,
        "agents": scenario.population.size,
        "months": scenario.simulation.months,
        "design": spec.design.kind,
        "parameters": list(spec.parameters),
        "points": int(runs["point"].nunique()) if len(runs) else 0,
        "replications": spec.replications,
        "runs": {"total": outcome.total, "done": outcome.done, "failed": outcome.failed},
        "complete": outcome.done == outcome.total,
        "failures": [
            {"index": int(r["index"]), "error": r["error"]}
            for _, r in runs[runs["error"].notna()].head(20).iterrows()
        ]
        if len(runs)
        else [],
        "metrics": metrics,
        "session": {
            "runs": outcome.ran_now,
            "seconds": round(outcome.seconds, 2),
            "runs_per_minute": round(rate, 2) if rate else None,
            "workers": outcome.workers,
            "executor": outcome.executor,
        },
        "provenance": {
            "package": "telsim",
            "version": pkg,
            "seed": spec.seed,
            "seeding": "run (point, replication) uses seed replication_seed(sweep seed, replication)",
            "fingerprint": loaded.fingerprint(),
            "scenario_sha256": scenario.digest(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    }


def load_runs(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A finished sweep folder's runs table and summary (for ``telsim sensitivity``)."""
    runs_path, summary_path = folder / "runs.parquet", folder / "summary.json"
    if not runs_path.is_file() or not summary_path.is_file():
        raise UserError(
            f"{folder}: not a finished sweep folder (expected runs.parquet and summary.json, "
            "written by telsim sweep)"
        )
    return pd.read_parquet(runs_path), json.loads(summary_path.read_text(encoding="utf-8"))
