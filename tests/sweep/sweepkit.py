"""Sweep test helpers: the small test scenario and a sweep file over it, in a folder.

Not a conftest: a second ``conftest`` module would shadow ``tests/conftest.py`` for
``from conftest import ...`` under pytest's default import mode.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from conftest import base_raw


def small_sweep(**changes: Any) -> dict[str, Any]:
    """Two parameters of the test scenario on a 3 x 2 grid, two replications, 8 months."""
    raw: dict[str, Any] = {
        "name": "small",
        "base": "base.yaml",
        "set": {"population.size": 1500, "simulation.months": 8},
        "parameters": {
            "operators.A.plans.basic.monthly_fee": {"uniform": [30, 70], "levels": 3},
            "behaviour.c_base": [0.01, 0.05],
        },
        "design": {"kind": "grid"},
        "replications": 2,
        "seed": 11,
        "metrics": ["final_share", "mean_monthly_churn", "cumulative_switchers", "revenue", "clv"],
    }
    raw.update(copy.deepcopy(changes))
    return raw


def write_sweep(folder: Path, raw: dict[str, Any] | None = None, name: str = "sweep.yaml") -> Path:
    """Write the test scenario as base.yaml and a sweep file beside it; returns the sweep."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(yaml.safe_dump(base_raw(), sort_keys=False), encoding="utf-8")
    path = folder / name
    path.write_text(yaml.safe_dump(raw or small_sweep(), sort_keys=False), encoding="utf-8")
    return path
