"""Run results: tidy tables from the model's accounting, bands across replications, files.

A finished :class:`~sim.market.model.MarketModel` holds per-month accumulators (counts
and money by operator and segment, switching flows). :func:`model_tables` flattens them
into long tables whose columns are declared in :mod:`sim.metrics`; :class:`RunResult`
stacks replications, summarises them with 5/50/95 % bands, saves everything atomically,
and is the one reader of a saved run folder (:meth:`RunResult.load`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.cohorts import COHORT_COLUMNS, cohort_frame, empty_cohorts
from sim.errors import UserError
from sim.io import atomic_write, write_json, write_text
from sim.metrics import (
    OPERATOR_COLUMNS,
    SCALED_COLUMNS,
    SEGMENT_COLUMNS,
    accumulator_columns,
    ratios,
)
from sim.risk import RISK_COLUMNS, empty_risk, risk_frame
from sim.scenario import Scenario, dump_yaml, load_scenario

if TYPE_CHECKING:
    from sim.market.model import MarketModel

# The files of a run folder, and the columns of each table.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "operators.parquet": ("month", "date", "replication", "operator", *OPERATOR_COLUMNS),
    "segments.parquet": ("month", "date", "replication", "segment", "operator", *SEGMENT_COLUMNS),
    "switching.parquet": (
        "month",
        "replication",
        "from_operator",
        "to_operator",
        "subscribers",
        "agents",
    ),
}
RUN_FILES = ("scenario.yaml", "summary.json", *TABLE_COLUMNS)
# Columns added after run folders were written, and their value in a folder without
# them (true there: the mechanism did not exist when it ran).
ADDED_COLUMNS: dict[str, float] = {"winbacks": 0.0}
# Churn, gross adds and stock by cohort (sim/cohorts.py); optional when reading, as run
# folders written before it lack it.
COHORTS_FILE = "cohorts.parquet"
# The distribution of churn risk (sim/risk.py); optional when reading, as above.
RISK_FILE = "risk.parquet"


def scale_factor(scenario: Scenario) -> float:
    """Real subscribers per agent (``population.represents / size``; 1 if not given)."""
    pop = scenario.population
    return pop.represents / pop.size if pop.represents else 1.0


def _frame(
    model: MarketModel,
    columns: dict[str, np.ndarray],
    keys: dict[str, Any],
    replication: int,
    names: tuple[str, ...],
) -> pd.DataFrame:
    """Long table of the metric columns ``names``, arrays shaped (months+1, *groups).

    ``keys`` label the groups in row-major order (operators vary fastest); ratios are
    taken before scaling, over the operators of the last axis.
    """
    columns = {**columns, **ratios(columns)}
    columns["agents"] = columns["subscribers"].astype(np.int64)
    months = np.arange(columns["subscribers"].shape[0])
    n_groups = columns["subscribers"][0].size
    dates = pd.to_datetime([d.isoformat() for d in model.spec.simulation.month_dates()])
    month = np.repeat(months, n_groups)
    data: dict[str, Any] = {"month": month, "date": dates[month], "replication": replication}
    for name, values in keys.items():
        data[name] = np.tile(values, len(months))
    for name in names:
        data[name] = columns[name].reshape(-1)
    return pd.DataFrame(data)


def model_tables(model: MarketModel, replication: int) -> dict[str, pd.DataFrame]:
    """Operator, segment and switching tables of one finished replication."""
    tb = model.tables
    names, segs = tb.operator_names, tb.segment_names
    n_ops, n_seg = len(names), len(segs)
    ops = _frame(
        model,
        {
            **accumulator_columns(model.counts.sum(axis=2), model.sums.sum(axis=2)),
            "retention_offers": model.offers,
        },
        {"operator": names},
        replication,
        OPERATOR_COLUMNS,
    )
    seg = _frame(
        model,
        accumulator_columns(model.counts.transpose(0, 2, 1, 3), model.sums.transpose(0, 2, 1, 3)),
        {"segment": np.repeat(segs, n_ops), "operator": np.tile(names, n_seg)},
        replication,
        SEGMENT_COLUMNS,
    )
    months = np.arange(model.flows.shape[0])
    sw = pd.DataFrame(
        {
            "month": np.repeat(months, n_ops * n_ops),
            "replication": replication,
            "from_operator": np.tile(np.repeat(names, n_ops), len(months)),
            "to_operator": np.tile(np.tile(names, n_ops), len(months)),
            "subscribers": model.flows.reshape(-1),
            "agents": model.flows.reshape(-1).astype(np.int64),
        }
    )
    sw = sw[(sw["month"] > 0) & (sw["from_operator"] != sw["to_operator"])].reset_index(drop=True)
    scale = scale_factor(model.spec)
    out = {"operators": ops, "segments": seg, "switching": sw}
    if scale != 1.0:
        for df in out.values():
            for col in SCALED_COLUMNS:
                if col in df:
                    df[col] = df[col] * scale
    out["cohorts"] = cohort_frame(model, replication, scale)
    out["risk"] = risk_frame(model, replication, scale)
    return out


def bands(values: pd.Series | np.ndarray) -> dict[str, float]:
    """5 / 50 / 95 % quantiles across replications (all equal for one replication)."""
    q = np.quantile(np.asarray(values, dtype=float), [0.05, 0.5, 0.95])
    return {"p5": float(q[0]), "p50": float(q[1]), "p95": float(q[2])}


def annualised_churn(monthly: pd.Series) -> float:
    """``1 - (prod(1 - churn_t))^(12 / months)`` over months 1..T."""
    rates = monthly.to_numpy(dtype=float)
    if rates.size == 0:
        return 0.0
    return float(1.0 - np.prod(1.0 - rates) ** (12.0 / rates.size))


def clv(arpu: float, churn: float, margin: float, annual_rate: float) -> float:
    """Customer lifetime value ``margin * ARPU * (1 + r) / (r + churn)`` (r monthly)."""
    r = (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0
    return float(margin * arpu * (1.0 + r) / (r + churn)) if r + churn > 0 else float("nan")


def _tail(df: pd.DataFrame, window: int = 12) -> pd.DataFrame:
    """The last ``window`` months of a group (month 0 excluded: it has no flows)."""
    tail = df[df["month"] > df["month"].max() - window]
    return tail[tail["month"] > 0]


def tail_arpu(df: pd.DataFrame, window: int = 12) -> float:
    """Revenue per subscriber-month over the last ``window`` months (the CLV's ARPU)."""
    sums = _tail(df, window).sum(numeric_only=True)
    return float(ratios(sums, ["arpu"])["arpu"])


def tail_clv(df: pd.DataFrame, econ: Any, window: int = 12) -> float:
    """CLV from ARPU and churn averaged over the last ``window`` months of a group."""
    tail = _tail(df, window)
    return clv(
        tail_arpu(df, window),
        float(tail["churn_rate"].mean()) if len(tail) else 0.0,
        econ.margin,
        econ.annual_discount_rate,
    )


def tail_clv_gross_net(df: pd.DataFrame, econ: Any, window: int = 12) -> tuple[float, float]:
    """CLV before and after what keeping and winning customers costs, over the CLV window.

    Gross: the margin on what customers would pay without retention discounts
    (``revenue + retention_cost``). Net: the margin on what they paid, less the handset
    subsidies paid, per subscriber-month. Both with the churn of :func:`tail_clv`.
    """
    tail = _tail(df, window)
    sums = tail.sum(numeric_only=True)
    churn = float(tail["churn_rate"].mean()) if len(tail) else 0.0
    subs = float(sums.get("subscribers", 0.0))
    if subs <= 0:
        return 0.0, 0.0
    gross = (sums["revenue"] + sums["retention_cost"]) / subs
    net = (econ.margin * sums["revenue"] - sums["subsidy_cost"]) / subs
    return (
        clv(gross, churn, econ.margin, econ.annual_discount_rate),
        clv(net, churn, 1.0, econ.annual_discount_rate),
    )


@dataclass
class RunResult:
    """Tables of all replications of one scenario, with a summary and provenance.

    Attributes:
        scenario: the resolved scenario that ran.
        operators: month x replication x operator table.
        segments: month x replication x segment x operator table.
        switching: month x replication x from_operator x to_operator flows.
        cohorts: month x replication x operator x cohort stock, churners, gross adds
            (:mod:`sim.cohorts`; empty for a folder written before cohorts existed).
        risk: month x replication x operator distribution of the chance of leaving next
            month, every 12 months and the last (:mod:`sim.risk`; empty for older folders).
        provenance: version, scenario hash, seeds, threads, wall time, phase timings.
    """

    scenario: Scenario
    operators: pd.DataFrame
    segments: pd.DataFrame
    switching: pd.DataFrame
    cohorts: pd.DataFrame = field(default_factory=empty_cohorts)
    risk: pd.DataFrame = field(default_factory=empty_risk)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        """Number of replications in the tables."""
        return int(self.operators["replication"].nunique())

    def final_shares(self) -> pd.DataFrame:
        """Final-month share per replication (rows) and operator (columns)."""
        last = self.operators[self.operators["month"] == self.operators["month"].max()]
        return last.pivot(index="replication", columns="operator", values="share")

    def summary(self) -> dict[str, Any]:
        """Final shares, share change, churn, ARPU and CLV per operator with 5/50/95 % bands."""
        econ = self.scenario.economics
        ops = self.operators
        months = ops[ops["month"] > 0]
        last = ops[ops["month"] == ops["month"].max()]
        first = ops[ops["month"] == 0]
        per_operator: dict[str, Any] = {}
        for name, group in months.groupby("operator", sort=False):
            reps = group.groupby("replication")
            final = last[last["operator"] == name].set_index("replication")["share"]
            start = first[first["operator"] == name].set_index("replication")["share"]
            per_operator[name] = {
                "final_share": bands(final),
                "final_subscribers": bands(last[last["operator"] == name]["subscribers"]),
                "annualised_churn": bands(reps["churn_rate"].apply(annualised_churn)),
                "mean_monthly_churn": bands(reps["churn_rate"].mean()),
                "clv": bands(reps.apply(lambda d: tail_clv(d, econ), include_groups=False)),
                # before retention discounts, and after them and handset subsidies
                "clv_gross": bands(
                    reps.apply(lambda d: tail_clv_gross_net(d, econ)[0], include_groups=False)
                ),
                "clv_net": bands(
                    reps.apply(lambda d: tail_clv_gross_net(d, econ)[1], include_groups=False)
                ),
                # final minus month-0 share, per replication (a fraction, not points)
                "share_change": bands(final - start.reindex(final.index, fill_value=0.0)),
                # revenue per subscriber-month over the CLV's window (currency/month)
                "arpu": bands(reps.apply(tail_arpu, include_groups=False)),
            }
        seg_clv: dict[str, dict[str, float]] = {}
        seg = self.segments[self.segments["month"] > 0]
        for (op, sname), group in seg.groupby(["operator", "segment"], sort=False):
            values = group.groupby("replication").apply(
                lambda d: tail_clv(d, econ), include_groups=False
            )
            seg_clv.setdefault(op, {})[sname] = float(np.median(values))
        return {
            "scenario": self.scenario.name,
            "description": self.scenario.description,
            "months": int(ops["month"].max()),
            "replications": self.replications,
            "operators": per_operator,
            "clv_by_segment": seg_clv,
            "provenance": self.provenance,
        }

    def save(self, out_dir: str | Path, figures: bool = True) -> Path:
        """Write tables (Parquet), summary.json, scenario.yaml and figures, each atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("operators", "segments", "switching", "cohorts", "risk"):
            df = getattr(self, name)
            atomic_write(out / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
        write_text(out / "scenario.yaml", dump_yaml(self.scenario))
        write_json(out / "summary.json", self.summary())
        if figures:
            from sim import plots

            plots.save_run_figures(self, out)
        return out

    @classmethod
    def load(cls, run_dir: str | Path) -> RunResult:
        """The run saved in ``run_dir``, with the provenance from its ``summary.json``.

        Folders are often named by hand, or half-written by a crash, so every file is
        checked before use.

        Raises:
            UserError: the folder is missing, or a file is missing, unreadable or lacks
                a column; the message names the folder and the file.
        """
        folder = Path(run_dir)
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "folder not found"
            raise UserError(f"{folder}: {what} (expected a results folder written by telsim run)")
        missing = [name for name in RUN_FILES if not (folder / name).is_file()]
        if missing:
            raise UserError(
                f"{folder}: not a telsim run folder: missing {', '.join(missing)} "
                f"(telsim run writes {', '.join(RUN_FILES)})"
            )
        summary = _read_summary(folder / "summary.json")
        tables = {name: _read_table(folder / name, cols) for name, cols in TABLE_COLUMNS.items()}
        cohorts, risk = folder / COHORTS_FILE, folder / RISK_FILE
        return cls(
            scenario=load_scenario(folder / "scenario.yaml"),
            operators=tables["operators.parquet"],
            segments=tables["segments.parquet"],
            switching=tables["switching.parquet"],
            cohorts=_read_table(cohorts, COHORT_COLUMNS) if cohorts.is_file() else empty_cohorts(),
            risk=_read_table(risk, RISK_COLUMNS) if risk.is_file() else empty_risk(),
            provenance=summary.get("provenance") or {},
        )


def _read_summary(path: Path) -> dict[str, Any]:
    """``summary.json`` as a mapping; a broken file is a UserError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A Parquet table with every column in ``columns``, or a UserError naming the file."""
    try:
        df = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise UserError(f"{path}: not a readable Parquet table: {exc}") from None
    added = [c for c in ADDED_COLUMNS if c in columns and c not in df.columns]
    if added:
        df = df.assign(**{c: ADDED_COLUMNS[c] for c in added})
        df = df.loc[:, [c for c in columns if c in df] + [c for c in df if c not in columns]]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)} (expected a table written by telsim run)"
        )
    if df.empty and "operator" in columns:  # switching is empty with one operator
        raise UserError(f"{path}: the table has no rows (expected a table written by telsim run)")
    return df
