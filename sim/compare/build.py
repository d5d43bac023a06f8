"""Run a comparison end to end: inputs -> paired runs -> differences -> files.

:func:`compare` runs every scenario input with the plan's one seed and replication
count (through :func:`sim.runner.run`, the one way in) and compares; :func:`save`
writes the slide table, CSV, JSON, figures and every policy's run folder, each file
atomically.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.compare.comparison import Comparison, Policy, compare_results
from sim.compare.inputs import Options, Plan, read_inputs
from sim.compare.tables import csv_table, markdown
from sim.io import atomic_write, write_json, write_text

# Progress: (policy label, months done, months to do) after every simulated month.
Progress = Callable[[str, int, int], None]


def run_plan(
    plan: Plan, threads: int | None = None, progress: Progress | None = None
) -> list[Policy]:
    """Run every scenario input with the plan's seed and replications; keep run folders."""
    from sim.runner import run

    policies = []
    for item in plan.inputs:
        if item.result is not None:
            policies.append(Policy(item.label, item.result, str(item.source), "run"))
            continue
        callback = None
        if progress is not None:
            label = item.label

            def callback(rep: int, month: int, months: int, label: str = label) -> None:
                progress(label, rep * months + month, plan.replications * months)

        result = run(
            item.scenario,
            seed=plan.seed,
            replications=plan.replications,
            threads=threads,
            progress=callback,
        )
        policies.append(Policy(item.label, result, str(item.source), "scenario"))
    return policies


def compare(
    paths: list[Path], options: Options | None = None, progress: Progress | None = None
) -> Comparison:
    """Compare scenarios and/or run folders; the first is the baseline.

    Raises:
        UserError: bad inputs, or inputs that cannot be paired.
    """
    options = options or Options()
    return compare_plan(read_inputs([Path(p) for p in paths], options), options, progress)


def compare_plan(plan: Plan, options: Options, progress: Progress | None = None) -> Comparison:
    """Run a plan's scenario inputs and compare every policy with the baseline."""
    policies = run_plan(plan, options.threads, progress)
    comparison = compare_results(policies[0], policies[1:], options.level)
    comparison.notes[:0] = plan.notes
    return comparison


def default_out(labels: list[str]) -> Path:
    """``results/compare_<baseline>_vs_<policy>[_vs_<policy>...]``."""
    return Path("results") / f"compare_{'_vs_'.join(labels)}"


def plan_digest(plan: Plan, level: float) -> str:
    """SHA-256 of what a comparison's numbers depend on: inputs, seeds and level."""
    what = {
        "inputs": [[i.label, i.kind, i.scenario.digest()] for i in plan.inputs],
        "seed": plan.seed,
        "replications": plan.replications,
        "level": level,
    }
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def save(comparison: Comparison, out: str | Path, figures: bool = True) -> list[Path]:
    """Write the comparison and every policy's run folder (``runs/<label>/``)."""
    from sim.compare.figures import save_figures

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_text(out / "comparison.md", markdown(comparison)),
        atomic_write(
            out / "comparison.csv",
            lambda p: csv_table(comparison).to_csv(p, index=False, float_format="%.10g"),
        ),
        write_json(out / "comparison.json", to_json(comparison)),
    ]
    if figures:
        written += save_figures(comparison, out)
    for p in [comparison.baseline, *comparison.policies]:
        written.append(p.result.save(out / "runs" / p.label, figures=figures))
    return written


def to_json(comparison: Comparison) -> dict[str, Any]:
    """Everything needed to audit the numbers: inputs, pairing, rows, per-replication values."""
    rows = csv_table(comparison).to_dict(orient="records")
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float):
                row[key] = _finite(value)
    values = comparison.values
    per_rep: dict[str, Any] = {}
    for (policy, metric, op), group in values.groupby(["policy", "metric", "operator"], sort=False):
        ordered = group.sort_values("replication")["value"].tolist()
        per_rep.setdefault(policy, {}).setdefault(metric, {})[op] = [_finite(v) for v in ordered]
    return {
        "baseline": comparison.baseline.label,
        "policies": [p.label for p in comparison.policies],
        "inputs": [
            {
                "label": p.label,
                "source": p.source,
                "kind": p.kind,
                "scenario": p.result.scenario.name,
                "scenario_sha256": p.result.provenance.get("scenario_sha256"),
                "population": p.result.scenario.population.size,
            }
            for p in [comparison.baseline, *comparison.policies]
        ],
        "seed": comparison.baseline.result.scenario.simulation.seed,
        "replication_seeds": comparison.seeds,
        "replications": comparison.replications,
        "months": comparison.months,
        "level": comparison.level,
        "operators": comparison.operators,
        "median_width_ratio": _finite(comparison.median_width_ratio()),
        "notes": comparison.notes,
        "rows": rows,
        "per_replication": per_rep,
    }


def _finite(x: float) -> float | None:
    """JSON has no NaN: an undefined number (a ratio of two zero widths) becomes null."""
    return x if math.isfinite(x) else None
