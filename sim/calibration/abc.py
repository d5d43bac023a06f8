"""ABC-SMC posterior of the parameters with pyabc, resumable from its SQLite history.

pyabc proposes particles from the priors (then from perturbed earlier populations),
simulates each with the same seed as every other evaluation (common random numbers) and
accepts it when the distance ``sqrt(sum_k w_k z_k^2)`` (the square root of the SMM loss,
:mod:`sim.calibration.loss`) is below the generation's threshold, which shrinks as the
median of the last accepted distances.

How evaluations run: pyabc drives its own samplers, so the sweep executors are not used
here; the same choice of where is offered. ``--workers 1`` evaluates in this process
(pyabc's single-core sampler: the posterior is then a pure function of the seed);
``--workers N`` uses a spawned local process pool through pyabc's concurrent-futures
sampler (each worker with ``cores // N`` numba threads, as the sweep pool does); a Dask
scheduler (``--scheduler`` or ``--executor dask``) uses pyabc's Dask sampler. With more
than one worker the accepted particles depend on which finish first, so only
``--workers 1`` is reproducible bit for bit.

pyabc keeps every generation in ``abc.db``; ``--resume`` loads it and runs the remaining
generations (and the remaining simulation budget).
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.evaluate import make_task, simulate
from sim.calibration.loss import MISSING_PENALTY, arrays, simulated_means
from sim.calibration.targets import Calibration, Parameter
from sim.engine.rng import stream_key
from sim.errors import UserError
from sim.io import write_json

DB_NAME = "abc.db"
STATE_NAME = "abc.json"
ABC_STREAM = 1901  # derives the numpy seed of each (re)start of pyabc

# Progress callback: (simulations so far, simulation budget, current epsilon or None).
Progress = Callable[[int, int, float | None], None]


def on_log_scale(p: Parameter) -> bool:
    """Whether ABC samples the parameter as ``log10`` of its value.

    A log-uniform prior is uniform in ``log10``: sampling there keeps pyabc's Gaussian
    perturbation kernel in the geometry of the prior. On the natural scale the prior's
    density changes by ``high / low`` across the bounds, so the importance weights
    ``prior / proposal`` pile onto the few particles near the lower bound and the
    effective sample size collapses. The posterior is the same either way (a change of
    variables); :func:`natural` maps particles back.
    """
    return p.prior.kind == "loguniform"


def natural(p: Parameter, value: float) -> float:
    """A particle's coordinate as the parameter's value."""
    return float(10.0**value) if on_log_scale(p) else float(value)


def prior(p: Parameter) -> Any:
    """The pyabc random variable of a parameter's prior (truncated to its range).

    The range is the bounds, or ``prior.low .. prior.high`` inside them
    (:meth:`~sim.calibration.targets.Parameter.for_abc`). Log-uniform priors are
    returned as uniform on ``[log10 low, log10 high]`` (:func:`on_log_scale`).
    """
    import pyabc

    p = p.for_abc()
    pr = p.prior
    if on_log_scale(p):
        low, high = np.log10(p.low), np.log10(p.high)
        return pyabc.RV("uniform", low, high - low)
    if pr.kind == "normal":
        if pr.mean is None or pr.sd is None:  # the Prior validator requires both
            raise ValueError(f"parameter {p.name}: a normal prior needs a mean and an sd")
        a, b = (p.low - pr.mean) / pr.sd, (p.high - pr.mean) / pr.sd
        return pyabc.RV("truncnorm", a, b, loc=pr.mean, scale=pr.sd)
    return pyabc.RV("uniform", p.low, p.high - p.low)


class Model:
    """pyabc model: parameters -> the simulated mean of every moment (picklable)."""

    def __init__(self, cal: Calibration):
        self.cal = cal
        self.keys = [f"m{k}" for k in range(len(cal.moments))]

    def __call__(self, parameters: Any) -> dict[str, float]:
        """Run the scenario at ``parameters`` (one pyabc particle)."""
        values = {p.name: natural(p, parameters[p.name]) for p in self.cal.spec.parameters}
        task = make_task(self.cal, 0, values, self.cal.settings.evaluation_replications)
        sim, _, _ = simulate(task)
        means = simulated_means(sim)
        return dict(zip(self.keys, means.tolist(), strict=True))


class Distance:
    """``sqrt(sum w z^2)`` between simulated and observed moments (NaN: penalised)."""

    def __init__(self, cal: Calibration):
        _, se, w = arrays(cal.moments)
        self.keys = [f"m{k}" for k in range(len(cal.moments))]
        self.se, self.w = se, w

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        """Distance of one simulation ``x`` from the observation ``x0``."""
        sim = np.array([x[k] for k in self.keys], dtype=np.float64)
        obs = np.array([x0[k] for k in self.keys], dtype=np.float64)
        z = (sim - obs) / self.se
        sq = np.where(np.isfinite(z), z * z, MISSING_PENALTY)
        return float(np.sqrt(np.sum(self.w * sq)))


@dataclass
class AbcOutcome:
    """The posterior and the run history of an ABC-SMC calibration.

    Attributes:
        posterior: last generation's particles: one column per parameter, ``weight``
            (normalised) and ``distance``.
        generations: per generation: t, epsilon, particles, simulations, acceptance rate.
        simulations: model evaluations in all (this and earlier sessions).
        ran_now: evaluations in this session.
        seconds: wall time of this session.
        workers: concurrent evaluations used.
        stopped: why pyabc stopped before its budget or generations (None: it did not).
    """

    posterior: pd.DataFrame
    generations: pd.DataFrame
    simulations: int
    ran_now: int
    seconds: float
    workers: int
    stopped: str | None = None

    def best(self, names: list[str]) -> dict[str, float]:
        """The accepted particle closest to the data (ties: the first)."""
        row = self.posterior.sort_values("distance", kind="stable").iloc[0]
        return {n: float(row[n]) for n in names}


def run_abc(
    cal: Calibration,
    out: Path,
    *,
    workers: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
) -> AbcOutcome:
    """Run (or continue) ABC-SMC into ``out/abc.db``; the final population's posterior."""
    import pyabc

    settings, abc_set = cal.settings, cal.settings.abc
    db = out / DB_NAME
    # "log10": histories whose log-uniform parameters are stored as log10 (on_log_scale)
    fingerprint = f"abc-log10:{cal.digest()}"
    _check_state(out, db, fingerprint, resume)
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    started = time.perf_counter()
    obs, _, _ = arrays(cal.moments)
    observed = {f"m{k}": float(v) for k, v in enumerate(obs)}
    stopped = None
    with _sampler(workers, executor, scheduler) as (sampler, n_workers):
        abc = pyabc.ABCSMC(
            Model(cal),
            pyabc.Distribution(**{p.name: prior(p) for p in cal.spec.parameters}),
            Distance(cal),
            population_size=abc_set.population,
            sampler=sampler,
            transitions=_transition(abc_set.transition, abc_set.scaling),
        )
        uri = f"sqlite:///{db.absolute()}"
        if db.exists():
            history = abc.load(uri, 1)
            before, t0 = int(history.total_nr_simulations), int(history.max_t) + 1
        else:
            history = abc.new(uri, observed)
            before, t0 = 0, 0
        write_json(out / STATE_NAME, {"fingerprint": fingerprint})
        generations_left = abc_set.generations - t0
        budget_left = abc_set.simulations - before
        if generations_left > 0 and budget_left > 0:
            # pyabc draws from numpy's global generator, so seeding it fixes the posterior.
            np.random.seed(_numpy_seed(settings.seed, t0))  # noqa: NPY002
            with (
                warnings.catch_warnings(),
                _progress(sampler, before, abc_set.simulations, progress),
            ):
                warnings.simplefilter("ignore")
                try:
                    history = abc.run(
                        minimum_epsilon=abc_set.min_epsilon,
                        max_nr_populations=generations_left,
                        max_total_nr_simulations=abc_set.simulations,
                        # caps one generation at the remaining budget: pyabc checks the
                        # total only between generations, and a low acceptance rate could
                        # run on
                        min_acceptance_rate=abc_set.population / budget_left,
                    )
                except np.linalg.LinAlgError as exc:
                    # a perturbation kernel's covariance broke (degenerate weights): keep
                    # the generations finished, and say so
                    history = abc.history
                    stopped = (
                        f"stopped in generation {int(history.max_t) + 1}: pyabc's perturbation "
                        f"kernel failed ({exc}); the posterior is generation "
                        f"{int(history.max_t)}'s"
                    )
    seconds = time.perf_counter() - started
    total = int(history.total_nr_simulations)
    if history.max_t < 0:
        raise UserError(
            "ABC-SMC finished no generation; raise --trials (for abc: the simulation budget)"
        )
    return AbcOutcome(
        posterior=_posterior(history, cal.spec.parameters),
        generations=_generations(history),
        simulations=total,
        ran_now=total - before,
        seconds=seconds,
        workers=n_workers,
        stopped=stopped,
    )


def _transition(kind: str, scaling: float) -> Any:
    """The perturbation kernel pyabc uses: ``settings.abc.transition`` and ``scaling``."""
    import pyabc

    if kind == "local":
        return pyabc.LocalTransition(k_fraction=0.25, scaling=scaling)
    return pyabc.MultivariateNormalTransition(scaling=scaling)


def _numpy_seed(seed: int, start_generation: int) -> int:
    """Seed of numpy's global generator when pyabc (re)starts at a generation."""
    return int(np.uint64(stream_key(seed, ABC_STREAM, start_generation)) >> np.uint64(32))


def _check_state(out: Path, db: Path, fingerprint: str, resume: bool) -> None:
    """Refuse to overwrite or to resume a different calibration's history."""
    if not db.exists():
        return
    if not resume:
        raise UserError(
            f"--out {out}: already holds an ABC history ({DB_NAME}); pass --resume to continue "
            "it, or choose another --out"
        )
    state = out / STATE_NAME
    try:
        stored = json.loads(state.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        stored = None
    if stored != fingerprint:
        raise UserError(
            f"--out {out}: its ABC history comes from a different calibration (the targets "
            "file, its data, its base scenario, --set, --seed or --replications changed); "
            "choose another --out"
        )


def _posterior(history: Any, parameters: list[Parameter]) -> pd.DataFrame:
    """Last generation: parameter values, normalised weights and distances."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    dist = history.get_weighted_distances(t=history.max_t)
    out = pd.DataFrame({p.name: [natural(p, v) for v in df[p.name].to_numpy()] for p in parameters})
    out["weight"] = np.asarray(w, dtype=np.float64) / np.sum(w)
    out["distance"] = dist["distance"].to_numpy(dtype=np.float64)
    return out


def _generations(history: Any) -> pd.DataFrame:
    """Epsilon, particles and simulations per generation."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "generation": pops["t"].astype(int),
            "epsilon": pops["epsilon"].astype(float),
            "particles": pops["particles"].astype(int),
            "simulations": pops["samples"].astype(int),
        }
    )
    frame["acceptance"] = frame["particles"] / frame["simulations"].clip(lower=1)
    return frame


@contextmanager
def _sampler(workers: int, executor: str, scheduler: str | None) -> Iterator[tuple[Any, int]]:
    """The pyabc sampler for the requested place: this process, a local pool, or Dask."""
    from pyabc.sampler import ConcurrentFutureSampler, SingleCoreSampler

    if workers < 1:
        raise UserError(f"--workers: expected at least 1, got {workers}")
    if scheduler is not None or executor == "dask":
        from pyabc.sampler import DaskDistributedSampler

        from sim.sweep.executors import dask_client

        with dask_client(workers, scheduler) as client:
            n = max(1, sum(client.nthreads().values()))
            yield DaskDistributedSampler(dask_client=client, batch_size=1), n
        return
    if workers == 1:
        yield SingleCoreSampler(), 1
        return
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from sim.sweep.executors import init_pool_worker, threads_per_worker

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_pool_worker,
        initargs=(threads_per_worker(workers), os.getpid()),
    )
    try:
        yield ConcurrentFutureSampler(cfuture_executor=pool, client_max_jobs=workers), workers
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _progress(sampler: Any, before: int, budget: int, progress: Progress | None) -> Iterator[None]:
    """Report simulations as pyabc's sampler counts them (polled from a thread)."""
    if progress is None:
        yield
        return
    import threading

    stop = threading.Event()
    earlier = [0, 0]  # evaluations of finished generations, last count seen

    def poll() -> None:
        # The sampler counts evaluations per generation; a drop means a new generation.
        while not stop.wait(0.5):
            now = int(getattr(sampler, "nr_evaluations_", 0) or 0)
            if now < earlier[1]:
                earlier[0] += earlier[1]
            earlier[1] = now
            progress(before + earlier[0] + now, budget, None)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
