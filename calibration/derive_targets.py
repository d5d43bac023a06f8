"""Derive the calibration examples' target tables from the real data in ../shared/data.

Run from the repository root::

    .venv/bin/python calibration/derive_targets.py            # IBM and China tables
    .venv/bin/python calibration/derive_targets.py synthetic  # also the synthetic survey

Every output says in ``calibration/data/README.md`` which file and columns it came from.
The source files are never modified. The synthetic survey is produced by the model itself
(``telsim`` run with known parameters and a simulated survey), so it needs the package.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SHARED = HERE.parent.parent / "shared" / "data"
IBM = SHARED / "telco_churn_ibm.csv"
CHINA = SHARED / "china_mobile_operators_2008_2012.csv"
TENURE_EDGES = (0, 12, 24, 48, 73)  # months; bands 0-11, 12-23, 24-47, 48-72
SYNTHETIC_SEED_OFFSET = 1000  # the synthetic survey is another draw than the calibration's
SYNTHETIC_SHARE_MONTHS = (6, 12, 18, 24)


def ibm_tables(raw: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """IBM Telco churn: the customer rows the population is drawn from, churn by group.

    From ``telco_churn_ibm.csv`` (or ``raw``, a subset of its rows), columns
    ``customerID``, ``Contract``, ``tenure``, ``MonthlyCharges``, ``SeniorCitizen`` and
    ``Churn`` (Yes = left within the last month).
    """
    raw = pd.read_csv(IBM) if raw is None else raw
    churn = raw["Churn"].eq("Yes")
    customers = raw[["customerID", "Contract", "tenure", "MonthlyCharges", "SeniorCitizen"]]
    by_contract = (
        raw.assign(churned=churn)
        .groupby("Contract", sort=False)["churned"]
        .agg(customers="size", churners="sum")
        .reset_index()
        .rename(columns={"Contract": "contract"})
    )
    by_contract["churn_rate"] = by_contract["churners"] / by_contract["customers"]
    edges = np.array(TENURE_EDGES)
    labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(TENURE_EDGES)]
    band = pd.cut(raw["tenure"], edges, right=False, labels=labels)
    by_tenure = (
        raw.assign(churned=churn, tenure_band=band)
        .groupby("tenure_band", observed=True)["churned"]
        .agg(customers="size", churners="sum")
        .reset_index()
    )
    by_tenure["churn_rate"] = by_tenure["churners"] / by_tenure["customers"]
    return {
        "ibm_customers.csv": customers,
        "ibm_churn_by_contract.csv": by_contract.sort_values("contract").reset_index(drop=True),
        "ibm_churn_by_tenure.csv": by_tenure,
    }


def china_table() -> pd.DataFrame:
    """China 2009-2012-09: reported subscribers and 3G subscribers by operator.

    From ``china_mobile_operators_2008_2012.csv``, columns ``month_end``, ``operator``
    (CM, CU, CT; the ALL rows are national totals and are left out), ``subscribers_m`` and
    ``subs_3g_m`` (millions), ``note``. Rows from 2009-01 on (month 0 is the end of 2008,
    the scenario's initial state).
    """
    raw = pd.read_csv(CHINA)
    rows = raw[(raw["operator"] != "ALL") & (raw["month_end"] >= "2009-01")]
    keep = rows[["month_end", "operator", "subscribers_m", "subs_3g_m", "note"]]
    keep = keep[keep["subscribers_m"].notna() | keep["subs_3g_m"].notna()]
    return keep.reset_index(drop=True)


def synthetic_tables() -> dict[str, pd.DataFrame]:
    """A survey and market shares simulated with known parameters (synthetic_survey.yaml).

    The model runs ``synthetic_base.yaml`` with the true values of
    ``synthetic_survey.yaml``'s parameters and a data seed (the calibration's seed +
    1000), and fields its survey. The tables hold the survey's group means with their
    respondent counts (and standard deviations), and the operators' shares.
    """
    import dataclasses

    sys.path.insert(0, str(HERE.parent))
    from sim.calibration.evaluate import make_task, simulate
    from sim.calibration.targets import load_calibration

    cal = load_calibration(HERE / "synthetic_survey.yaml", expand=False)
    truth = {p.name: p.truth for p in cal.spec.parameters}
    if any(v is None for v in truth.values()):
        raise SystemExit("synthetic_survey.yaml: every parameter needs a truth value")
    task = dataclasses.replace(
        make_task(cal, 0, truth, 1),  # type: ignore[arg-type]
        seed=cal.settings.seed + SYNTHETIC_SEED_OFFSET,
    )
    _, result, responses = simulate(task)
    panel = responses[responses["survey"] == "panel"]
    tables = {}
    for question, by in (
        ("intention", "segment"),
        ("satisfaction", "operator"),
        ("on_contract", "segment"),
    ):
        frame = (
            panel.groupby(["month", by], sort=True)[question]
            .agg(respondents="size", value="mean", sd="std")
            .reset_index()
        )
        tables[f"synthetic_{question}.csv"] = frame
    ops = result.operators
    shares = ops[ops["month"].isin(SYNTHETIC_SHARE_MONTHS)][
        ["month", "operator", "share", "agents"]
    ]
    tables["synthetic_shares.csv"] = shares.reset_index(drop=True)
    return tables


def main(argv: list[str]) -> None:
    """Write the tables into calibration/data/."""
    DATA.mkdir(exist_ok=True)
    tables = {**ibm_tables(), "china_subscribers.csv": china_table()}
    if "synthetic" in argv:
        tables.update(synthetic_tables())
    for name, frame in tables.items():
        # repr-precision floats: a synthetic value read back is the simulated value exactly
        frame.to_csv(DATA / name, index=False, float_format=None)
        print(f"wrote {DATA / name} ({len(frame)} rows)")


if __name__ == "__main__":
    main(sys.argv[1:])
