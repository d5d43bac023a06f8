"""Compare finished runs: check they are paired, then difference every metric.

:func:`compare_results` is pure (no files, no runs): give it the baseline and the
policies as :class:`~sim.results.RunResult` objects, get a :class:`Comparison` with one
row per (policy, metric, operator). It refuses runs that are not paired (different
replication seeds or months), because an interval on their differences would mix the
policy with the noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.compare.metrics import METRICS, metric_matrix, replication_metrics
from sim.compare.paired import paired_difference
from sim.errors import UserError
from sim.results import RunResult


@dataclass
class Policy:
    """One compared run and where it came from.

    Attributes:
        label: unique short name (file names, tables, legends).
        result: the run.
        source: the file or folder given, or "" when built in Python.
        kind: "scenario" (run here) or "run" (a saved run folder).
    """

    label: str
    result: RunResult
    source: str = ""
    kind: str = "scenario"

    @property
    def title(self) -> str:
        """The name to show people: the scenario's ``title``, else the label."""
        return self.result.scenario.title or self.label


@dataclass
class Comparison:
    """Paired differences of every policy against the baseline.

    Attributes:
        baseline: the first input.
        policies: the others, each compared with the baseline.
        operators: operators compared (those every run has), baseline order.
        table: one row per (policy, metric, operator): means, difference, paired and
            unpaired intervals, widths, their ratio and the within-noise flag.
        values: per-replication metric values, long: ``policy, replication, operator,
            metric, value`` (the baseline included).
        level: confidence level of the intervals.
        notes: things the reader should know (operators left out, population sizes).
    """

    baseline: Policy
    policies: list[Policy]
    operators: list[str]
    table: pd.DataFrame
    values: pd.DataFrame
    level: float
    notes: list[str] = field(default_factory=list)

    @property
    def replications(self) -> int:
        """Pairs behind every interval."""
        return self.baseline.result.replications

    @property
    def months(self) -> int:
        """Months every run lasted."""
        return run_months(self.baseline.result)

    @property
    def seeds(self) -> list[int]:
        """Replication seeds every run shares."""
        return list(self.baseline.result.provenance.get("replication_seeds", []))

    def titles(self) -> dict[str, str]:
        """Label -> display name of every run; labels where two runs share a title."""
        runs = [self.baseline, *self.policies]
        titles = [p.title for p in runs]
        return {p.label: p.title if titles.count(p.title) == 1 else p.label for p in runs}

    def median_width_ratio(self) -> float:
        """Median paired/unpaired width ratio over rows with a defined ratio."""
        return float(self.table["width_ratio"].median())


def run_months(result: RunResult) -> int:
    """Months a run lasted (its last month index)."""
    return int(result.operators["month"].max())


def _seeds(policy: Policy) -> list[int]:
    seeds = policy.result.provenance.get("replication_seeds")
    if not seeds:
        raise UserError(
            f"{policy.source or policy.label}: provenance.replication_seeds is missing; "
            "cannot check that the comparison is paired (re-run it with telsim run)"
        )
    return [int(s) for s in seeds]


def check_paired(baseline: Policy, policies: list[Policy]) -> None:
    """Refuse runs that do not share replication seeds and months (UserError)."""
    seeds, months = _seeds(baseline), run_months(baseline.result)
    base = baseline.source or baseline.label
    for p in policies:
        where = p.source or p.label
        other = _seeds(p)
        if other != seeds:
            raise UserError(
                f"{where}: replication seeds {_short(other)} differ from {base}'s "
                f"{_short(seeds)}; the comparison would not be paired "
                "(expected runs made with the same --seed and --replications)"
            )
        if run_months(p.result) != months:
            raise UserError(
                f"{where}: simulation.months is {run_months(p.result)}, but {base} ran "
                f"{months}; the comparison would not be paired (expected {months}; "
                "pass --months to run scenarios to the same length)"
            )
    if len(seeds) < 2:
        raise UserError(
            f"{base}: {len(seeds)} replication; paired intervals need at least 2 "
            "(expected --replications 2 or more)"
        )


def _short(seeds: list[int]) -> str:
    return f"[{', '.join(str(s) for s in seeds[:2])}{', ...' if len(seeds) > 2 else ''}] ({len(seeds)} replications)"


def shared_operators(runs: list[Policy]) -> tuple[list[str], list[str]]:
    """Operators every run has (baseline order), and a note per run on the others."""
    names = [list(dict.fromkeys(p.result.operators["operator"].astype(str))) for p in runs]
    common = [n for n in names[0] if all(n in other for other in names[1:])]
    notes = []
    for p, own in zip(runs, names, strict=True):
        extra = [n for n in own if n not in common]
        if extra:
            notes.append(
                f"{p.label}: operator(s) {', '.join(extra)} not in every run; "
                f"compared on the shared operators {', '.join(common)}"
            )
    return common, notes


def compare_results(baseline: Policy, policies: list[Policy], level: float = 0.95) -> Comparison:
    """Paired differences of every metric and operator, each policy against the baseline.

    Raises:
        UserError: runs not paired, no shared operator, or a level outside (0, 1).
    """
    if not policies:
        raise UserError("compare: expected at least two inputs (a baseline and a policy)")
    if not 0.0 < level < 1.0:
        raise UserError(f"--level: expected a confidence level between 0 and 1, got {level}")
    labels = [baseline.label, *(p.label for p in policies)]
    if len(set(labels)) != len(labels):
        raise UserError(f"compare: policy labels must be unique, got {labels}")
    check_paired(baseline, policies)
    operators, notes = shared_operators([baseline, *policies])
    if not operators:
        raise UserError("compare: the runs share no operator; nothing to compare")
    notes.extend(_population_notes(baseline, policies))
    values = {p.label: replication_metrics(p.result, operators) for p in [baseline, *policies]}
    rows: list[dict[str, Any]] = []
    for p in policies:
        for metric in METRICS:
            for op in operators:
                diff = paired_difference(
                    metric_matrix(values[baseline.label], metric.name, op),
                    metric_matrix(values[p.label], metric.name, op),
                    level,
                )
                rows.append(
                    {"policy": p.label, "metric": metric.name, "operator": op} | diff.as_dict()
                )
    long = pd.concat([df.assign(policy=label) for label, df in values.items()], ignore_index=True)[
        ["policy", "replication", "operator", "metric", "value"]
    ]
    return Comparison(
        baseline=baseline,
        policies=list(policies),
        operators=operators,
        table=pd.DataFrame(rows),
        values=long,
        level=level,
        notes=notes,
    )


def _population_notes(baseline: Policy, policies: list[Policy]) -> list[str]:
    """Common random numbers are per subscriber slot: say when populations differ."""
    size = baseline.result.scenario.population.size
    return [
        f"{p.label}: population.size {p.result.scenario.population.size:,} differs from the "
        f"baseline's {size:,}; replications are still paired by seed, but subscribers do "
        "not share their random draws, so intervals are wider"
        for p in policies
        if p.result.scenario.population.size != size
    ]
