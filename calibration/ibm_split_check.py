"""In- and out-of-sample churn of the IBM Telco contracts calibration (70/30 split).

Run from the repository root after ``telsim calibrate calibration/ibm_telco_contracts.yaml
--out results/ibm_contracts``::

    .venv/bin/python calibration/ibm_split_check.py results/ibm_contracts

Reads the best parameters from that folder's ``summary.json`` and runs them on each part
of the split (``split_ibm.py``): the train rows the fit saw and the test rows it did not,
each with the survey of ``ibm_telco_contracts.yaml`` sized to the part, the check
replications and seed of the calibration. Prints one Markdown row per contract type and
tenure band: observed churn with its binomial standard error, simulated mean, and
whether it is within 2 SE; writes the same to ``ibm_split_check.csv`` in that folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.outputs import check_run
from sim.calibration.targets import load_calibration

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "ibm_telco_contracts.yaml"
ROWS = {"train": 4930, "test": 2113}


def targets_for(part: str) -> Path:
    """The targets file with the part's scenario, data and survey size (beside the original)."""
    text = TARGETS.read_text(encoding="utf-8").replace("_train", f"_{part}")
    text = text.replace(f"respondents: {ROWS['train']}", f"respondents: {ROWS[part]}")
    path = HERE / f".ibm_telco_contracts_{part}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def compare(part: str, best: dict[str, float]) -> pd.DataFrame:
    """Observed and simulated churn of one part, moment by moment."""
    path = targets_for(part)
    try:
        cal = load_calibration(path)
        values = np.asarray(check_run(cal, best).values, dtype=float)
    finally:
        path.unlink()
    sim = np.nanmean(values, axis=1)  # (moments, replications)
    rows = []
    for k, m in enumerate(cal.moments):
        rows.append(
            {
                "part": part,
                "target": m.target,
                "group": m.label,
                "observed": m.observed,
                "se": m.se,
                "simulated": float(sim[k]),
                "z": (float(sim[k]) - m.observed) / m.se,
            }
        )
    frame = pd.DataFrame(rows)
    frame["within_2se"] = frame["z"].abs() <= 2.0
    return frame


def main() -> None:
    """Compare both parts at the best parameters of the calibration folder given."""
    folder = Path(sys.argv[1])
    best = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["best_parameters"]
    table = pd.concat([compare(part, best) for part in ROWS], ignore_index=True)
    table.to_csv(folder / "ibm_split_check.csv", index=False)
    print("| part | group | observed ± SE | simulated | z | within 2 SE |")
    print("|:---|:---|---:|---:|---:|:---:|")
    for r in table.itertuples():
        print(
            f"| {r.part} | {r.group} | {100 * r.observed:.1f} % ± {100 * r.se:.1f} | "
            f"{100 * r.simulated:.1f} % | {r.z:+.1f} | {'yes' if r.within_2se else 'no'} |"
        )


if __name__ == "__main__":
    main()
