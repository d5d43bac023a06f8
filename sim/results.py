"""Run results: tidy tables from the model's accounting, bands across replications, files.

A finished :class:`~sim.market.model.MarketModel` holds per-month accumulators (counts
and money by operator and segment, switching flows). :func:`model_tables` flattens them
into long tables; :class:`RunResult` stacks replications, summarises them with 5/50/95 %
bands, and saves everything atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.engine import layout as L
from sim.io import atomic_write, write_json, write_text
from sim.scenario import Scenario, dump_yaml

if TYPE_CHECKING:
    from sim.market.model import MarketModel

# Columns that count subscribers or money: scaled by represents/size.
SCALED_COLUMNS = (*L.COUNT_NAMES, "revenue", "subsidy_cost", "retention_cost")


def scale_factor(scenario: Scenario) -> float:
    """Real subscribers per agent (``population.represents / size``; 1 if not given)."""
    pop = scenario.population
    return pop.represents / pop.size if pop.represents else 1.0


def _frame(
    model: MarketModel, counts: np.ndarray, sums: np.ndarray, keys: dict[str, Any]
) -> pd.DataFrame:
    """Long table from accumulators shaped (months+1, groups, ...); ``keys`` label groups.

    Means over no subscribers (an operator not yet entered) are 0, not NaN.
    """
    months = np.arange(counts.shape[0])
    n_groups = counts.shape[1]
    data: dict[str, Any] = {"month": np.repeat(months, n_groups)}
    for name, values in keys.items():
        data[name] = np.tile(values, len(months))
    for k, name in enumerate(L.COUNT_NAMES):
        data[name] = counts[..., k].reshape(-1)
    for k, name in enumerate(L.SUM_NAMES):
        data[name] = sums[..., k].reshape(-1)
    df = pd.DataFrame(data)
    subs = df["subscribers"].to_numpy(dtype=float)
    prev = df.groupby(list(keys))["subscribers"].shift(1).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["churn_rate"] = np.where(prev > 0, df["churners"] / prev, 0.0)
        for name in ("satisfaction", "lockin_economic", "lockin_knowledge", "lockin_emotional"):
            df[name] = np.where(subs > 0, df.pop(f"{name}_sum") / subs, 0.0)
        df["arpu"] = np.where(subs > 0, df["revenue"] / subs, 0.0)
    dates = pd.to_datetime([d.isoformat() for d in model.spec.simulation.month_dates()])
    df.insert(1, "date", dates[df["month"].to_numpy()])
    return df


def model_tables(model: MarketModel, replication: int) -> dict[str, pd.DataFrame]:
    """Operator, segment and switching tables of one finished replication."""
    tb = model.tables
    names, segs = tb.operator_names, tb.segment_names
    n_ops, n_seg = len(names), len(segs)
    ops = _frame(model, model.counts.sum(axis=2), model.sums.sum(axis=2), {"operator": names})
    total = ops.groupby("month")["subscribers"].transform("sum").to_numpy(dtype=float)
    ops.insert(4, "share", np.where(total > 0, ops["subscribers"] / total, 0.0))
    ops["retention_offers"] = model.offers.reshape(-1)
    seg = _frame(
        model,
        model.counts.transpose(0, 2, 1, 3).reshape(model.counts.shape[0], n_seg * n_ops, -1),
        model.sums.transpose(0, 2, 1, 3).reshape(model.sums.shape[0], n_seg * n_ops, -1),
        {"segment": np.repeat(segs, n_ops), "operator": np.tile(names, n_seg)},
    )
    seg_total = (
        seg.groupby(["month", "segment"])["subscribers"].transform("sum").to_numpy(dtype=float)
    )
    seg.insert(5, "share", np.where(seg_total > 0, seg["subscribers"] / seg_total, 0.0))
    months = np.arange(model.flows.shape[0])
    sw = pd.DataFrame(
        {
            "month": np.repeat(months, n_ops * n_ops),
            "from_operator": np.tile(np.repeat(names, n_ops), len(months)),
            "to_operator": np.tile(np.tile(names, n_ops), len(months)),
            "subscribers": model.flows.reshape(-1),
        }
    )
    sw = sw[(sw["month"] > 0) & (sw["from_operator"] != sw["to_operator"])].reset_index(drop=True)
    scale = scale_factor(model.spec)
    out = {}
    for name, df in (("operators", ops), ("segments", seg), ("switching", sw)):
        df.insert(1 if name == "switching" else 2, "replication", replication)
        df["agents"] = df["subscribers"].astype(np.int64)
        if scale != 1.0:
            for col in SCALED_COLUMNS:
                if col in df:
                    df[col] = df[col] * scale
        out[name] = df
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
    tail = _tail(df, window)
    subs = tail["subscribers"].sum()
    return float(tail["revenue"].sum() / subs) if subs else 0.0


def tail_clv(df: pd.DataFrame, econ: Any, window: int = 12) -> float:
    """CLV from ARPU and churn averaged over the last ``window`` months of a group."""
    tail = _tail(df, window)
    return clv(
        tail_arpu(df, window),
        float(tail["churn_rate"].mean()) if len(tail) else 0.0,
        econ.margin,
        econ.annual_discount_rate,
    )


@dataclass
class RunResult:
    """Tables of all replications of one scenario, with a summary and provenance.

    Attributes:
        scenario: the resolved scenario that ran.
        operators: month x replication x operator table.
        segments: month x replication x segment x operator table.
        switching: month x replication x from_operator x to_operator flows.
        provenance: version, scenario hash, seeds, threads, wall time, phase timings.
    """

    scenario: Scenario
    operators: pd.DataFrame
    segments: pd.DataFrame
    switching: pd.DataFrame
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
        for name in ("operators", "segments", "switching"):
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
        """Read a saved run directory back."""
        import json

        from sim.scenario import load_scenario

        d = Path(run_dir)
        summary = json.loads((d / "summary.json").read_text())
        return cls(
            scenario=load_scenario(d / "scenario.yaml"),
            operators=pd.read_parquet(d / "operators.parquet"),
            segments=pd.read_parquet(d / "segments.parquet"),
            switching=pd.read_parquet(d / "switching.parquet"),
            provenance=summary.get("provenance", {}),
        )
