"""A run's tables for the people who open them in a spreadsheet: CSV files or one workbook.

``csv`` writes ``operators.csv``, ``segments.csv``, ``switching.csv``, ``risk.csv`` (the
customers at risk, for run folders that have it) and ``summary.csv`` beside the Parquet
tables; ``xlsx`` writes ``<scenario>.xlsx`` with a ``summary`` sheet
(the key numbers per operator with their 5/50/95 % bands), an ``about`` sheet (what ran,
and how far to trust it) and one sheet per table. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.io import atomic_write
from sim.results import RunResult

FORMATS = ("csv", "xlsx")
TABLES = ("operators", "segments", "switching")
OPTIONAL_TABLES = ("risk",)  # exported when the run folder has them (newer runs)
EXCEL_ROWS = 1_048_576  # rows in a worksheet, header included
# summary.json's per-operator quantities, in the order of the report's key numbers
_QUANTITIES = (
    ("final_share", "final share (fraction)"),
    ("share_change", "change in share since month 0 (fraction)"),
    ("final_subscribers", "subscribers at the end"),
    ("annualised_churn", "annualised churn (fraction per year)"),
    ("mean_monthly_churn", "mean monthly churn (fraction per month)"),
    ("arpu", "ARPU, last 12 months (currency per subscriber-month)"),
    ("clv", "CLV (currency per subscriber)"),
)


def summary_table(result: RunResult, summary: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per operator: each key number as its 5 %, median and 95 % columns."""
    summary = summary if summary is not None else result.summary()
    labels = {o.name: o.display for o in result.scenario.all_operators()}
    rows = []
    for name, row in summary["operators"].items():
        out: dict[str, Any] = {"operator": name, "display_name": labels.get(name, name)}
        for key, _ in _QUANTITIES:
            for q in ("p5", "p50", "p95"):
                out[f"{key}_{q}"] = row[key][q]
        rows.append(out)
    return pd.DataFrame(rows)


def about_table(result: RunResult) -> pd.DataFrame:
    """What ran and how far to trust it, as label/value rows (the workbook's ``about``)."""
    from sim.plots import currency_code
    from sim.report.caveat import caveat

    sc = result.scenario
    dates = sc.simulation.month_dates()
    trust = caveat(result)
    currency = currency_code(sc) or "the scenario's currency (economics.currency not set)"
    rows = [
        ("scenario", sc.name),
        ("title", sc.title or ""),
        ("months", f"{sc.simulation.months} ({dates[0]:%Y-%m} to {dates[-1]:%Y-%m})"),
        ("agents at month 0", sc.population.size),
        ("real subscribers at month 0", sc.population.represents or "not set: counts are agents"),
        ("replications", result.replications),
        ("seed", sc.simulation.seed),
        ("money", currency),
        ("telsim version", str(result.provenance.get("version", "unknown"))),
        ("calibration", trust.headline),
        *(("caveat", line) for line in trust.lines),
    ]
    rows += [(f"summary: {key}", meaning) for key, meaning in _QUANTITIES]
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})


def export_run(run_dir: str | Path, fmt: str, result: RunResult | None = None) -> list[Path]:
    """Write the run saved in ``run_dir`` as CSV files or a workbook; returns the paths.

    Raises:
        UserError: an unknown format, a folder that is not a whole run, or a table too
            long for a worksheet (the message says to use CSV).
    """
    if fmt not in FORMATS:
        raise UserError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    folder = Path(run_dir)
    result = result if result is not None else RunResult.load(folder)
    summary = summary_table(result)
    tables = (*TABLES, *(n for n in OPTIONAL_TABLES if not getattr(result, n).empty))
    if fmt == "csv":
        paths = [
            atomic_write(folder / f"{name}.csv", lambda p, df=df: df.to_csv(p, index=False))
            for name, df in [*((n, getattr(result, n)) for n in tables), ("summary", summary)]
        ]
        return paths
    for name in tables:
        rows = len(getattr(result, name)) + 1
        if rows > EXCEL_ROWS:
            raise UserError(
                f"{folder}: the {name} table has {rows - 1:,} rows, more than a worksheet's "
                f"{EXCEL_ROWS - 1:,}; expected --format csv for a run this large"
            )
    sheets = {"summary": summary, "about": about_table(result)}
    sheets |= {name: getattr(result, name) for name in tables}

    def write(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as book:
            for sheet, df in sheets.items():
                df.to_excel(book, sheet_name=sheet, index=False)

    return [atomic_write(folder / f"{result.scenario.name}.xlsx", write)]
