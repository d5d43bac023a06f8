"""Optuna minimisation of the SMM loss: TPE by default, CMA-ES on request, resumable.

Trials run in fixed batches of ``settings.batch``: the batch's parameter points are
asked of optuna together, evaluated through the sweep executors (this process, a local
pool or Dask), and told back in trial order once the batch is done. Before each batch
the sampler is re-created with a seed derived from (calibration seed, batch number), so
its proposals depend only on the trials told before, never on how many workers ran them
or on an interruption: the batch size, not ``--workers``, fixes the sequence.

Each finished trial is appended at once to a :class:`~sim.sweep.store.RunStore`. To
resume, the whole ask/tell sequence is replayed: finished trials are told their stored
loss instead of being run again (their proposals are checked to be the same), so a
resumed calibration ends with exactly the trials of an uninterrupted one.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.evaluate import evaluate, make_task
from sim.calibration.loss import smm_loss
from sim.calibration.targets import Calibration, start_values
from sim.engine.rng import stream_key
from sim.errors import UserError

TRIALS_FOLDER = "trials"
# Stream id for deriving sampler seeds (apart from every model and survey stream).
SAMPLER_STREAM = 1900

# Progress callback: (trials finished, total trials, best loss so far or None).
Progress = Callable[[int, int, float | None], None]


@dataclass
class TrialHistory:
    """The trials of a calibration, in trial order.

    Attributes:
        frame: one row per trial: trial, batch, loss, error, one column per parameter
            (``param.<name>``) and seconds.
        values: trial -> simulated moments (moments x replications) of finished trials.
        ran_now: trials evaluated in this session (the rest came from the store).
        seconds: wall time of this session's evaluations.
        workers: concurrent evaluations used.
    """

    frame: pd.DataFrame
    values: dict[int, np.ndarray]
    ran_now: int
    seconds: float
    workers: int

    def best(self) -> int:
        """Trial number with the lowest loss (ties: the earlier trial)."""
        ok = self.frame[np.isfinite(self.frame["loss"].to_numpy(dtype=float))]
        if ok.empty:
            raise UserError("every trial failed; see trials.parquet for the errors")
        return int(ok.sort_values(["loss", "trial"], kind="stable").iloc[0]["trial"])

    def parameters(self, trial: int, names: list[str]) -> dict[str, float]:
        """Parameter values of one trial."""
        row = self.frame[self.frame["trial"] == trial].iloc[0]
        return {n: float(row[f"param.{n}"]) for n in names}


def sampler_seed(seed: int, batch: int) -> int:
    """Seed of the sampler for one batch (32 bits, as numpy's RandomState wants)."""
    return int(np.uint64(stream_key(seed, SAMPLER_STREAM, batch)) >> np.uint64(32))


START_STEP = 0.1  # CMA-ES's first step from a given start, as a share of each (log) range


def make_sampler(
    method: str, seed: int, n_params: int, start: dict[str, float] | None = None
) -> Any:
    """A fresh optuna sampler: multivariate TPE, or CMA-ES (from ``start`` if given)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        # x0 and sigma0 are deprecated since optuna 4.9 and due to go in 6.0 (pyproject caps
        # optuna below 6): its warm start from earlier trials needs a study we do not ship.
        warnings.simplefilter("ignore", FutureWarning)
        if method == "cmaes":
            return optuna.samplers.CmaEsSampler(
                x0=start,
                sigma0=START_STEP if start is not None else None,
                seed=seed,
                warn_independent_sampling=False,
            )
        if method == "tpe":
            return optuna.samplers.TPESampler(
                seed=seed,
                n_startup_trials=max(8, 2 * n_params),
                multivariate=True,
            )
    raise UserError(f"--method: expected tpe or cmaes for optuna, got {method!r}")


def open_store(cal: Calibration, out: Path, method: str, resume: bool) -> Any:
    """The calibration's RunStore, with calibration wording for refusals."""
    from sim.sweep.store import RunStore, StoreInUse, StoreMismatch

    folder = out / TRIALS_FOLDER
    fingerprint = f"{method}:{cal.digest()}"
    try:
        return RunStore(folder, fingerprint=fingerprint, resume=resume)
    except StoreInUse:
        raise UserError(
            f"--out {out}: already holds trials of a calibration; pass --resume to "
            "continue it, or choose another --out"
        ) from None
    except StoreMismatch:
        raise UserError(
            f"--out {out}: its trials come from a different calibration (the targets file, "
            "its data, its base scenario, --set, --method, --seed, --replications or the "
            "batch size changed); choose another --out, or restore them to resume"
        ) from None


def run_optuna(
    cal: Calibration,
    out: Path,
    *,
    workers: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    pool: Any = None,
) -> TrialHistory:
    """Run (or finish) ``settings.trials`` optuna trials; every trial stored at once.

    ``pool``: an open executor to run on (the caller's, shared with the profile);
    without one, an executor is opened from ``workers``, ``executor`` and ``scheduler``.
    """
    from contextlib import nullcontext

    import optuna

    from sim.sweep.executors import open_executor

    settings = cal.settings
    method = settings.method
    params = cal.spec.parameters
    names = [p.name for p in params]
    dists = {
        p.name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log) for p in params
    }
    store = open_store(cal, out, method, resume)
    stored = _stored_rows(store)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = start_values(cal)
    study = optuna.create_study(
        direction="minimize", sampler=make_sampler(method, 0, len(names), start)
    )
    if start is not None:  # evaluated first; CMA-ES's own steps begin after the first batch
        study.enqueue_trial(start)
    total = settings.trials
    batch = settings.batch
    values: dict[int, np.ndarray] = {}
    rows: dict[int, dict[str, Any]] = {}
    best: float | None = None
    ran_now, seconds, n_workers = 0, 0.0, 1
    kind = "dask" if scheduler is not None else executor
    opened = (
        nullcontext(pool)
        if pool is not None
        else open_executor(workers, kind=kind, scheduler=scheduler)  # type: ignore[arg-type]
    )
    with opened as pool:
        n_workers = pool.workers
        for b, first in enumerate(range(0, total, batch)):
            study.sampler = make_sampler(method, sampler_seed(settings.seed, b), len(names), start)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                asked = [study.ask(dists) for _ in range(first, min(first + batch, total))]
            tasks = []
            for trial in asked:
                point = {n: float(trial.params[n]) for n in names}
                if trial.number in stored:
                    _check_replay(trial.number, point, stored[trial.number], out)
                    rows[trial.number] = stored[trial.number]
                else:
                    tasks.append(make_task(cal, trial.number, point, settings.replications))
            started = time.perf_counter()
            for i, outcome in pool.map_unordered(evaluate, tasks):
                task = tasks[i]
                row = _row(cal, task.index, b, task.values, outcome)
                store.append(task.index, row)
                rows[task.index] = row
                ran_now += 1
                if np.isfinite(row["loss"]) and (best is None or row["loss"] < best):
                    best = row["loss"]
                if progress is not None:
                    progress(len(rows), total, best)
            seconds += time.perf_counter() - started
            for trial in asked:
                row = rows[trial.number]
                if row["error"] is None and np.isfinite(row["loss"]):
                    study.tell(trial, float(row["loss"]))
                else:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                if np.isfinite(row["loss"]) and (best is None or row["loss"] < best):
                    best = row["loss"]
            if progress is not None:
                progress(len(rows), total, best)
    for k, row in rows.items():
        if row["values"]:
            values[k] = np.array(json.loads(row["values"]), dtype=np.float64)
    frame = pd.DataFrame(
        [{k: v for k, v in rows[i].items() if k != "values"} for i in sorted(rows)]
    )
    return TrialHistory(
        frame=frame, values=values, ran_now=ran_now, seconds=seconds, workers=n_workers
    )


def _row(
    cal: Calibration, index: int, batch: int, point: dict[str, float], outcome: Any
) -> dict[str, Any]:
    """A trial's stored row: keys, parameters, loss, moments (as JSON) or the error."""
    from sim.sweep.executors import Failure

    row: dict[str, Any] = {"trial": index, "batch": batch}
    row.update({f"param.{k}": float(v) for k, v in point.items()})
    if isinstance(outcome, Failure):
        row.update(loss=float("nan"), error=outcome.error, seconds=float("nan"), values="")
        return row
    sim = np.asarray(outcome["values"], dtype=np.float64)
    row.update(
        loss=smm_loss(cal.moments, sim),
        error=None,
        seconds=float(outcome["seconds"]),
        values=json.dumps(sim.tolist()),
    )
    return row


def _stored_rows(store: Any) -> dict[int, dict[str, Any]]:
    """Rows already in the store, by trial number, as plain dicts."""
    if not store.finished():
        return {}
    df = store.frame()
    out = {}
    for rec in df.to_dict(orient="records"):
        rec.pop("index", None)
        err = rec.get("error")
        rec["error"] = None if err is None or (isinstance(err, float) and np.isnan(err)) else err
        rec["trial"] = int(rec["trial"])
        rec["batch"] = int(rec["batch"])
        rec["loss"] = float(rec["loss"])
        out[rec["trial"]] = rec
    return out


def _check_replay(trial: int, point: dict[str, float], row: dict[str, Any], out: Path) -> None:
    """A replayed trial must propose what the stored one ran, or resuming would mix runs."""
    for name, value in point.items():
        if row.get(f"param.{name}") != value:
            raise UserError(
                f"--out {out}: cannot resume: trial {trial} now proposes {name}={value!r} but "
                f"the stored trial ran {row.get(f'param.{name}')!r} (was optuna upgraded?); "
                "choose another --out"
            )
