"""One model evaluation of a calibration: parameters in, simulated moments out.

:func:`evaluate` is the module-level, picklable function the executors run (in this
process, a local pool or on Dask). Every evaluation uses the same seed, so replication r
of every trial draws the same random numbers (common random numbers): differences
between trials are the parameters' effect, not noise, and the loss surface is smooth
enough for an optimiser.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.survey import SurveyDesign, SurveyObserver, empty_responses
from sim.calibration.targets import Calibration, Moment, Parameter, apply_parameters
from sim.results import RunResult
from sim.scenario import Scenario


@dataclass(frozen=True)
class Task:
    """Everything one evaluation needs; picklable, so it can travel to any worker.

    Attributes:
        index: the trial (or evaluation) number.
        values: parameter name -> value.
        scenario: the base scenario.
        parameters: the parameters of the calibration.
        surveys: the surveys fielded during the run.
        moments: the moments computed from the run.
        seed: the run's seed (the same for every trial: common random numbers).
        replications: replications of the run.
    """

    index: int
    values: dict[str, float]
    scenario: Scenario
    parameters: tuple[Parameter, ...]
    surveys: tuple[SurveyDesign, ...]
    moments: tuple[Moment, ...]
    seed: int
    replications: int


def make_task(cal: Calibration, index: int, values: dict[str, float], replications: int) -> Task:
    """A task for one parameter point of a calibration."""
    return Task(
        index=index,
        values={k: float(v) for k, v in values.items()},
        scenario=cal.scenario,
        parameters=tuple(cal.spec.parameters),
        surveys=tuple(cal.surveys),
        moments=tuple(cal.moments),
        seed=cal.settings.seed,
        replications=replications,
    )


def evaluate(task: Task) -> dict[str, Any]:
    """Run the scenario at the task's parameters; simulated moments (moments x reps).

    Returns:
        ``{"values": ndarray (moments, replications), "seconds": wall time}``.
    """
    started = time.perf_counter()
    values, _, _ = simulate(task)
    return {"values": values, "seconds": time.perf_counter() - started}


def simulate(task: Task, progress: Any = None) -> tuple[np.ndarray, RunResult, pd.DataFrame]:
    """Run one task: the moment values, the run's tables and the survey responses."""
    from sim.calibration.statistics import moment_values
    from sim.runner import run

    scenario = apply_parameters(task.scenario, list(task.parameters), task.values)
    observer = SurveyObserver(list(task.surveys)) if task.surveys else None
    result = run(
        scenario,
        seed=task.seed,
        replications=task.replications,
        observer=observer,
        progress=progress,
    )
    names = [o.name for o in scenario.all_operators()]
    segs = [s.name for s in scenario.population.segments]
    responses = observer.frame(names, segs) if observer is not None else empty_responses()
    values = moment_values(
        list(task.moments), result.operators, result.segments, responses, task.replications
    )
    return values, result, responses
