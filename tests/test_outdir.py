"""Results folders (sim.outdir): written whole, one writer, kinds and scenarios kept apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.errors import UserError
from sim.outdir import MARKER, open_results_dir, read_marker, update_results_dir


def write_run(target: Path, digest: str = "a" * 64, files: dict[str, str] | None = None, **kw):
    with open_results_dir(target, "run", name="s", digest=digest, **kw) as folder:
        for name, text in (files or {"summary.json": "{}"}).items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder


def siblings(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def test_a_new_folder_appears_whole_with_its_marker(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out"
    staging = write_run(target)
    assert staging != target and not staging.exists()
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "summary.json"]
    marker = read_marker(target)
    assert marker is not None and (marker.kind, marker.name, marker.complete) == ("run", "s", True)
    assert marker.digest == "a" * 64
    assert siblings(target) == []  # no lock file, no staging folder left


def test_a_failure_keeps_the_old_result_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_run(target, files={"summary.json": "old"})
    with (
        pytest.raises(RuntimeError),
        open_results_dir(target, "run", name="s", digest="a" * 64) as f,
    ):
        (f / "summary.json").write_text("new", encoding="utf-8")
        raise RuntimeError("the simulation failed")
    assert (target / "summary.json").read_text(encoding="utf-8") == "old"
    assert siblings(target) == []


def test_the_same_scenario_replaces_the_whole_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_run(target, files={"summary.json": "old", "shares.png": "stale"})
    write_run(target, files={"summary.json": "new"})
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "summary.json"]  # no stale PNG
    assert (target / "summary.json").read_text(encoding="utf-8") == "new"


@pytest.mark.parametrize(
    ("kind", "digest", "fragments"),
    [
        ("sweep", "a" * 64, ["holds a run ('s', written by telsim run), not a sweep"]),
        ("run", "b" * 64, ["holds a run of a different scenario", "aaaaaaaaaaaa", "bbbbbbbbbbbb"]),
    ],
)
def test_another_kind_or_scenario_needs_overwrite(
    tmp_path: Path, kind: str, digest: str, fragments: list[str]
) -> None:
    target = tmp_path / "out"
    write_run(target, files={"summary.json": "old"})
    with pytest.raises(UserError) as info, open_results_dir(target, kind, name="t", digest=digest):  # type: ignore[arg-type]
        pytest.fail("opened")
    for fragment in [f"--out {target}", "--overwrite", *fragments]:
        assert fragment in str(info.value)
    assert (target / "summary.json").read_text(encoding="utf-8") == "old"
    with open_results_dir(target, kind, name="t", digest=digest, overwrite=True) as folder:  # type: ignore[arg-type]
        (folder / "new.txt").write_text("x", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "new.txt"]


def test_files_telsim_did_not_write_need_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("keep", encoding="utf-8")
    with pytest.raises(UserError, match="telsim did not write"):
        write_run(target)
    assert (target / "thesis.tex").read_text(encoding="utf-8") == "keep"
    write_run(tmp_path / "empty_is_fine")  # an empty folder may be used
    (tmp_path / "empty").mkdir()
    write_run(tmp_path / "empty")


def test_a_second_writer_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_run(target)
    pid = rf"being written by another telsim process \(pid {os.getpid()}\)"
    with open_results_dir(target, "run", name="s", digest="a" * 64):
        with pytest.raises(UserError, match=pid):
            write_run(target)
        with pytest.raises(UserError, match=pid), update_results_dir(target, "run"):
            pytest.fail("opened")
    write_run(target)  # released


def test_a_lock_file_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    target = tmp_path / "out"
    (tmp_path / ".out.lock").write_text("999999\n", encoding="utf-8")  # no flock held
    write_run(target)
    assert siblings(target) == []


def test_a_crash_between_the_two_renames_restores_the_old_result(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_run(target, files={"summary.json": "old"})
    target.rename(tmp_path / ".out.old-4242")  # the crash: old renamed away, new not in yet
    (tmp_path / ".out.new-4242").mkdir()
    (tmp_path / ".out.new-4242" / "summary.json").write_text("new", encoding="utf-8")
    with pytest.raises(UserError, match="different scenario"):
        write_run(target, digest="b" * 64)  # any open recovers first
    assert (target / "summary.json").read_text(encoding="utf-8") == "old"
    assert siblings(target) == []


def test_a_crash_after_the_swap_deletes_the_old_copy(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_run(target, files={"summary.json": "new"})
    shutil.copytree(target, tmp_path / ".out.old-4242")
    write_run(target, files={"summary.json": "newer"})
    assert siblings(target) == []


def test_resumable_folders_are_written_in_place_and_marked_incomplete(tmp_path: Path) -> None:
    target = tmp_path / "sweep"
    with pytest.raises(KeyboardInterrupt):
        with open_results_dir(target, "sweep", name="s", digest="a" * 64, resumable=True) as f:
            assert f == target
            (f / "part").write_text("1", encoding="utf-8")
            raise KeyboardInterrupt
    marker = read_marker(target)
    assert marker is not None and marker.complete is False and (target / "part").exists()
    with open_results_dir(target, "sweep", name="s", digest="a" * 64, resumable=True) as f:
        (f / "part2").write_text("2", encoding="utf-8")
    assert read_marker(target).complete is True  # type: ignore[union-attr]
    assert {p.name for p in target.iterdir()} == {MARKER, "part", "part2"}
    # --overwrite of a folder with results starts afresh in a temporary copy
    with open_results_dir(
        target, "sweep", name="s", digest="a" * 64, resumable=True, overwrite=True
    ) as f:
        assert f != target and not (f / "part").exists()
    assert {p.name for p in target.iterdir()} == {MARKER}


def test_an_update_leaves_the_old_files_untouched_until_the_swap(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_run(target, files={"summary.json": "run", "report.html": "old report"})
    before = (target / "summary.json").stat().st_ino
    with pytest.raises(RuntimeError), update_results_dir(target, "run") as copy:
        from sim.io import write_text

        write_text(copy / "report.html", "half")
        raise RuntimeError
    assert (target / "report.html").read_text(encoding="utf-8") == "old report"
    with update_results_dir(target, "run") as copy:
        from sim.io import write_text

        write_text(copy / "report.html", "new report")
        assert (target / "report.html").read_text(encoding="utf-8") == "old report"
    assert (target / "report.html").read_text(encoding="utf-8") == "new report"
    assert (target / "summary.json").stat().st_ino == before  # hard-linked, not copied
    assert read_marker(target).kind == "run"  # type: ignore[union-attr]
    with pytest.raises(UserError, match=r"holds a run .* not a sweep"):
        with update_results_dir(target, "sweep"):
            pass
    with pytest.raises(UserError, match="folder not found"):
        with update_results_dir(tmp_path / "nope", "run"):
            pass
    assert not (tmp_path / "nope").exists()


def test_a_path_through_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for target in (blocker, blocker / "sub"):
        with pytest.raises(UserError, match=f"{blocker} exists and is not a folder"):
            write_run(target)


def test_an_unwritable_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_run(target)
    if shutil.which("chattr") is None:
        pytest.skip("chattr not available")
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        if os.geteuid() == 0:
            pytest.skip("this file system has no immutable flag")
        target.chmod(0o555)
    try:
        with pytest.raises(
            UserError, match=f"--out {target}: cannot write in .*(not permitted|denied)"
        ):
            write_run(target)
    finally:
        subprocess.run(["chattr", "-i", str(target)], capture_output=True)
        target.chmod(0o755)
    assert json.loads((target / "summary.json").read_text(encoding="utf-8")) == {}
