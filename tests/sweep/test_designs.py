"""Designs produce the requested points: counts, ranges, structure and determinism."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.sweep.designs import expected_points, make_design
from sim.sweep.spec import Parameter, Sweep


def sweep(kind: str, parameters: dict[str, Any] | None = None, **design: Any) -> Sweep:
    return Sweep.model_validate(
        {
            "name": "d",
            "base": "x.yaml",
            "parameters": parameters
            or {
                "a": {"uniform": [10, 20]},
                "b": {"log_uniform": [0.01, 1]},
                "c": ["x", "y", "z"],
            },
            "design": {"kind": kind, **design},
            "seed": 5,
        }
    )


def test_grid_is_every_combination_first_parameter_slowest() -> None:
    spec = sweep("grid", levels=3)
    d = make_design(spec)
    assert len(d) == 3 * 3 * 3 == expected_points(spec)
    assert [p["a"] for p in d.values[:9]] == [10.0] * 9
    assert sorted({p["a"] for p in d.values}) == [10.0, 15.0, 20.0]
    assert sorted({p["b"] for p in d.values}) == pytest.approx([0.01, 0.1, 1.0])  # geometric
    assert [p["c"] for p in d.values[:3]] == ["x", "y", "z"]
    assert len({tuple(p.values()) for p in d.values}) == len(d)


def test_grid_samples_sets_levels_and_integer_levels_merge() -> None:
    spec = sweep("grid", {"a": {"uniform": [0, 2], "integer": True}, "b": [1, 2]}, samples=5)
    d = make_design(spec)
    assert sorted({p["a"] for p in d.values}) == [0, 1, 2]
    assert all(isinstance(p["a"], int) for p in d.values)
    assert len(d) == 6 == expected_points(spec)


@pytest.mark.parametrize("kind", ["latin_hypercube", "sobol"])
def test_space_filling_designs_stay_in_range_and_are_seeded(kind: str) -> None:
    spec = sweep(kind, samples=16)
    d = make_design(spec)
    assert len(d) == 16 == expected_points(spec)
    a = np.array([p["a"] for p in d.values])
    b = np.array([p["b"] for p in d.values])
    assert a.min() >= 10 and a.max() <= 20
    assert b.min() >= 0.01 and b.max() <= 1
    assert {p["c"] for p in d.values} == {"x", "y", "z"}
    assert d.values == make_design(spec).values
    other = make_design(sweep(kind, samples=16, seed=6))
    assert other.values != d.values


def test_latin_hypercube_puts_one_point_in_each_stratum() -> None:
    d = make_design(sweep("latin_hypercube", samples=20))
    for k in range(d.unit.shape[1]):
        strata = np.floor(d.unit[:, k] * 20).astype(int)
        assert sorted(strata) == list(range(20))


def test_log_uniform_is_uniform_in_log() -> None:
    d = make_design(sweep("sobol", samples=256))
    logs = np.log10([p["b"] for p in d.values])  # log10 uniform on [-2, 0]
    assert np.mean(logs) == pytest.approx(-1.0, abs=0.05)
    assert np.mean(logs < -1.0) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("second_order", [False, True])
def test_saltelli_gives_n_times_d_plus_2(second_order: bool) -> None:
    spec = sweep("saltelli", samples=8, second_order=second_order)
    d = make_design(spec)
    assert len(d) == (8 * (2 * 3 + 2) if second_order else 8 * (3 + 2)) == expected_points(spec)
    # Saltelli blocks: A, AB_1..AB_D, B; AB_i equals A except in column i.
    block = d.unit[: 3 + 2]
    for i in range(3):
        changed = block[1 + i] != block[0]
        assert changed[i] and changed.sum() == 1


def test_morris_trajectories_move_one_parameter_at_a_time() -> None:
    spec = sweep("morris", samples=4, levels=4)
    d = make_design(spec)
    assert len(d) == 4 * (3 + 1) == expected_points(spec)
    for t in range(4):
        traj = d.unit[t * 4 : (t + 1) * 4]
        steps = np.abs(np.diff(traj, axis=0)) > 1e-12
        assert (steps.sum(axis=1) == 1).all()
        assert sorted(np.argmax(steps, axis=1)) == [0, 1, 2]
    levels = np.unique(np.round(d.unit, 9))
    assert set(levels) <= {0.0, round(1 / 3, 9), round(2 / 3, 9), 1.0}


def test_parameter_inverse_cdf() -> None:
    p = Parameter.model_validate({"log_uniform": [1, 100]})
    assert p.from_unit(0) == 1 and p.from_unit(1) == pytest.approx(100)
    assert p.from_unit(0.5) == pytest.approx(10)
    c = Parameter.model_validate(["a", "b"])
    assert [c.from_unit(u) for u in (0, 0.49, 0.5, 1)] == ["a", "a", "b", "b"]
    i = Parameter.model_validate({"uniform": [0, 10], "integer": True})
    assert i.from_unit(0.26) == 3 and isinstance(i.from_unit(0.26), int)
    assert math.isclose(Parameter.model_validate({"uniform": [2, 4]}).from_unit(0.25), 2.5)
