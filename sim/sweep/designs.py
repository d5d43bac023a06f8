"""Designs: which points of the parameter space a sweep runs.

Every design first draws points in the unit cube ``[0, 1]^D`` (one axis per parameter,
in the sweep file's order) and then maps each coordinate through the parameter's inverse
CDF (:meth:`~sim.sweep.spec.Parameter.from_unit`): uniform, log-uniform or a choice. The
unit coordinates are kept with the points, because SALib analyses them, not the values.

- ``grid``: every combination of each parameter's levels (first parameter slowest).
- ``latin_hypercube`` and ``sobol``: space-filling samples from ``scipy.stats.qmc``
  (scrambled Sobol; a power of two keeps its balance).
- ``saltelli``: Saltelli's extension of a Sobol sequence for Sobol indices (SALib),
  ``N (D + 2)`` points, or ``N (2D + 2)`` with second-order indices.
- ``morris``: ``r`` one-at-a-time trajectories on a ``levels``-level grid (SALib),
  ``r (D + 1)`` points.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.sweep.spec import Sweep

SALIB_DESIGNS = ("saltelli", "morris")


@dataclass(frozen=True)
class DesignPoints:
    """The points of a design.

    Attributes:
        names: parameter paths, in order (the columns of ``unit``).
        unit: unit-cube coordinates, shape ``(points, D)``, float64.
        values: one ``{path: value}`` mapping per point (the scenario overrides).
    """

    names: list[str]
    unit: np.ndarray
    values: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.values)

    def frame(self) -> pd.DataFrame:
        """One row per point: ``point``, the values, and the unit coordinates ``u:<path>``."""
        df = pd.DataFrame(self.values, columns=self.names)
        df.insert(0, "point", np.arange(len(self), dtype=np.int64))
        for k, name in enumerate(self.names):
            df[f"u:{name}"] = self.unit[:, k]
        return df


def salib_problem(names: list[str]) -> dict[str, Any]:
    """SALib's problem for unit-cube coordinates (values are mapped afterwards)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def design_seed(spec: Sweep) -> int:
    """Seed of the design's sampling: ``design.seed``, else the sweep seed (32 bits)."""
    return spec.design.seed if spec.design.seed is not None else spec.seed % 2**32


def make_design(spec: Sweep) -> DesignPoints:
    """The points of a sweep's design, deterministic for a given sweep file."""
    names = list(spec.parameters)
    params = [spec.parameters[n] for n in names]
    d = spec.design
    seed = design_seed(spec)
    if d.kind == "grid":
        levels = d.samples if d.samples is not None else d.level_count
        per_param = [
            _grid_units(p.grid_values(levels, override=d.samples is not None), p) for p in params
        ]
        unit = np.array(list(itertools.product(*[u for u, _ in per_param])), dtype=float)
        combos = list(itertools.product(*[v for _, v in per_param]))
        values = [dict(zip(names, c, strict=True)) for c in combos]
        return DesignPoints(names, unit.reshape(len(values), len(names)), values)
    if d.kind == "latin_hypercube":
        from scipy.stats import qmc

        unit = _qmc(qmc.LatinHypercube, len(names), seed).random(d.samples)
    elif d.kind == "sobol":
        from scipy.stats import qmc

        with warnings.catch_warnings():  # not a power of two: allowed, documented
            warnings.simplefilter("ignore", UserWarning)
            unit = _qmc(qmc.Sobol, len(names), seed).random(d.samples)
    elif d.kind == "saltelli":
        from SALib.sample import sobol as salib_sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            unit = salib_sobol.sample(
                salib_problem(names), d.samples, calc_second_order=d.second_order, seed=seed
            )
    else:  # morris
        from SALib.sample import morris as salib_morris

        unit = salib_morris.sample(
            salib_problem(names), d.samples, num_levels=d.level_count, seed=seed
        )
    unit = np.asarray(unit, dtype=float)
    values = [
        {n: p.from_unit(u) for n, p, u in zip(names, params, row, strict=True)} for row in unit
    ]
    return DesignPoints(names, unit, values)


def _grid_units(values: list[Any], param: Any) -> tuple[list[float], list[Any]]:
    """Grid values with unit coordinates (level k of n at k / (n - 1); choices at centres)."""
    n = len(values)
    if not param.is_range:
        return [(k + 0.5) / n for k in range(n)], values
    return [k / (n - 1) if n > 1 else 0.5 for k in range(n)], values


def _qmc(engine: Any, d: int, seed: int) -> Any:
    """A scipy QMC engine; scipy >= 1.15 takes ``rng``, older versions ``seed``."""
    try:
        return engine(d, rng=np.random.default_rng(seed))
    except TypeError:  # pragma: no cover - scipy < 1.15
        return engine(d, seed=np.random.default_rng(seed))


def expected_points(spec: Sweep) -> int:
    """How many points a design gives (without drawing them), for messages and tests."""
    d = spec.design
    dims = len(spec.parameters)
    if d.kind == "grid":
        levels = d.samples if d.samples is not None else d.level_count
        override = d.samples is not None
        return int(
            np.prod(
                [len(p.grid_values(levels, override=override)) for p in spec.parameters.values()]
            )
        )
    if d.kind == "saltelli":
        return d.samples * (2 * dims + 2 if d.second_order else dims + 2)
    if d.kind == "morris":
        return d.samples * (dims + 1)
    return int(d.samples)
