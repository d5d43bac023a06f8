"""Shared test helpers: a small valid scenario to start from.

``make_scenario(**changes)`` returns a validated three-operator scenario; ``changes`` are
dotted paths (``behaviour__K_max=0`` or ``**{"operators.B.brand": 1}``), so a test states
only what it changes.
"""

from __future__ import annotations

import copy
from typing import Any

from sim.scenario import Scenario, validate_scenario


def base_raw() -> dict[str, Any]:
    """Three operators on 2G, one mass segment, a small-world graph, 1000 subscribers."""

    def operator(name: str, brand: float, fee: float, quality: float) -> dict[str, Any]:
        return {
            "name": name,
            "brand": brand,
            "service_quality": 0.5,
            "marketing_reach": 0.05,
            "networks": [{"generation": 2, "coverage": 1.0, "quality": quality}],
            "plans": [{"name": "basic", "monthly_fee": fee}],
        }

    return {
        "name": "test",
        "simulation": {"months": 12, "seed": 7, "replications": 1},
        "population": {
            "size": 1000,
            "initial_shares": {"A": 0.5, "B": 0.3, "C": 0.2},
            "segments": [{"name": "mass", "share": 1.0, "reference_price": 50.0}],
        },
        "network": {"kind": "small_world", "mean_degree": 6},
        "operators": [
            operator("A", 0.3, 50.0, 0.8),
            operator("B", 0.1, 45.0, 0.7),
            operator("C", 0.0, 40.0, 0.6),
        ],
    }


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in a scenario mapping; missing sections are created.

    A list item is picked by index (``plans.0``) or by its ``name`` (``operators.B``).
    """
    keys = path.split(".")
    node: Any = raw
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[int(key)] if key.isdigit() else next(x for x in node if x["name"] == key)
        else:
            node = node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def make_scenario(raw: dict[str, Any] | None = None, **changes: Any) -> Scenario:
    """A validated scenario: ``raw`` (default: the base) with dotted ``changes`` applied.

    Keys are dotted paths; as keyword arguments write ``__`` for the dots, e.g.
    ``make_scenario(behaviour__K_max=0.0, population__size=5000)``.
    """
    raw = copy.deepcopy(raw) if raw is not None else base_raw()
    for key, value in changes.items():
        set_path(raw, key.replace("__", "."), copy.deepcopy(value))
    return validate_scenario(raw, source="test")
