"""The regression baseline: the default scenario's key numbers at a fixed seed and size.

The reference test proves that the engine and the Mesa reference agree; it cannot see a
change that moves both. This file pins the numbers themselves: the default scenario
(``scenarios/china_3g_2009.yaml``) at 20,000 agents, one replication, seed 2009, every
operator's subscribers, churners, gross adds, entrants, migrations, 3G handsets, revenue
and mean satisfaction and lock-in at months 6, 12, 24, 36 and the last.

``tests/regression/test_baseline.py`` compares a fresh run with ``baseline.json``. When a
model change is *intended* to move the numbers, regenerate the file and commit it with
the change, saying why in the commit message::

    make baseline        # = .venv/bin/python tests/regression/baseline.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("baseline.json")
SCENARIO = ROOT / "scenarios" / "china_3g_2009.yaml"
SIZE = 20_000
SEED = 2009
CHECKED_MONTHS = (6, 12, 24, 36)
INTEGER_COLUMNS = ("subscribers", "churners", "gross_adds", "entrants", "migrations", "handsets_3g")
FLOAT_COLUMNS = (
    "revenue",
    "satisfaction",
    "lockin_economic",
    "lockin_knowledge",
    "lockin_emotional",
)


def key_numbers() -> dict[str, Any]:
    """Run the default scenario at the baseline's size and seed; its key numbers by month."""
    from sim.runner import run
    from sim.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    result = run(
        scenario,
        seed=SEED,
        replications=1,
        overrides={"population.size": SIZE},
        threads=1,
    )
    ops = result.operators
    last = int(ops["month"].max())
    months = sorted({*CHECKED_MONTHS, last})
    numbers: dict[str, Any] = {}
    for month in months:
        rows = ops[ops["month"] == month]
        numbers[str(month)] = {
            row["operator"]: {
                **{c: int(row[c]) for c in INTEGER_COLUMNS},
                **{c: float(row[c]) for c in FLOAT_COLUMNS},
            }
            for _, row in rows.iterrows()
        }
    return {
        "scenario": SCENARIO.relative_to(ROOT).as_posix(),
        "population.size": SIZE,
        "seed": SEED,
        "months": numbers,
    }


def differences(expected: dict[str, Any], actual: dict[str, Any], rel: float = 1e-9) -> list[str]:
    """Every key number that moved: counts exactly, money and means to ``rel``."""
    out = []
    for month, by_op in expected["months"].items():
        got_month = actual["months"].get(month, {})
        for op, values in by_op.items():
            got = got_month.get(op)
            if got is None:
                out.append(f"month {month} {op}: missing")
                continue
            for column, want in values.items():
                have = got[column]
                if column in INTEGER_COLUMNS:
                    moved = have != want
                else:
                    moved = abs(have - want) > rel * max(1.0, abs(want))
                if moved:
                    out.append(f"month {month} {op} {column}: baseline {want!r}, now {have!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    """``--write`` regenerates baseline.json; without it, report what moved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="overwrite baseline.json")
    args = parser.parse_args(argv)
    numbers = key_numbers()
    if args.write:
        tmp = BASELINE.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")
        tmp.replace(BASELINE)
        print(f"wrote {BASELINE.relative_to(ROOT)}")
        return 0
    moved = differences(json.loads(BASELINE.read_text()), numbers)
    print("\n".join(moved) if moved else "baseline holds")
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
