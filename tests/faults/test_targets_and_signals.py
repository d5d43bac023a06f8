"""Unwritable targets are refused before any simulation; Ctrl-C answers at once, writes nothing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibration"))
from calkit import write_calibration
from faultkit import (
    BARE,
    DEFAULT,
    LINUX_ONLY,
    cli,
    leftovers,
    read_tty,
    readonly,
    start_tty,
    whole_run,
)

pytestmark = LINUX_ONLY

# Minutes of simulation: a refusal that comes only after it would time the test out.
HUGE = ("-n", "3000000", "-m", "600", "-r", "1", "-q")


def one_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("error: ") == 1, proc.stderr
    text = " ".join(proc.stderr.split())
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_a_read_only_file_system_is_refused_before_any_simulation(tmp_path: Path) -> None:
    mounted = tmp_path / "ro"
    mounted.mkdir()
    targets = write_calibration(tmp_path / "cal", trials=4)
    started = time.monotonic()
    proc = readonly(mounted, "run", DEFAULT, *HUGE, "--out", mounted / "out", timeout=60)
    if proc is None:
        pytest.skip("needs root and unshare for a private read-only mount")
    one_error(proc, f"--out {mounted / 'out'}", "Read-only file system")
    assert time.monotonic() - started < 30
    # calibrate used to say the folder "already holds trials of a calibration"
    proc = readonly(mounted, "calibrate", targets, "--out", mounted / "cal", "-q", timeout=60)
    assert proc is not None
    one_error(proc, f"--out {mounted / 'cal'}", "Read-only file system")
    assert "already holds" not in proc.stderr


def test_an_immutable_folder_is_refused_before_any_simulation(tmp_path: Path) -> None:
    target = tmp_path / "out"
    assert (
        cli(
            "run", DEFAULT, "-n", "500", "-m", "6", "-q", "--no-figures", "--out", target
        ).returncode
        == 0
    )
    old = whole_run(target, BARE)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(target)]).returncode:
        pytest.skip("no immutable flag here (needs root and chattr)")
    try:
        started = time.monotonic()
        proc = cli("run", DEFAULT, *HUGE, "--out", target, timeout=60)
        one_error(proc, f"--out {target}", "Operation not permitted")
        assert time.monotonic() - started < 30
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)
    assert whole_run(target, BARE) == old


# What the interrupted run and its warm-up share.
LONG = ["-r", "1", "--set", "population.entry_per_month=0"]


def interrupt(target: Path, *args: str) -> tuple[int, str, float]:
    """Start a long run, Ctrl-C it after its first months: exit code, last line, seconds."""
    # a million agents: a month takes tens of milliseconds, so the run is still going when
    # the signal comes (at 200,000 agents, on the faster kernel and a loaded machine, one
    # fresh-clone run had ended before it)
    months = [*LONG, "-n", "1000000", "-m", "600"]
    proc, tty = start_tty("run", DEFAULT, *months, "--no-figures", "--out", target, *args)
    try:
        # month 3 or later: the progress line may skip months between refreshes
        assert re.search(
            r" [1-9]\d*/600 months", read_tty(tty, until=r" ([3-9]|[1-9]\d+)/600 months")
        )
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        # read on while it answers: a terminal nobody reads fills up and blocks its writer
        shown = read_tty(tty)  # up to the child's exit, which closes the terminal
        code = proc.wait(timeout=10)
        seconds = time.monotonic() - sent
        lines = [line.strip() for line in re.split(r"[\r\n]+", shown) if line.strip()]
    finally:
        os.close(tty)
        if proc.poll() is None:  # it ignored the signal: do not leave it running
            proc.kill()
    return code, lines[-1] if lines else "", seconds


def test_ctrl_c_says_where_in_one_line_and_keeps_the_folder_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh clone compiles each kernel on its first call (up to a minute), and the
    # other test worker writes numba's cache meanwhile: give these runs a cache of their
    # own, and fill it by running the same scenario long enough to call every kernel
    # first, so the timing below is the answer to Ctrl-C, not a compilation.
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba-cache"))
    warm = [*LONG, "-n", "2000", "-m", "24", "-q", "--no-figures", "--out", tmp_path / "warm"]
    assert cli("run", DEFAULT, *warm, timeout=600).returncode == 0
    target = tmp_path / "out"
    code, line, seconds = interrupt(target)
    assert code == 130, line
    assert seconds < 2.0, seconds
    assert re.fullmatch(r"interrupted at month \d+; nothing written", line), line
    assert not target.exists() and leftovers(target) == []

    small = ["-n", "500", "-m", "6", "-q", "--no-figures", "--out", target]
    assert cli("run", DEFAULT, *small).returncode == 0
    old = whole_run(target, BARE)
    code, line, seconds = interrupt(target, "--overwrite")
    assert code == 130 and seconds < 2.0, (line, seconds)
    assert re.fullmatch(r"interrupted at month \d+; previous results kept", line), line
    assert whole_run(target, BARE) == old and leftovers(target) == []
