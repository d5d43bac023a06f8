"""``calibrate()``: one calibration from a targets file to its output folder.

The CLI (``telsim calibrate``) and the tests call it. It loads and validates the targets
file, runs the search (optuna or ABC-SMC, resumable), runs the best parameters once more
with more replications, and writes the outputs (:mod:`sim.calibration.outputs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.calibration.targets import METHODS, Calibration, load_calibration
from sim.errors import UserError

# Progress: (phase, done, total, best loss or None); phase "search", "profile" or "check".
Progress = Callable[[str, int, int, float | None], None]


def calibrate(
    targets: str | Path,
    out: str | Path,
    *,
    method: str | None = None,
    trials: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    overrides: list[str] | None = None,
    workers: int = 1,
    threads: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    figures: bool = True,
    progress: Progress | None = None,
    on_loaded: Callable[[Calibration], None] | None = None,
    holdout_from: str | None = None,
    holdout_fraction: float | None = None,
    profile: int | None = None,
    start: str | None = None,
) -> dict[str, Any]:
    """Calibrate the targets file's parameters; returns the summary (also in summary.json).

    Args:
        targets: the targets YAML file.
        out: output folder (the resumable trial store and all outputs;
            :func:`sim.outdir.open_results_dir`, kind "calibration").
        method: "tpe", "cmaes" or "abc" (default: the file's settings.method).
        trials: model evaluations (ABC: the simulation budget).
        replications: replications per evaluation.
        seed: seed of every run and of the sampler.
        overrides: ``PATH=VALUE`` changes to the base scenario.
        workers: concurrent evaluations.
        threads: numba threads of the evaluations run in this process (one worker, and
            the check run); default all cores. Results do not depend on it.
        executor: "local" or "dask".
        scheduler: address of a Dask scheduler.
        resume: continue the calibration already in ``out``.
        overwrite: replace what ``out`` holds (another calibration, a run, ...), afresh.
        figures: write the PNG figures.
        progress: called as evaluations finish.
        on_loaded: called with the validated calibration before anything runs.
        holdout_from: fit on the observations before this month (``YYYY-MM``), score
            the rest (replaces the file's ``split``).
        holdout_fraction: fit on the observations but this fraction, drawn with
            ``seed``, and score those (replaces the file's ``split``).
        profile: loss-profile points per parameter after an optuna search (0: none).
        start: where an optuna search starts, "center" or "scenario" (default: the
            file's ``settings.start``).
    """
    from sim.outdir import open_results_dir

    if method is not None and method not in METHODS:
        raise UserError(f"--method: expected one of {', '.join(METHODS)}, got {method!r}")
    if executor not in ("local", "dask"):
        raise UserError(f"--executor: expected local or dask, got {executor!r}")
    if resume and overwrite:
        raise UserError(
            "--resume and --overwrite: expected one of them (--overwrite starts afresh)"
        )
    settings = {
        "method": method,
        "trials": trials,
        "replications": replications,
        "seed": seed,
        "profile": profile,
        "start": start,
    }
    cal = load_calibration(
        targets, overrides, settings, split=split_option(holdout_from, holdout_fraction, seed)
    )
    with open_results_dir(
        out,
        "calibration",
        name=cal.spec.name,
        digest=f"{cal.settings.method}:{cal.digest()}",
        overwrite=overwrite,
        resumable=True,
    ) as folder:
        if on_loaded is not None:
            on_loaded(cal)
        return _calibrate_into(
            cal, folder, workers, threads, executor, scheduler, resume, figures, progress
        )


def _calibrate_into(
    cal: Calibration,
    out: Path,
    workers: int,
    threads: int | None,
    executor: str,
    scheduler: str | None,
    resume: bool,
    figures: bool,
    progress: Progress | None,
) -> dict[str, Any]:
    """The work of :func:`calibrate`, in the folder it opened."""
    if threads is not None:
        from sim.market.model import set_threads

        set_threads(threads)
    started = time.perf_counter()
    search = None if progress is None else (lambda d, t, b: progress("search", d, t, b))
    if cal.settings.method == "abc":
        from sim.calibration.abc import run_abc

        outcome = run_abc(
            cal,
            out,
            workers=workers,
            executor=executor,
            scheduler=scheduler,
            resume=resume,
            progress=search,
        )
        names = [p.name for p in cal.spec.parameters]
        best = outcome.best(names)
        session = {
            "evaluations_now": outcome.ran_now,
            "simulations": outcome.simulations,
            "seconds": round(outcome.seconds, 2),
            "workers": outcome.workers,
            "stopped": outcome.stopped,
        }
        extra: dict[str, Any] = {"posterior": outcome.posterior, "generations": outcome.generations}
    else:
        from sim.calibration.optimize import run_optuna
        from sim.calibration.profile import run_profile
        from sim.sweep.executors import open_executor

        names = [p.name for p in cal.spec.parameters]
        kind = "dask" if scheduler is not None else executor
        with open_executor(workers, kind=kind, scheduler=scheduler) as pool:  # type: ignore[arg-type]
            history = run_optuna(cal, out, resume=resume, progress=search, pool=pool)
            best = history.parameters(history.best(), names)
            profile = None
            if cal.settings.profile > 0:
                started_profile = time.perf_counter()
                profile = run_profile(
                    cal,
                    best,
                    pool,
                    progress=None
                    if progress is None
                    else (lambda d, t: progress("profile", d, t, None)),
                )
        session = {
            "evaluations_now": history.ran_now,
            "seconds": round(history.seconds, 2),
            "workers": history.workers,
            "best_trial": history.best(),
        }
        if profile is not None:
            session["profile_evaluations"] = len(profile)
            session["profile_seconds"] = round(time.perf_counter() - started_profile, 2)
        extra = {"trials": history.frame, "profile": profile}
    from sim.calibration.outputs import check_run, truth_loss, write_outputs

    def check_progress(rep: int, month: int, months: int) -> None:
        if progress is not None:
            progress("check", rep * months + month, check_reps * months, None)

    check_reps = max(cal.settings.check_replications, cal.settings.replications)
    check = check_run(cal, best, progress=check_progress if progress is not None else None)
    truth = {p.name: p.truth for p in cal.spec.parameters}
    if all(v is not None for v in truth.values()):  # a synthetic example: how far is the truth?
        session["loss_at_truth"] = truth_loss(cal, truth)  # type: ignore[arg-type]
    session["wall_seconds"] = round(time.perf_counter() - started, 2)
    return write_outputs(
        cal, out, best=best, check=check, session=session, figures=figures, **extra
    )


def split_option(
    holdout_from: str | None, holdout_fraction: float | None, seed: int | None = None
) -> dict | None:
    """The ``split`` the command line asks for (None: the targets file's own).

    ``seed`` (``--seed``) draws the held-out fraction; without it, ``settings.seed``.
    """
    if holdout_from is not None and holdout_fraction is not None:
        raise UserError("--holdout-from and --holdout-fraction: expected one of them")
    if holdout_from is not None:
        from sim.months import parse_month

        try:
            year, month = parse_month(holdout_from)
        except ValueError:
            raise UserError(
                f"--holdout-from: expected a month YYYY-MM, got {holdout_from!r}"
            ) from None
        return {"holdout_from": f"{year:04d}-{month:02d}"}
    if holdout_fraction is not None:
        if not 0 < holdout_fraction < 1:
            raise UserError(
                f"--holdout-fraction: expected a fraction between 0 and 1, got {holdout_fraction}"
            )
        return {"holdout_fraction": holdout_fraction, "seed": seed}
    return None
