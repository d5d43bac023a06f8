"""Sweep files: the pydantic schema, loading, and checks against the base scenario.

A sweep is a family of scenarios: one base scenario, a few of its fields varied over
ranges (dotted paths, as ``--set`` takes them), a design that picks the points, a number
of replications per point, and the metrics to record. Like scenarios, sweep files
forbid unknown keys and report every problem as ``file: field: message``.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import UserError
from sim.io import read_yaml_mapping
from sim.scenario import Scenario, load_scenario, with_overrides

DESIGNS = ("grid", "latin_hypercube", "sobol", "saltelli", "morris")
BUILTIN_METRICS = (
    "final_share",
    "mean_monthly_churn",
    "cumulative_switchers",
    "revenue",
    "clv",
)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parameter(_Spec):
    """How one scenario field varies: a uniform or log-uniform range, or a list of choices.

    A bare list in the file (``path: [59, 79, 99]``) is shorthand for ``choices``.
    """

    uniform: tuple[float, float] | None = Field(
        None, description="Range [low, high], sampled uniformly (grid: evenly spaced levels)."
    )
    log_uniform: tuple[float, float] | None = Field(
        None,
        description="Range [low, high] with 0 < low, sampled uniformly in log (grid: geometric).",
    )
    choices: list[Any] | None = Field(
        None, min_length=1, description="Discrete values, each equally likely (grid: all)."
    )
    integer: bool = Field(False, description="Round sampled values to whole numbers.")
    levels: int | None = Field(
        None, ge=2, le=1000, description="Grid levels of this range (default: design.levels)."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"choices": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _exactly_one(self) -> Parameter:
        given = [k for k in ("uniform", "log_uniform", "choices") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "expected exactly one of uniform: [low, high], log_uniform: [low, high] or "
                f"choices: [...], got {', '.join(given) or 'none'}"
            )
        for key in ("uniform", "log_uniform"):
            bounds = getattr(self, key)
            if bounds is not None:
                low, high = bounds
                if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
                    raise ValueError(f"{key}: expected finite low < high, got [{low}, {high}]")
                if key == "log_uniform" and low <= 0:
                    raise ValueError(f"log_uniform: expected 0 < low, got {low}")
        if self.choices is not None and self.levels is not None:
            raise ValueError("levels applies to ranges; choices are all used on a grid")
        return self

    @property
    def is_range(self) -> bool:
        """Whether the parameter is continuous (a range) rather than choices."""
        return self.choices is None

    def from_unit(self, u: float) -> Any:
        """The value at quantile ``u`` in [0, 1] (inverse CDF of the parameter)."""
        u = min(max(float(u), 0.0), 1.0)
        if self.choices is not None:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        if self.uniform is not None:
            low, high = self.uniform
            value = low + u * (high - low)
        else:
            low, high = self.log_uniform  # type: ignore[misc]
            value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        return self._round(value)

    def grid_values(self, levels: int, *, override: bool = False) -> list[Any]:
        """Evenly spaced values across the range (geometric for log-uniform), or choices.

        Args:
            levels: the design's levels, used unless the parameter sets its own.
            override: use ``levels`` even so (``--samples`` on a grid: a quick look).
        """
        if self.choices is not None:
            return list(self.choices)
        n = levels if override or self.levels is None else self.levels
        if self.uniform is not None:
            low, high = self.uniform
            values = [low + (high - low) * k / (n - 1) for k in range(n)]
        else:
            low, high = self.log_uniform  # type: ignore[misc]
            ratio = high / low
            values = [low * ratio ** (k / (n - 1)) for k in range(n)]
        out: list[Any] = []
        for v in (self._round(v) for v in values):
            if v not in out:  # integer rounding may merge neighbouring levels
                out.append(v)
        return out

    def bounds(self) -> tuple[float, float]:
        """Numeric bounds for SALib (choices map to their index range [0, n))."""
        if self.choices is not None:
            return 0.0, float(len(self.choices))
        return self.uniform or self.log_uniform  # type: ignore[return-value]

    def _round(self, value: float) -> float | int:
        return round(value) if self.integer else float(value)


class Design(_Spec):
    """Which points of the parameter space to run."""

    kind: Literal["grid", "latin_hypercube", "sobol", "saltelli", "morris"] = Field(
        description="grid: every combination of levels; latin_hypercube and sobol: space-filling "
        "samples (scipy.stats.qmc); saltelli: Sobol indices; morris: elementary effects (SALib)."
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="latin_hypercube/sobol: points; saltelli: base samples N (points = "
        "N (D + 2), or N (2D + 2) with second_order); morris: trajectories (points = "
        "r (D + 1)); grid: levels per range parameter (overrides levels).",
    )
    levels: int | None = Field(
        None,
        ge=2,
        le=1000,
        description="grid: values per range parameter (default 5); morris: levels of its "
        "grid, an even number (default 4).",
    )
    second_order: bool = Field(False, description="saltelli: also second-order indices.")
    seed: int | None = Field(
        None, ge=0, lt=2**32, description="Seed of the design's sampling (default: sweep seed)."
    )

    @model_validator(mode="after")
    def _samples_needed(self) -> Design:
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"samples: required for design kind {self.kind!r}")
        if self.kind == "morris" and self.levels is not None and self.levels % 2:
            raise ValueError(f"levels: morris needs an even number, got {self.levels}")
        return self

    @property
    def level_count(self) -> int:
        """The levels in force: as given, else 5 for a grid and 4 for Morris."""
        if self.levels is not None:
            return self.levels
        return 4 if self.kind == "morris" else 5


class ColumnMetric(_Spec):
    """Any column of a run's operators (or segments) table at one month."""

    column: str = Field(description="Column name, e.g. arpu, churn_rate, subscribers.")
    month: int | None = Field(None, ge=0, description="Month (default: the last).")
    operator: str | None = Field(None, description="One operator (default: each operator).")
    segment: str | None = Field(
        None, description="Read the segments table for this segment (default: operators table)."
    )


class Sweep(_Spec):
    """A sweep file: a base scenario, parameters, a design, replications and metrics."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Identifier of the sweep.")
    description: str = Field("", description="What the sweep asks.")
    base: str = Field(description="Base scenario file, relative to the sweep file.")
    set: dict[str, Any] = Field(
        default_factory=dict, description="Fixed dotted overrides on the base scenario."
    )
    parameters: dict[str, Parameter] = Field(
        min_length=1, description="Dotted scenario paths and how each varies."
    )
    design: Design
    replications: int = Field(1, ge=1, le=10_000, description="Runs per design point.")
    seed: int = Field(1, ge=0, lt=2**63, description="Sweep seed: fixes design and runs.")
    metrics: list[str | ColumnMetric] = Field(
        default_factory=lambda: list(BUILTIN_METRICS),
        min_length=1,
        description="What to record per run (see docs/sweeps.md).",
    )
    keep_timeseries: bool = Field(
        False, description="Also keep each run's monthly operators table."
    )

    @model_validator(mode="after")
    def _design_fits(self) -> Sweep:
        if self.design.kind in ("saltelli", "morris") and len(self.parameters) < 2:
            raise ValueError(f"design {self.design.kind} needs at least 2 parameters")
        return self

    @field_validator("metrics", mode="before")
    @classmethod
    def _known_metrics(cls, value: Any) -> Any:
        for k, item in enumerate(value if isinstance(value, list) else []):
            if isinstance(item, str) and item not in BUILTIN_METRICS:
                raise ValueError(
                    f"metrics[{k}]: unknown metric {item!r}; expected one of "
                    f"{', '.join(BUILTIN_METRICS)}, or {{column: NAME, month: M}}"
                )
        return value


class LoadedSweep:
    """A validated sweep with its base scenario resolved (``--set`` applied).

    Attributes:
        spec: the sweep file's content, after ``--samples`` / ``--replications``.
        path: the sweep file.
        scenario: the base scenario with the sweep's ``set`` and the user's ``--set``.
    """

    def __init__(self, spec: Sweep, path: Path, scenario: Scenario):
        self.spec = spec
        self.path = path
        self.scenario = scenario

    def fingerprint(self) -> str:
        """Digest of everything that decides the runs' rows (resume refuses a change)."""
        payload = json.dumps(
            {"sweep": self.spec.model_dump(mode="json"), "scenario": self.scenario.digest()},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def load_sweep(
    path: str | Path,
    overrides: list[str] | None = None,
    *,
    samples: int | None = None,
    replications: int | None = None,
) -> LoadedSweep:
    """Read and validate a sweep file and its base scenario.

    Args:
        path: the sweep YAML file.
        overrides: ``PATH=VALUE`` changes to the base scenario (``--set``), after the
            file's own ``set``.
        samples: replace ``design.samples`` (a quick look with fewer points).
        replications: replace ``replications``.

    Raises:
        UserError: the file is missing or invalid, the base scenario is, or a parameter
            names a field the scenario lacks or a value it refuses.
    """
    path = Path(path)
    raw = read_yaml_mapping(path, "sweep")
    try:
        spec = Sweep.model_validate(raw)
    except ValidationError as exc:
        raise UserError(format_sweep_error(exc, str(path))) from None
    if samples is not None or replications is not None:
        data = spec.model_dump()
        if samples is not None:
            data["design"]["samples"] = samples
        if replications is not None:
            data["replications"] = replications
        try:
            spec = Sweep.model_validate(data)
        except ValidationError as exc:
            raise UserError(format_sweep_error(exc, "--samples/--replications")) from None
    base = (path.parent / spec.base).resolve()
    if not base.is_file():
        raise UserError(f"{path}: base: scenario file {base} not found")
    scenario = load_scenario(base)
    if spec.set:
        scenario = _apply(scenario, spec.set, f"{path}: set")
    if overrides:
        scenario = with_overrides(scenario, overrides)
    check_parameters(spec, scenario, str(path))
    check_metrics(spec, scenario, str(path))
    return LoadedSweep(spec, path, scenario)


def _apply(scenario: Scenario, changes: dict[str, Any], where: str) -> Scenario:
    try:
        return with_overrides(scenario, changes)
    except UserError as exc:
        raise UserError(f"{where}: {_strip_source(str(exc))}") from None


def _strip_source(message: str) -> str:
    """Scenario errors start with their source (``--set``); a sweep names its own."""
    return "; ".join(
        line.removeprefix("--set: ").removeprefix("--set ") for line in message.splitlines()
    )


def check_parameters(spec: Sweep, scenario: Scenario, source: str) -> None:
    """Every parameter path exists and the scenario accepts its extreme values and choices."""
    for name, param in spec.parameters.items():
        values = (
            param.choices
            if param.choices is not None
            else [param.from_unit(0.0), param.from_unit(1.0)]
        )
        for value in values:
            _apply(scenario, {name: value}, f"{source}: parameters[{name}] = {value!r}")


def check_metrics(spec: Sweep, scenario: Scenario, source: str) -> None:
    """Column metrics name a real column, operator, segment and month of this scenario."""
    from sim.metrics import OPERATOR_COLUMNS, SEGMENT_COLUMNS

    operators = {o.name for o in scenario.all_operators()}
    segments = {s.name for s in scenario.population.segments}
    months = scenario.simulation.months
    for k, metric in enumerate(spec.metrics):
        if not isinstance(metric, ColumnMetric):
            continue
        where = f"{source}: metrics[{k}]"
        columns = OPERATOR_COLUMNS if metric.segment is None else SEGMENT_COLUMNS
        if metric.column not in columns:
            raise UserError(
                f"{where}.column: unknown column {metric.column!r}; expected one of "
                f"{', '.join(columns)}"
            )
        if metric.operator is not None and metric.operator not in operators:
            raise UserError(
                f"{where}.operator: unknown operator {metric.operator!r}; expected one of "
                f"{', '.join(sorted(operators))}"
            )
        if metric.segment is not None and metric.segment not in segments:
            raise UserError(
                f"{where}.segment: unknown segment {metric.segment!r}; expected one of "
                f"{', '.join(sorted(segments))}"
            )
        if metric.month is not None and metric.month > months:
            raise UserError(f"{where}.month: month {metric.month} is after the last month {months}")


def format_sweep_error(exc: ValidationError, source: str) -> str:
    """One line per problem: ``file: parameters[path].field: message, got value``.

    Parameter keys are dotted scenario paths, so they are shown in brackets to keep them
    apart from the sweep file's own fields.
    """
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        parts: list[str] = []
        for k, item in enumerate(loc):
            if k == 1 and loc[0] == "parameters":
                parts.append(f"[{item}]")
            elif isinstance(item, int):
                parts.append(f"[{item}]")
            elif item in ("function-after[_exactly_one(), Parameter]",) or "function-" in str(item):
                continue
            else:
                parts.append(f".{item}")
        where = "".join(parts).lstrip(".") or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        quiet = err["type"] in ("missing", "value_error") or isinstance(got, dict | list)
        lines.append(f"{source}: {where}: {msg}{'' if quiet else f', got {got!r}'}")
    return "\n".join(lines)
