"""Fault injection helpers: telsim in a subprocess, kill -9, and checks of what is left.

Not a conftest (see tests/sweep/sweepkit.py). The central check is :func:`whole_run`:
a results folder is either absent or whole, its marker, summary, scenario and tables
telling the same story.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.scenario import load_scenario

# Process trees are read from /proc, pseudo-terminals and flock are POSIX: Linux only.
LINUX_ONLY = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"
PRICE_WAR = ROOT / "scenarios" / "price_war.yaml"
TABLES = {
    "operators.parquet",
    "segments.parquet",
    "switching.parquet",
    "cohorts.parquet",
    "risk.parquet",
}
BARE = {".telsim.json", "summary.json", "scenario.yaml", *TABLES}
FIGURES = {"shares.png", "churn.png", "switching.png"}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def command(*args: object) -> list[str]:
    """``python -m sim.cli ARGS`` with this interpreter."""
    return [sys.executable, "-m", "sim.cli", *map(str, args)]


def cli(*args: object, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run telsim to the end."""
    return subprocess.run(
        command(*args), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout
    )


def start(*args: object) -> subprocess.Popen[str]:
    """Start telsim; its output is collected when it ends."""
    return subprocess.Popen(
        command(*args),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# A shell without job control starts background commands with SIGINT ignored, and an
# ignored signal stays ignored across exec: Python then installs no KeyboardInterrupt
# handler, and telsim, as any well-behaved program, ignores Ctrl-C. A test suite started
# that way (``make test &``, some CI runners) would see no answer to the signal. Like a
# terminal's foreground job, the interrupted command starts with SIGINT at its default:
# this trampoline resets it and execs the real command line.
_SIGINT_DEFAULT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def start_tty(*args: object) -> tuple[subprocess.Popen[str], int]:
    """Start telsim with stderr on a pseudo-terminal, so that it draws its progress bar.

    SIGINT is at its default in it, whatever this process inherited (see above).
    Returns the process and the terminal's reading end (see :func:`read_tty`).
    """
    reader, writer = pty.openpty()
    env = {**_env(), "TERM": "xterm", "COLUMNS": "200"}
    line = [sys.executable, "-c", _SIGINT_DEFAULT, *command(*args)[1:]]
    proc = subprocess.Popen(
        line, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=writer, text=True
    )
    os.close(writer)
    return proc, reader


def read_tty(fd: int, until: str | None = None, within: float = 60) -> str:
    """What the terminal shows (escape codes removed), up to a match of ``until`` or its end."""
    seen = ""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        seen += re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", chunk.decode(errors="replace"))
        if until is not None and re.search(until, seen):
            break
    return seen


def readonly(
    folder: Path, *args: object, timeout: float = 120
) -> subprocess.CompletedProcess[str] | None:
    """Run telsim with ``folder`` bind-mounted read-only in a private mount namespace.

    Nothing outside the child sees the mount, and it ends with the child. None when this
    machine cannot do it (not root, no unshare).
    """
    line = f"mount --bind -o ro {shlex.quote(str(folder))} {shlex.quote(str(folder))} && exec {shlex.join(command(*args))}"
    try:
        probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", line],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _ppid_and_state(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0]


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _ppid_and_state(int(entry.name))
            if info is not None and info[1] != "Z":
                parents[int(entry.name)] = info[0]
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie waiting to be reaped has ended)."""
    return {p for p in pids if (info := _ppid_and_state(p)) is not None and info[1] != "Z"}


def kill_after(proc: subprocess.Popen[str], seconds: float) -> set[int] | None:
    """``kill -9`` after ``seconds`` unless it ended first.

    Returns None if it ended by itself, else the processes it had started (taken just
    before the kill), which must then end too.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        time.sleep(0.02)
    family = descendants(proc.pid)
    proc.kill()
    proc.communicate()
    return family


def wait_children(proc: subprocess.Popen[str], count: int, within: float = 60) -> bool:
    """Wait until ``proc`` has ``count`` processes below it; False if it ended first."""
    deadline = time.monotonic() + within
    while len(descendants(proc.pid)) < count:
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"{proc.args} did not start {count} processes"
        time.sleep(0.02)
    return True


def wait_gone(pids: set[int], within: float) -> set[int]:
    """Wait up to ``within`` seconds for ``pids`` to end; returns those still running."""
    deadline = time.monotonic() + within
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def wait_for(path: Path, within: float = 60) -> None:
    """Wait until ``path`` exists (a lock file: the command has started writing)."""
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def whole_run(folder: Path, files: set[str]) -> str:
    """Assert ``folder`` is one whole run with exactly ``files``; returns its digest.

    The marker, summary.json's provenance and scenario.yaml name the same scenario, and
    the tables have the size that scenario gives: no file comes from another run.
    """
    assert {p.name for p in folder.iterdir()} == files, sorted(p.name for p in folder.iterdir())
    marker = json.loads((folder / ".telsim.json").read_text(encoding="utf-8"))
    assert marker["kind"] == "run" and marker["complete"] is True
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["provenance"]["scenario_sha256"] == marker["digest"]
    scenario = load_scenario(folder / "scenario.yaml")
    assert scenario.digest() == marker["digest"]
    ops = pd.read_parquet(folder / "operators.parquet")
    months, reps = scenario.simulation.months, scenario.simulation.replications
    assert (summary["months"], summary["replications"]) == (months, reps)
    assert len(ops) == (months + 1) * reps * len(scenario.all_operators())
    start = ops[(ops["month"] == 0) & (ops["replication"] == 0)]
    assert int(start["agents"].sum()) == scenario.population.size
    return str(marker["digest"])


def leftovers(target: Path) -> list[str]:
    """What writers left beside ``target`` (a lock, a temporary or an old copy)."""
    return sorted(p.name for p in target.parent.glob(f".{target.name}.*"))
