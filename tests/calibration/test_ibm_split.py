"""The seeded 70/30 split of the IBM rows (calibration/split_ibm.py) and its files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "calibration" / "data"
SCRIPT = DATA.parent / "split_ibm.py"


def _split_module():
    spec = importlib.util.spec_from_file_location("split_ibm", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_split_is_the_seeded_one():
    customers = pd.read_csv(DATA / "ibm_customers.csv")
    committed = pd.read_csv(DATA / "ibm_split.csv")
    parts = _split_module().split(customers)
    assert (committed["customerID"] == customers["customerID"]).all()
    assert (committed["part"] == parts).all()
    assert (parts == "train").sum() == round(0.7 * len(customers))


def test_the_parts_add_up_to_all_rows():
    for table, key in (
        ("ibm_churn_by_contract", "contract"),
        ("ibm_churn_by_tenure", "tenure_band"),
    ):
        whole = pd.read_csv(DATA / f"{table}.csv").set_index(key)
        train = pd.read_csv(DATA / f"{table}_train.csv").set_index(key)
        test = pd.read_csv(DATA / f"{table}_test.csv").set_index(key)
        for col in ("customers", "churners"):
            assert (train[col] + test[col]).equals(whole[col]), (table, col)
    rows = {p: len(pd.read_csv(DATA / f"ibm_customers_{p}.csv")) for p in ("train", "test")}
    assert rows == {"train": 4930, "test": 2113}
