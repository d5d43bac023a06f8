"""sim.io: a file written by rename reaches the disk before its name does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim import io
from sim.outdir import open_results_dir


def _record_syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What happens, in order: ``fsync <path>`` and ``replace <dst>``."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    names: dict[int, str] = {}
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        fd = real_open(path, flags, *args, **kwargs)
        names[fd] = str(path)
        return fd

    def fake_fsync(fd: int) -> None:
        events.append(f"fsync {names.get(fd, fd)}")
        real_fsync(fd)

    def fake_replace(src, dst) -> None:  # type: ignore[no-untyped-def]
        events.append(f"replace {dst}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "fsync", fake_fsync)
    monkeypatch.setattr(os, "replace", fake_replace)
    return events


def test_atomic_write_syncs_the_data_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _record_syncs(monkeypatch)
    target = tmp_path / "summary.json"
    io.write_json(target, {"a": 1})
    assert target.read_text().strip().startswith("{")
    replaced = events.index(f"replace {target}")
    synced_tmp = [k for k, e in enumerate(events) if e.startswith("fsync") and ".tmp" in e]
    assert synced_tmp and synced_tmp[0] < replaced, events
    assert events[replaced + 1 :] == [f"fsync {tmp_path}"], events


def test_a_results_folder_swap_is_synced_before_the_old_copy_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    for value in (1, 2):
        events = _record_syncs(monkeypatch)
        with open_results_dir(target, "run", name="x", digest="d", overwrite=True) as folder:
            io.write_text(folder / "a.txt", str(value))
        assert f"fsync {tmp_path}" in events, events
        monkeypatch.undo()
    assert (target / "a.txt").read_text() == "2"
