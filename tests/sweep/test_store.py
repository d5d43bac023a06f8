"""The run store: atomic parts, a manifest that is the truth, resume rules, batching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import UserError
from sim.sweep import store as store_module
from sim.sweep.store import RunStore


def row(i: int) -> dict:
    failed = i % 5 == 3
    return {
        "point": i // 2,
        "x": float(i),
        "label": f"p{i}",
        "metric": np.nan if failed else i * 0.5,
        "error": "ValueError: bad" if failed else None,
    }


def test_append_finished_and_frame_in_index_order(tmp_path: Path) -> None:
    s = RunStore(tmp_path / "s", fingerprint="f", resume=False)
    order = [4, 1, 0, 3, 2]
    for i in order:
        s.append(i, row(i))
    assert s.finished() == set(order)
    df = s.frame()
    assert list(df["index"]) == [0, 1, 2, 3, 4]
    assert list(df.columns) == ["index", "point", "x", "label", "metric", "error"]
    assert df["metric"].dtype == np.float64
    assert df.loc[3, "error"] == "ValueError: bad" and pd.isna(df.loc[0, "error"])
    # A reopened store sees the same runs.
    again = RunStore(tmp_path / "s", fingerprint="f", resume=True)
    assert again.finished() == set(order)
    pd.testing.assert_frame_equal(again.frame(), df)


def test_existing_runs_need_resume_and_the_same_definition(tmp_path: Path) -> None:
    s = RunStore(tmp_path / "s", fingerprint="f", resume=False)
    s.append(0, row(0))
    with pytest.raises(UserError, match=r"already holds 1 finished runs.*--resume.*another --out"):
        RunStore(tmp_path / "s", fingerprint="f", resume=False)
    with pytest.raises(UserError, match=rf"{tmp_path / 's'}: its runs come from a different sweep"):
        RunStore(tmp_path / "s", fingerprint="g", resume=True)
    # An empty store (created, nothing finished) may be reused by any sweep.
    RunStore(tmp_path / "e", fingerprint="f", resume=False)
    assert RunStore(tmp_path / "e", fingerprint="g", resume=False).finished() == set()


def test_a_part_the_manifest_does_not_list_is_ignored(tmp_path: Path) -> None:
    """A crash between writing a part and the manifest: the run is simply redone."""
    s = RunStore(tmp_path / "s", fingerprint="f", resume=False)
    s.append(0, row(0))
    pd.DataFrame([{"index": 1, **row(1)}]).to_parquet(tmp_path / "s/parts/run-0000001.parquet")
    (tmp_path / "s/parts/.run-0000002.parquet.x.tmp").write_bytes(b"half a file")
    resumed = RunStore(tmp_path / "s", fingerprint="f", resume=True)
    assert resumed.finished() == {0}
    assert list(resumed.frame()["index"]) == [0]
    resumed.append(1, row(1))
    assert list(resumed.frame()["index"]) == [0, 1]


def test_single_parts_are_merged_into_batches(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "BATCH", 4)
    plain = RunStore(tmp_path / "plain", fingerprint="f", resume=False)
    for i in range(11):
        plain.append(i, row(i))
    monkeypatch.setattr(store_module, "BATCH", 3)
    batched = RunStore(tmp_path / "b", fingerprint="f", resume=False)
    for i in [7, 2, 9, 0, 10, 1, 5, 3, 8, 6, 4]:
        batched.append(i, row(i))
    parts = sorted(p.name for p in (tmp_path / "b/parts").iterdir())
    assert sum(p.startswith("batch-") for p in parts) == 3
    assert sum(p.startswith("run-") for p in parts) == 2
    pd.testing.assert_frame_equal(batched.frame(), plain.frame())
    manifest = json.loads((tmp_path / "b/manifest.json").read_text())
    assert manifest["runs"] == 11 and manifest["fingerprint"] == "f"


def test_a_run_stored_again_replaces_its_row(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "BATCH", 2)
    s = RunStore(tmp_path / "s", fingerprint="f", resume=False)
    for i in range(3):
        s.append(i, row(i))
    s.append(0, {**row(0), "x": -1.0})
    df = s.frame()
    assert list(df["index"]) == [0, 1, 2]
    assert df.loc[0, "x"] == -1.0


def test_unreadable_manifest_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s/manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="not a telsim sweep manifest"):
        RunStore(tmp_path / "s", fingerprint="f", resume=True)
    (tmp_path / "f").write_text("a file", encoding="utf-8")
    with pytest.raises(UserError, match="cannot create the folder"):
        RunStore(tmp_path / "f", fingerprint="f", resume=False)


def test_a_listed_part_deleted_by_hand_is_redone(tmp_path: Path) -> None:
    s = RunStore(tmp_path / "s", fingerprint="f", resume=False)
    for i in range(3):
        s.append(i, row(i))
    (tmp_path / "s/parts/run-0000001.parquet").unlink()
    resumed = RunStore(tmp_path / "s", fingerprint="f", resume=True)
    assert resumed.finished() == {0, 2}
    assert list(resumed.frame()["index"]) == [0, 2]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong rows"])
def test_a_damaged_part_is_reported_deleted_and_redone(
    tmp_path: Path, monkeypatch, damage: str
) -> None:
    monkeypatch.setattr(store_module, "BATCH", 3)
    s = RunStore(tmp_path / "s", fingerprint="f", resume=False)
    for i in range(4):  # runs 0-2 merged into one batch part, run 3 alone
        s.append(i, row(i))
    part = tmp_path / "s" / "parts" / "run-0000003.parquet"
    if damage == "truncate":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    elif damage == "garbage":
        part.write_bytes(b"PAR1" + b"\0" * 100 + b"PAR1")
    else:
        pd.DataFrame([{"index": 7, **row(7)}]).to_parquet(part, index=False)
    again = RunStore(tmp_path / "s", fingerprint="f", resume=True)
    assert again.finished() == {0, 1, 2}
    assert len(again.damaged) == 1 and again.damaged[0].startswith("parts/run-0000003.parquet (")
    assert not part.exists()
    again.append(3, row(3))
    assert list(again.frame()["index"]) == [0, 1, 2, 3]
    assert RunStore(tmp_path / "s", fingerprint="f", resume=True).damaged == []
