"""Read a run folder for the report, refusing one that is not whole with one clear message.

:meth:`RunResult.load` assumes a good folder; a report is often asked for by hand, on
the wrong folder or one a crash left half-written, so every file is checked here and a
problem is a :class:`UserError` naming the folder and the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.results import RunResult
from sim.scenario import load_scenario

# What telsim run writes, and the columns of each table the report reads.
TABLE_COLUMNS = {
    "operators.parquet": (
        "month", "date", "replication", "operator", "subscribers", "share", "churn_rate",
        "revenue", "arpu", "satisfaction", "lockin_economic", "lockin_knowledge",
        "lockin_emotional", "handsets_2g", "handsets_3g", "handsets_4g", "handsets_5g",
        "agents",
    ),
    "segments.parquet": (
        "month", "replication", "segment", "operator", "subscribers", "churn_rate", "revenue",
    ),
    "switching.parquet": ("month", "replication", "from_operator", "to_operator", "subscribers"),
}  # fmt: skip
RUN_FILES = ("scenario.yaml", "summary.json", *TABLE_COLUMNS)


def load_run(run_dir: str | Path) -> RunResult:
    """The run saved in ``run_dir``, with the provenance from its ``summary.json``.

    Raises:
        UserError: the folder is missing, or a file is missing or unreadable; the
            message names the folder and the file.
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
    return RunResult(
        scenario=load_scenario(folder / "scenario.yaml"),
        operators=tables["operators.parquet"],
        segments=tables["segments.parquet"],
        switching=tables["switching.parquet"],
        provenance=summary.get("provenance") or {},
    )


def _read_summary(path: Path) -> dict[str, Any]:
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
    try:
        df = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise UserError(f"{path}: not a readable Parquet table: {exc}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)} (expected a table written by telsim run)"
        )
    if df.empty and "operator" in columns:  # switching is empty with one operator
        raise UserError(f"{path}: the table has no rows (expected a table written by telsim run)")
    return df
