"""A small run shared by the report tests: two segments, a 3G launch, a market entrant.

Small enough to run in about a second, rich enough that every figure has something to
draw (segments, handset migration, an operator with no customers for its first months).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from conftest import base_raw, make_scenario

from sim import run
from sim.results import RunResult
from sim.scenario import Scenario


def scenario(**changes: Any) -> Scenario:
    """Operators A, B, C at month 0 (A launches 3G), D entering at month 4."""
    raw = base_raw()
    raw["name"] = "report_test"
    raw["description"] = "A small market | with a pipe, for the report tests."
    raw["population"].update(
        size=2000,
        represents=1_000_000,
        entry_per_month=0.01,
        segments=[
            {"name": "young", "share": 0.4, "reference_price": 40.0, "innovation": 2.0},
            {"name": "old", "share": 0.6, "reference_price": 60.0, "spend": 1.3},
        ],
    )
    raw["simulation"].update(months=12, replications=2)
    a = raw["operators"][0]
    a["label"] = "Alpha Mobile"
    a["networks"].append({"generation": 3, "launch_month": 2, "coverage": 0.8, "quality": 0.9})
    a["plans"].append(
        {
            "name": "a3g",
            "monthly_fee": 80.0,
            "generation": 3,
            "contract_months": 12,
            "handset_subsidy": 200.0,
            "launch_month": 2,
        }
    )
    raw["events"] = [
        {
            "kind": "operator_entry",
            "month": 4,
            "operator": {
                "name": "D",
                "brand": 0.2,
                "networks": [{"generation": 2, "quality": 0.8}],
                "plans": [{"name": "cheap", "monthly_fee": 30.0}],
            },
        }
    ]
    return make_scenario(raw, **changes)


@functools.cache
def result() -> RunResult:
    """The run of :func:`scenario` (computed once per test process)."""
    return run(scenario())


def saved_run(folder: Path) -> Path:
    """Save :func:`result` into ``folder`` (tables, summary, scenario; no figures)."""
    result().save(folder, figures=False)
    return folder
