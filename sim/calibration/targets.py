"""Targets files: the schema (pydantic), CSV loading with declared column mappings, moments.

A targets file names a base scenario, the parameters to fit (dotted scenario paths with
bounds, and priors for ABC), the simulated surveys to field, the data tables (CSV files
with a column mapping) and the targets. Each target pairs a simulated statistic with
observed values; a target backed by a data table becomes one *moment* per table row
(an operator at a month, a survey group), so one entry can hold a whole time series.
:func:`load_calibration` validates all of it and returns the moments ready for the loss.

Every problem is one :class:`~sim.errors.UserError` naming the file, the field and what
was expected, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.calibration.survey import REASONS, SurveyDesign
from sim.errors import UserError
from sim.io import read_yaml_mapping
from sim.months import date_of_month, month_of_date
from sim.scenario import (
    Scenario,
    format_validation_error,
    load_scenario,
    with_months,
    with_overrides,
)

MARKET_KINDS = (
    "subscribers",
    "share",
    "net_adds",
    "churn_rate",
    "handsets",
    "handset_share",
)
SURVEY_KINDS = ("satisfaction", "intention", "on_contract", "tenure", "adopt", "churned", "reason")
# Statistics that are proportions: an observed value with only a sample size n gets the
# binomial standard error.
SHARE_KINDS = frozenset(
    {
        "share",
        "handset_share",
        "churn_rate",
        "intention",
        "on_contract",
        "adopt",
        "churned",
        "reason",
    }
)
METHODS = ("tpe", "cmaes", "abc")


class Spec(BaseModel):
    """Base of every targets-file model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class Prior(Spec):
    """Prior of a parameter for ABC (optuna samples within the bounds)."""

    kind: Literal["uniform", "loguniform", "normal"] = Field(
        "uniform",
        description="uniform or loguniform on [low, high], or normal(mean, sd) truncated to [low, high].",
    )
    mean: float | None = Field(None, description="normal: mean.")
    sd: float | None = Field(None, gt=0, description="normal: standard deviation.")
    low: float | None = Field(
        None,
        description=(
            "The prior's own lower end inside the parameter's bounds (default: low), e.g. "
            "to sample only the basin an optimiser found; say so where the posterior is shown."
        ),
    )
    high: float | None = Field(None, description="The prior's own upper end (default: high).")

    @model_validator(mode="after")
    def _normal_needs(self) -> Prior:
        if self.kind == "normal" and (self.mean is None or self.sd is None):
            raise ValueError("a normal prior needs mean and sd")
        return self


class Parameter(Spec):
    """A behaviour parameter to fit: one value written to one or more scenario paths."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Short identifier.")
    path: str | None = Field(
        None, description="Dotted scenario path, as for --set (e.g. behaviour.K_max)."
    )
    paths: list[str] | None = Field(None, description="Several paths that take the same value.")
    low: float = Field(description="Lower bound.")
    high: float = Field(description="Upper bound.")
    log: bool = Field(False, description="Search on a log scale (bounds must be > 0).")
    scale: bool = Field(
        False,
        description="The value multiplies the base scenario's value at each path instead of replacing it.",
    )
    prior: Prior = Field(
        default_factory=Prior,
        description="Prior for ABC (default: uniform, or loguniform for a log parameter).",
    )
    truth: float | None = Field(
        None, description="Known true value (synthetic examples): drawn in the figures."
    )

    @model_validator(mode="after")
    def _check(self) -> Parameter:
        if (self.path is None) == (self.paths is None):
            raise ValueError(f"parameter {self.name}: give exactly one of path or paths")
        if not self.low < self.high:
            raise ValueError(
                f"parameter {self.name}: low must be below high, got {self.low} and {self.high}"
            )
        if self.log and "kind" not in self.prior.model_fields_set:
            # the prior follows the search scale
            self.prior = self.prior.model_copy(update={"kind": "loguniform"})
        if (self.log or self.prior.kind == "loguniform") and self.low <= 0:
            raise ValueError(f"parameter {self.name}: a log scale needs low > 0, got {self.low}")
        return self

    def grid(self, points: int) -> np.ndarray:
        """``points`` values from low to high, evenly spaced on the parameter's scale."""
        if self.log:
            return np.geomspace(self.low, self.high, points)
        return np.linspace(self.low, self.high, points)

    def for_abc(self) -> Parameter:
        """The parameter with its bounds narrowed to its prior's range (``prior.low/high``).

        ABC samples, judges "at bound" and draws its histograms over this range.
        """
        low = self.low if self.prior.low is None else self.prior.low
        high = self.high if self.prior.high is None else self.prior.high
        return self.model_copy(update={"low": low, "high": high})

    @property
    def targets(self) -> list[str]:
        """The scenario paths this parameter writes."""
        return [self.path] if self.path is not None else list(self.paths or [])


class Survey(Spec):
    """A simulated survey fielded during every run (see :mod:`sim.calibration.survey`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Survey name.")
    months: list[int] = Field(min_length=1, description="Wave months (0 = the initial state).")
    respondents: int = Field(ge=1, le=10_000_000, description="Respondents per wave.")
    quota: Literal["proportional", "equal"] = Field(
        "proportional",
        description="Segment x operator quotas: proportional to the cells' sizes, or equal.",
    )
    operators: list[str] | None = Field(None, description="Operators sampled (default: all).")
    segments: list[str] | None = Field(None, description="Segments sampled (default: all).")
    follow_up: int = Field(
        0,
        ge=0,
        description="Months after a wave at which 'churned' is recorded (0: no follow-up).",
    )
    adopt_generation: int = Field(
        3, ge=3, le=5, description="Generation G of the 'adopt' question."
    )


class Columns(Spec):
    """Which CSV column holds what. Only ``value`` is required."""

    value: str = Field(description="Observed value.")
    se: str | None = Field(None, description="Standard error of the value.")
    n: str | None = Field(None, description="Sample size (respondents) behind the value.")
    sd: str | None = Field(None, description="Standard deviation of the answers (means, with n).")
    month: str | None = Field(None, description="Model month (integer).")
    date: str | None = Field(
        None,
        description="Calendar month YYYY-MM: the model month labelled so (month = date - simulation.start).",
    )
    operator: str | None = Field(None, description="Operator.")
    segment: str | None = Field(None, description="Segment.")
    group: str | None = Field(None, description="Survey group (see statistic.by).")
    weight: str | None = Field(None, description="Per-row weight (times the target weight).")


class DataTable(Spec):
    """A CSV file of observations and how to read it."""

    file: str = Field(description="CSV file; a relative path is taken from the targets file.")
    columns: Columns
    where: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Keep only rows whose column equals the value (or one of the values).",
    )
    values: dict[Literal["operator", "segment", "group"], dict[str, str]] = Field(
        default_factory=dict,
        description="Renames of key values, e.g. operator: {CM: Mobile}; rows whose key has no entry are dropped.",
    )
    scale: float = Field(
        1.0, gt=0, description="Multiplies value, se and sd (e.g. 1e6 for millions)."
    )


class Statistic(Spec):
    """What to compute from a run (market tables) or from a simulated survey."""

    kind: Literal[
        "subscribers",
        "share",
        "net_adds",
        "churn_rate",
        "handsets",
        "handset_share",
        "satisfaction",
        "intention",
        "on_contract",
        "tenure",
        "adopt",
        "churned",
        "reason",
    ] = Field(description="Market statistic or survey question.")
    operator: str | None = Field(None, description="Operator (default: all, or per data row).")
    segment: str | None = Field(None, description="Segment (default: all, or per data row).")
    generation: int | None = Field(
        None, ge=2, le=5, description="handsets, handset_share: the generation counted."
    )
    survey: str | None = Field(None, description="Survey questions: which survey.")
    by: Literal["segment", "operator", "contract", "tenure_band", "handset_gen"] | None = Field(
        None, description="Survey questions: the grouping of the data's group column."
    )
    bands: list[int] | None = Field(
        None,
        description="by tenure_band: band edges in months; labels 'lo-hi' with hi = next edge - 1.",
    )
    reason: Literal["base", "dissatisfied", "contract_ended", "offer", "social"] | None = Field(
        None, description="reason: the reason whose share among leavers is compared."
    )

    @model_validator(mode="after")
    def _needs(self) -> Statistic:
        if self.kind in SURVEY_KINDS and self.survey is None:
            raise ValueError(f"statistic {self.kind} is a survey question: name the survey")
        if self.kind in MARKET_KINDS and (self.survey or self.by):
            raise ValueError(
                f"statistic {self.kind} comes from the market tables: remove survey/by"
            )
        if self.kind in ("handsets", "handset_share") and self.generation is None:
            raise ValueError(f"statistic {self.kind} needs a generation")
        if self.kind == "reason" and self.reason is None:
            raise ValueError(f"statistic reason needs reason: one of {list(REASONS)}")
        if self.by == "tenure_band" and (not self.bands or len(self.bands) < 2):
            raise ValueError("by tenure_band needs bands: at least two increasing edges")
        if self.bands and any(b >= a for a, b in zip(self.bands[1:], self.bands, strict=False)):
            raise ValueError(f"bands must increase, got {self.bands}")
        return self


class Observed(Spec):
    """One observed value given inline."""

    value: float
    se: float | None = Field(None, gt=0, description="Standard error.")
    n: int | None = Field(None, ge=1, description="Sample size.")
    sd: float | None = Field(None, gt=0, description="Standard deviation of answers (with n).")


class Target(Spec):
    """A simulated statistic and its observed value(s)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Target name.")
    statistic: Statistic
    data: str | None = Field(None, description="Data table whose rows are the observations.")
    observed: Observed | None = Field(None, description="A single observation given inline.")
    month: int | None = Field(None, ge=0, description="Month compared (where the data give none).")
    months: list[int] | None = Field(
        None, description="Compare only at these months (rows at other months are dropped)."
    )
    group: str | None = Field(None, description="Inline: the survey group compared.")
    se: float | None = Field(None, gt=0, description="Standard error where the data give none.")
    rel_se: float | None = Field(
        None,
        gt=0,
        description="Standard error as a fraction of the value where the data give none.",
    )
    weight: float = Field(1.0, ge=0, description="Weight of each of its moments in the loss.")

    @model_validator(mode="after")
    def _source(self) -> Target:
        if (self.data is None) == (self.observed is None):
            raise ValueError(f"target {self.name}: give exactly one of data or observed")
        return self


class AbcSettings(Spec):
    """ABC-SMC (pyabc) settings."""

    population: int = Field(50, ge=5, description="Particles per generation.")
    generations: int = Field(6, ge=1, description="Maximum number of generations.")
    simulations: int = Field(
        1000, ge=1, description="Most model evaluations in all (--trials sets it for abc)."
    )
    min_epsilon: float = Field(0.0, ge=0, description="Stop when the distance threshold is below.")
    transition: Literal["normal", "local"] = Field(
        "normal",
        description=(
            "How particles are perturbed: one multivariate normal fitted to the whole "
            "population, or local (each particle's covariance from its nearest neighbours, "
            "for a posterior that is narrow and curved in many dimensions)."
        ),
    )
    replications: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="Replications per simulation (default: settings.replications).",
    )
    scaling: float = Field(
        1.0,
        gt=0,
        le=10,
        description=(
            "Width of the perturbation kernel, times pyabc's (Silverman's rule): wider "
            "proposals give more even importance weights in many dimensions, at a lower "
            "acceptance rate."
        ),
    )


class Settings(Spec):
    """How to run the calibration; the command line overrides these."""

    method: Literal["tpe", "cmaes", "abc"] = Field("tpe", description="Optimiser or sampler.")
    trials: int = Field(100, ge=1, description="Optuna trials (model evaluations).")
    replications: int = Field(
        1, ge=1, le=1000, description="Replications per evaluation (common random numbers)."
    )
    check_replications: int = Field(
        10, ge=1, le=1000, description="Replications of the final run at the best parameters."
    )
    seed: int = Field(1, ge=0, lt=2**63, description="Seed of the runs and of the sampler.")
    batch: int = Field(
        4,
        ge=1,
        le=256,
        description="Trials asked of optuna at once; fixed, so results do not depend on --workers.",
    )
    profile: int = Field(
        8,
        ge=0,
        le=100,
        description="tpe/cmaes: points per parameter of the loss profile after the search "
        "(identification; 0: none).",
    )
    start: Literal["center", "scenario"] | dict[str, float] = Field(
        "center",
        description=(
            "tpe/cmaes: where the search starts: the middle of the bounds, the base "
            "scenario's values (after --set), or given values by parameter name (the rest "
            "from the scenario), to refine an earlier fit after a model change. The start "
            "is the first trial; cmaes then steps from it by a tenth of each range."
        ),
    )
    abc: AbcSettings = Field(default_factory=AbcSettings)

    @property
    def evaluation_replications(self) -> int:
        """Replications of one evaluation of the method that runs (ABC may set its own)."""
        if self.method == "abc" and self.abc.replications is not None:
            return self.abc.replications
        return self.replications


class Split(Spec):
    """Which observations are held out of the fit, to score the forecast on them."""

    holdout_from: str | None = Field(
        None,
        pattern=r"^\d{4}-\d{2}$",
        description="Series: observations dated this month (YYYY-MM) or later are held out.",
    )
    holdout_fraction: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Rows: this fraction of the observations, drawn with seed, is held out.",
    )
    seed: int | None = Field(
        None, ge=0, description="Seed of the holdout_fraction draw (default: settings.seed)."
    )

    @model_validator(mode="after")
    def _one(self) -> Split:
        if (self.holdout_from is None) == (self.holdout_fraction is None):
            raise ValueError("give exactly one of holdout_from or holdout_fraction")
        return self


class TargetsFile(Spec):
    """A calibration: base scenario, parameters, surveys, data and targets."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Calibration name.")
    description: str = Field("", description="What is fitted to what.")
    scenario: str = Field(description="Base scenario file, relative to the targets file.")
    set: list[str] = Field(default_factory=list, description="Overrides on the base scenario.")
    parameters: list[Parameter] = Field(min_length=1)
    surveys: list[Survey] = Field(default_factory=list)
    data: dict[str, DataTable] = Field(default_factory=dict)
    targets: list[Target] = Field(min_length=1)
    settings: Settings = Field(default_factory=Settings)
    split: Split | None = Field(None, description="Observations held out of the fit.")

    @model_validator(mode="after")
    def _unique(self) -> TargetsFile:
        for what, names in (
            ("parameters", [p.name for p in self.parameters]),
            ("surveys", [s.name for s in self.surveys]),
            ("targets", [t.name for t in self.targets]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what}: names must be unique, repeated: {dupes}")
        return self


# --------------------------------------------------------------------------- moments
@dataclass(frozen=True)
class Moment:
    """One compared number: a statistic at its selectors, observed value and weight.

    ``month`` is None for a survey statistic pooled over all waves.
    """

    target: str
    label: str
    kind: str
    observed: float
    se: float
    weight: float
    month: int | None = None
    operator: str | None = None
    segment: str | None = None
    survey: str | None = None
    by: str | None = None
    group: str | None = None
    generation: int | None = None
    bands: tuple[int, ...] | None = None
    reason: str | None = None
    holdout: bool = False

    @property
    def key(self) -> str:
        """Unique name of the moment: ``target[label]``."""
        return f"{self.target}[{self.label}]"


@dataclass
class Calibration:
    """A validated targets file with its base scenario and expanded moments."""

    spec: TargetsFile
    path: Path
    scenario: Scenario
    moments: list[Moment]
    surveys: list[SurveyDesign] = field(default_factory=list)
    base: Scenario | None = None

    @property
    def forecast_base(self) -> Scenario:
        """The base scenario without the calibration-only run settings (:data:`RUN_SIZE`)."""
        return self.base if self.base is not None else self.scenario

    @property
    def train(self) -> list[Moment]:
        """The moments the fit uses."""
        return [m for m in self.moments if not m.holdout]

    @property
    def settings(self) -> Settings:
        """Run settings (after command-line overrides)."""
        return self.spec.settings

    def digest(self) -> str:
        """SHA-256 of what defines the trials: spec, moments and the base scenario.

        The number of trials is left out, so a resumed calibration may ask for more.
        """
        spec = self.spec.model_dump(mode="json")
        spec["settings"].pop("trials", None)
        spec["settings"].pop("check_replications", None)
        spec["settings"].pop("profile", None)
        spec["settings"]["abc"].pop("simulations", None)
        spec["settings"]["abc"].pop("generations", None)
        payload = {
            "spec": spec,
            "moments": [m.__dict__ for m in self.moments],
            "scenario": self.scenario.digest(),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def load_calibration(
    path: str | Path,
    overrides: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    *,
    expand: bool = True,
    scenario: str | Path | None = None,
    split: dict[str, Any] | None = None,
) -> Calibration:
    """Read, validate and expand a targets file.

    Args:
        path: the targets YAML file.
        overrides: ``PATH=VALUE`` changes to the base scenario (after the file's ``set``).
        settings: changes to ``settings`` (the command line's ``--trials`` and so on).
        expand: read the data and build the moments (False: only the scenario,
            parameters and surveys, e.g. to simulate the data of a synthetic example).
        scenario: score this scenario file instead of fitting the file's base scenario:
            the targets file's ``set`` and parameters are not applied.
        split: replaces the file's ``split`` (the command line's ``--holdout-*``).

    Raises:
        UserError: one message naming the file, the field and what was expected.
    """
    path = Path(path)
    raw = read_yaml_mapping(path, "targets")
    if settings:
        raw.setdefault("settings", {})
        if not isinstance(raw["settings"], dict):
            raise UserError(f"{path}: settings: expected a mapping")
        given = {k: v for k, v in settings.items() if v is not None}
        method = given.get("method", raw["settings"].get("method"))
        if method == "abc" and "trials" in given:  # ABC's budget is counted in simulations
            abc = raw["settings"].setdefault("abc", {})
            if isinstance(abc, dict):
                abc["simulations"] = given.pop("trials")
        raw["settings"].update(given)
    if split:
        raw["split"] = split
    try:
        spec = TargetsFile.model_validate(raw)
    except ValidationError as exc:
        raise UserError(format_validation_error(exc, raw, str(path))) from None
    if scenario is not None:
        base = run = load_scenario(scenario, list(overrides or []))
    else:
        base, run = _base_scenario(path, spec, list(overrides or []))
        _check_parameters(path, spec, run)
    surveys = _check_surveys(path, spec, run)
    moments = []
    for target in spec.targets if expand else []:
        moments.extend(_expand(path, target, spec, run))
    if spec.split is not None and expand:
        moments = _split(path, spec, moments, run)
    cal = Calibration(
        spec=spec, path=path, scenario=run, moments=moments, surveys=surveys, base=base
    )
    start_values(cal)  # a start outside the bounds fails here, before anything runs
    return cal


# Run settings that only size the calibration's runs: the calibrated scenario keeps the
# base scenario's own (its horizon, population, replications and seed), so it forecasts.
RUN_SIZE = ("population.size", "simulation.months", "simulation.replications", "simulation.seed")


def _base_scenario(
    path: Path, spec: TargetsFile, overrides: list[str]
) -> tuple[Scenario, Scenario]:
    """The base scenario with the model's overrides, and the same sized for the fit.

    ``set`` and ``--set`` entries on :data:`RUN_SIZE` paths size the calibration's runs
    only; ``simulation.months`` drops the events after the calibration's last month.
    """
    scenario_path = path.parent / spec.scenario
    if not scenario_path.is_file():
        raise UserError(f"{path}: scenario: {_missing(spec.scenario, path)}")
    changes = [*spec.set, *overrides]
    sizing = [c for c in changes if c.partition("=")[0].strip() in RUN_SIZE]
    try:
        base = load_scenario(scenario_path, [c for c in changes if c not in sizing])
        run = base
        for change in sizing:
            key, _, value = change.partition("=")
            if key.strip() == "simulation.months" and value.strip().isdigit():
                run, _ = with_months(run, int(value), source="set")
            else:
                run = with_overrides(run, [change], source="set")
    except UserError as exc:
        raise UserError(f"{path}: scenario {spec.scenario}: {exc}") from None
    return base, run


def _split(path: Path, spec: TargetsFile, moments: list[Moment], sc: Scenario) -> list[Moment]:
    """The moments with the held-out ones marked (see :class:`Split`)."""
    split = spec.split
    assert split is not None
    if split.holdout_from is not None:
        first = month_of_date(split.holdout_from, sc.simulation.start)
        if not 1 <= first <= sc.simulation.months:
            raise UserError(
                f"{path}: split.holdout_from: {split.holdout_from} is month {first}; expected "
                f"a month of the run, {date_of_month(1, sc.simulation.start)} .. "
                f"{date_of_month(sc.simulation.months, sc.simulation.start)}"
            )
        out = [
            dataclasses.replace(m, holdout=m.month is not None and m.month >= first)
            for m in moments
        ]
        what = f"split.holdout_from {split.holdout_from}"
    else:
        seed = spec.settings.seed if split.seed is None else split.seed
        draw = {m.key: hashlib.sha256(f"{seed}:{m.key}".encode()).hexdigest() for m in moments}
        n_out = max(1, round(float(split.holdout_fraction or 0.0) * len(moments)))
        held = set(sorted(draw, key=draw.__getitem__)[:n_out])
        out = [dataclasses.replace(m, holdout=m.key in held) for m in moments]
        what = f"split.holdout_fraction {split.holdout_fraction}"
    n_held = sum(m.holdout for m in out)
    if n_held == 0 or n_held == len(out):
        left = "no observation" if n_held == 0 else "every observation"
        raise UserError(
            f"{path}: {what} holds out {left} of {len(out)}; expected some to fit and some to test"
        )
    return out


# --------------------------------------------------------------------------- parameters
def apply_parameters(
    scenario: Scenario, parameters: list[Parameter], values: dict[str, float]
) -> Scenario:
    """The scenario with each parameter's value written to its paths (validated)."""
    from sim.scenario import apply_overrides, validate_scenario

    raw = scenario.model_dump(mode="json")
    changes: dict[str, Any] = {}
    for p in parameters:
        for target in p.targets:
            value = float(values[p.name])
            if p.scale:
                value *= float(_get_path(raw, target))
            changes[target] = value
    try:
        return validate_scenario(apply_overrides(raw, changes), source="parameters")
    except UserError as exc:
        names = ", ".join(f"{k}={v!r}" for k, v in values.items())
        raise UserError(f"{exc} (parameter values: {names})") from None


def scenario_values(scenario: Scenario, parameters: list[Parameter]) -> dict[str, float]:
    """Each parameter's value in ``scenario`` (at its first path), clipped into its bounds.

    A ``scale`` parameter's value there is 1 (the base value itself).
    """
    raw = scenario.model_dump(mode="json")
    values = {}
    for p in parameters:
        value = 1.0 if p.scale else float(_get_path(raw, p.targets[0]))
        values[p.name] = min(max(value, p.low), p.high)
    return values


def start_values(cal: Calibration) -> dict[str, float] | None:
    """Where an optuna search starts (``settings.start``); None: the middle of the bounds."""
    start = cal.settings.start
    if start == "center":
        return None
    values = scenario_values(cal.scenario, cal.spec.parameters)
    if isinstance(start, dict):
        bounds = {p.name: (p.low, p.high) for p in cal.spec.parameters}
        for name, value in start.items():
            if name not in bounds:
                raise UserError(
                    f"{cal.path}: settings.start.{name}: not a parameter; expected one of "
                    f"{', '.join(bounds)}"
                )
            low, high = bounds[name]
            if not low <= value <= high:
                raise UserError(
                    f"{cal.path}: settings.start.{name}: {value} is outside the "
                    f"parameter's bounds; expected {low} .. {high}"
                )
            values[name] = float(value)
    return values


def _get_path(raw: dict[str, Any], path: str) -> Any:
    """Value at a dotted path of a scenario mapping (list items by index or name)."""
    node: Any = raw
    for key in path.split("."):
        if isinstance(node, list):
            if key.lstrip("-").isdigit():
                node = node[int(key)]
            else:
                node = next(x for x in node if isinstance(x, dict) and x.get("name") == key)
        else:
            node = node[key]
    return node


def _check_parameters(path: Path, spec: TargetsFile, scenario: Scenario) -> None:
    """Every path exists and accepts both bounds; scale paths hold numbers."""
    raw = scenario.model_dump(mode="json")
    for p in spec.parameters:
        for target in p.targets:
            try:
                base = _get_path(raw, target)
            except (KeyError, StopIteration, IndexError, TypeError):
                base = None
                try:
                    with_overrides(scenario, {target: p.low})
                except UserError as exc:
                    raise UserError(
                        f"{path}: parameters[{p.name}].path: {target!r} is not a scenario field "
                        f"({str(exc).removeprefix('--set ')})"
                    ) from None
            if p.scale and not isinstance(base, int | float):
                raise UserError(
                    f"{path}: parameters[{p.name}]: scale needs a number at {target!r}, "
                    f"the base scenario has {base!r}"
                )
        for bound in (p.low, p.high):
            try:
                apply_parameters(scenario, [p], {p.name: bound})
            except UserError as exc:
                raise UserError(
                    f"{path}: parameters[{p.name}]: the scenario does not accept the bound {bound}: {exc}"
                ) from None
        pr = p.prior
        q = p.for_abc()
        if not p.low <= q.low < q.high <= p.high:
            raise UserError(
                f"{path}: parameters[{p.name}].prior: expected low < high inside the bounds "
                f"[{p.low}, {p.high}], got {q.low} .. {q.high}"
            )
        if pr.kind == "normal" and not p.low <= (pr.mean or 0.0) <= p.high:
            raise UserError(
                f"{path}: parameters[{p.name}].prior.mean: expected a value in [{p.low}, {p.high}], got {pr.mean}"
            )
        if p.truth is not None and not p.low <= p.truth <= p.high:
            raise UserError(
                f"{path}: parameters[{p.name}].truth: expected a value in [{p.low}, {p.high}], got {p.truth}"
            )


# --------------------------------------------------------------------------- surveys
def _check_surveys(path: Path, spec: TargetsFile, scenario: Scenario) -> list[SurveyDesign]:
    months = scenario.simulation.months
    ops = [o.name for o in scenario.all_operators()]
    segs = [s.name for s in scenario.population.segments]
    designs = []
    for k, s in enumerate(spec.surveys):
        for m in s.months:
            if not 0 <= m <= months:
                raise UserError(
                    f"{path}: surveys[{s.name}].months: expected months in 0..{months}, got {m}"
                )
            if s.follow_up and m + s.follow_up > months:
                raise UserError(
                    f"{path}: surveys[{s.name}].follow_up: wave {m} + {s.follow_up} months is after "
                    f"the last month {months}"
                )
        for what, names, known in (("operators", s.operators, ops), ("segments", s.segments, segs)):
            for name in names or []:
                if name not in known:
                    raise UserError(
                        f"{path}: surveys[{s.name}].{what}: unknown {what[:-1]} {name!r}; known: {known}"
                    )
        designs.append(
            SurveyDesign(
                name=s.name,
                number=k,
                months=tuple(sorted(set(s.months))),
                respondents=s.respondents,
                quota=s.quota,
                operators=tuple(s.operators) if s.operators else None,
                segments=tuple(s.segments) if s.segments else None,
                follow_up=s.follow_up,
                adopt_generation=s.adopt_generation,
            )
        )
    return designs


# --------------------------------------------------------------------------- targets
def _expand(path: Path, target: Target, spec: TargetsFile, scenario: Scenario) -> list[Moment]:
    """The moments of one target: one inline observation or one per data row."""
    where = f"{path}: targets[{target.name}]"
    st = target.statistic
    survey = _check_statistic(where, st, spec)
    rows = (
        [_inline_row(target.observed, target.month)]
        if target.observed is not None
        else _data_rows(path, target, spec, scenario)
    )
    months_allowed = set(target.months) if target.months is not None else None
    ops = [o.name for o in scenario.all_operators()]
    segs = [s.name for s in scenario.population.segments]
    out = []
    for row in rows:
        month = row.get("month", target.month)
        if months_allowed is not None and month not in months_allowed:
            continue
        operator = row.get("operator") or st.operator
        segment = row.get("segment") or st.segment
        group = row.get("group") or target.group
        if st.kind in MARKET_KINDS:
            if month is None:
                raise UserError(
                    f"{where}: a market statistic needs a month: give target month, or a month or date column"
                )
            if not 0 <= month <= scenario.simulation.months:
                raise UserError(
                    f"{where}: month {month}{row.get('where', '')} is outside the run "
                    f"(months 0..{scenario.simulation.months}); expected months the run covers"
                )
            if st.kind in ("net_adds", "churn_rate") and month == 0:
                raise UserError(f"{where}: {st.kind} needs a month >= 1, got 0")
        else:
            if survey is None:  # Statistic's validator requires one for a survey question
                raise ValueError(f"{where}: survey question {st.kind} names no survey")
            if month is not None and month not in survey.months:
                raise UserError(
                    f"{where}: month {month}{row.get('where', '')} is not a wave of survey "
                    f"{survey.name} (waves: {survey.months})"
                )
            if st.by is not None and group is None:
                raise UserError(
                    f"{where}: statistic.by {st.by} needs a group column or target group"
                )
            if st.by is None and group is not None:
                raise UserError(f"{where}: a group is given but statistic.by is not set")
        if operator is not None and operator not in ops:
            raise UserError(f"{where}: unknown operator {operator!r}; known: {ops}")
        if segment is not None and segment not in segs:
            raise UserError(f"{where}: unknown segment {segment!r}; known: {segs}")
        _check_row(where, row, st.kind)
        se = _standard_error(where, target, row, st.kind)
        label = _label(month, operator, segment, row.get("group_label", group), scenario)
        out.append(
            Moment(
                target=target.name,
                label=label,
                kind=st.kind,
                observed=float(row["value"]),
                se=se,
                weight=target.weight * float(row.get("weight", 1.0)),
                month=month,
                operator=operator,
                segment=segment,
                survey=st.survey,
                by=st.by,
                group=None if group is None else str(group),
                generation=st.generation,
                bands=tuple(st.bands) if st.bands else None,
                reason=st.reason,
            )
        )
    if not out:
        raise UserError(f"{where}: no observations left (check data, where and months)")
    keys = [m.label for m in out]
    dupes = sorted({x for x in keys if keys.count(x) > 1})
    if dupes:
        raise UserError(f"{where}: several observations of the same moment: {dupes[:5]}")
    return out


def _label(
    month: int | None, operator: str | None, segment: str | None, group: Any, sc: Scenario
) -> str:
    parts = [x for x in (segment, operator) if x]
    if group is not None:
        parts.append(str(group))
    if month is not None:
        parts.append(date_of_month(month, sc.simulation.start))
    return ", ".join(parts) or "all"


def _check_statistic(where: str, st: Statistic, spec: TargetsFile) -> Survey | None:
    """The survey a statistic asks, after checking it exists and can ask the question."""
    if st.survey is None:
        return None
    survey = next((s for s in spec.surveys if s.name == st.survey), None)
    if survey is None:
        raise UserError(
            f"{where}.statistic.survey: unknown survey {st.survey!r}; known: {[s.name for s in spec.surveys]}"
        )
    if st.kind in ("churned", "reason") and survey.follow_up == 0:
        raise UserError(
            f"{where}.statistic: {st.kind} needs a follow-up: set surveys[{survey.name}].follow_up >= 1"
        )
    if st.kind == "adopt" and st.generation is not None:
        raise UserError(
            f"{where}.statistic.generation: the adopt question's generation is surveys[{survey.name}].adopt_generation"
        )
    return survey


def _inline_row(obs: Observed, month: int | None) -> dict[str, Any]:
    """A target's inline observation as a data row."""
    row: dict[str, Any] = {"value": obs.value}
    for name in ("se", "n", "sd"):
        if getattr(obs, name) is not None:
            row[name] = getattr(obs, name)
    if month is not None:
        row["month"] = month
    return row


def _check_row(where: str, row: dict[str, Any], kind: str) -> None:
    """Refuse an observation no standard error or loss can be computed from."""
    names = row.get("columns", {})
    at = row.get("where", "")

    def bad(key: str, expected: str) -> UserError:
        name = names.get(key, f"observed.{key}")
        return UserError(f"{where}: {name}{at} is {row[key]!r}; expected {expected}")

    for key in ("value", "se", "n", "sd", "weight"):
        if key in row and not math.isfinite(float(row[key])):
            raise bad(key, "a finite number")
    if "n" in row and not row["n"] >= 1:
        raise bad("n", "a sample size of at least 1")
    if "se" in row and not row["se"] > 0:
        raise bad("se", "a standard error above 0")
    if "sd" in row and not row["sd"] >= 0:
        raise bad("sd", "a standard deviation of at least 0")
    if "weight" in row and not row["weight"] >= 0:
        raise bad("weight", "a weight of at least 0")
    if kind in SHARE_KINDS and not 0.0 <= float(row["value"]) <= 1.0:
        raise bad("value", f"a share between 0 and 1 ({kind} is a proportion)")


def _standard_error(where: str, target: Target, row: dict[str, Any], kind: str) -> float:
    """The observed value's standard error: given, from n (and sd), or from the target."""
    value = float(row["value"])
    se: float | None = None
    if row.get("se") is not None:
        se = float(row["se"])
    elif row.get("n") is not None and row.get("sd") is not None:
        se = float(row["sd"]) / math.sqrt(float(row["n"]))
    elif row.get("n") is not None and kind in SHARE_KINDS:
        n = float(row["n"])
        p = (value * n + 0.5) / (n + 1.0)  # kept off 0 and 1, so a 0 % cell still has an error
        se = math.sqrt(p * (1.0 - p) / n)
    elif target.se is not None:
        se = target.se
    elif target.rel_se is not None:
        se = target.rel_se * abs(value)
    if se is None:
        raise UserError(
            f"{where}: no uncertainty for the observation{row.get('where', '')}: expected an se "
            f"column, n (and sd for a mean), or target se or rel_se"
        )
    if not se > 0 or not math.isfinite(se):
        raise UserError(
            f"{where}: standard error of the observation{row.get('where', '')} is {se}; expected > 0"
        )
    return se


def _missing(name: str, targets: Path) -> str:
    """Why a file named in a targets file is missing, and where it was looked for."""
    if Path(name).is_absolute():
        return f"file not found: {name}"
    return (
        f"file not found: {name!r}, relative to the targets file's folder "
        f"{targets.parent.resolve()} (so {(targets.parent / name).resolve()}); a copied "
        "targets file needs its scenario and data beside it at the same relative paths, "
        "or absolute paths"
    )


def _data_rows(
    path: Path, target: Target, spec: TargetsFile, scenario: Scenario
) -> list[dict[str, Any]]:
    """Rows of the target's data table, with keys mapped and numbers parsed."""
    import pandas as pd

    name = target.data
    if name is None or name not in spec.data:
        raise UserError(
            f"{path}: targets[{target.name}].data: unknown data table {name!r}; known: {sorted(spec.data)}"
        )
    table = spec.data[name]
    file = path.parent / table.file
    where = f"{path}: data.{name}"
    if not file.is_file():
        raise UserError(f"{where}.file: {_missing(table.file, path)}")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"{where}.file: {file} is not a readable CSV file: {exc}") from None
    cols = table.columns.model_dump()
    for field_name, column in [*cols.items(), *((f"where.{c}", c) for c in table.where)]:
        if column is not None and column not in frame.columns:
            raise UserError(
                f"{where}.columns.{field_name}: no column {column!r} in {file.name}; "
                f"columns: {', '.join(frame.columns)}"
            )
    for column, wanted in table.where.items():
        allowed = [wanted] if isinstance(wanted, str) else wanted
        frame = frame[frame[column].str.strip().isin([str(a) for a in allowed])]
    rows = []
    for idx, rec in frame.iterrows():
        line = int(str(idx)) + 2
        at = f" ({file.name} line {line})"
        raw_value = rec[cols["value"]].strip()
        if raw_value == "":
            continue  # not reported at this row (e.g. a count missing that month)
        row: dict[str, Any] = {
            "where": at,
            "columns": {k: f"column {c!r}" for k, c in cols.items() if c is not None},
        }
        for key in ("value", "se", "n", "sd", "weight"):
            column = cols[key]
            if column is None or rec[column].strip() == "":
                continue
            try:
                number = float(rec[column])
            except ValueError:
                raise UserError(
                    f"{where}.columns.{key}: column {column!r}{at} is {rec[column]!r}; expected a number"
                ) from None
            row[key] = number * table.scale if key in ("value", "se", "sd") else number
        if cols["month"] is not None:
            try:
                row["month"] = int(rec[cols["month"]])
            except ValueError:
                raise UserError(
                    f"{where}.columns.month: column {cols['month']!r}{at} is {rec[cols['month']]!r}; expected an integer month"
                ) from None
        elif cols["date"] is not None:
            try:
                row["month"] = month_of_date(rec[cols["date"]], scenario.simulation.start)
            except ValueError:
                raise UserError(
                    f"{where}.columns.date: column {cols['date']!r}{at} is {rec[cols['date']]!r}; expected YYYY-MM"
                ) from None
        dropped = False
        for key in ("operator", "segment", "group"):
            column = cols[key]
            if column is None:
                continue
            value = rec[column].strip()
            mapping = table.values.get(key)  # type: ignore[call-overload]
            if mapping is not None:
                if value not in mapping:
                    dropped = True
                    break
                if key == "group":
                    row["group_label"] = value  # the data's own wording, for tables and figures
                value = mapping[value]
            row[key] = value
        if not dropped:
            rows.append(row)
    return rows
