"""kill -9 and concurrent writers against ``telsim run``: the folder is the old or the new run."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

from faultkit import (
    BARE,
    DEFAULT,
    FIGURES,
    LINUX_ONLY,
    PRICE_WAR,
    cli,
    kill_after,
    leftovers,
    start,
    wait_for,
    whole_run,
)

pytestmark = LINUX_ONLY

OLD = ("run", DEFAULT, "-n", "1000", "-m", "12", "-r", "1", "-q", "--no-report")
NEW = ("run", PRICE_WAR, "-n", "20000", "-m", "24", "-r", "2", "-q", "--no-figures", "--overwrite")


def test_kill_9_at_random_points_of_a_run_leaves_the_old_or_the_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    assert cli(*OLD, "--out", target).returncode == 0
    old = whole_run(target, BARE | FIGURES)
    backup = tmp_path / "backup"
    shutil.copytree(target, backup)
    rng = random.Random(15)
    seen = []
    for delay in sorted(rng.uniform(0.3, 5.0) for _ in range(4)):
        shutil.rmtree(target)
        shutil.copytree(backup, target)  # the old run again; what kills left beside it stays
        killed = kill_after(start(*NEW, "--out", target), delay) is not None
        is_old = (target / "shares.png").exists()
        state = whole_run(target, BARE | FIGURES if is_old else BARE)
        assert (state == old) == is_old
        assert all(re.fullmatch(r"\.out\.(lock|new-\d+|old-\d+)", n) for n in leftovers(target))
        seen.append((round(delay, 2), killed, state))
    assert any(killed and state == old for _, killed, state in seen), seen
    # the next writer cleans what the kills left; its new run is the one the kills saw
    done = cli(*NEW, "--out", target)
    assert done.returncode == 0, done.stderr
    new = whole_run(target, BARE)  # the old figures are gone with the old run
    assert {state for _, _, state in seen} <= {old, new}
    assert leftovers(target) == []


def test_a_second_writer_is_refused_while_the_first_writes(tmp_path: Path) -> None:
    target = tmp_path / "out"
    first = start(
        "run", DEFAULT, "-n", "300000", "-m", "24", "-r", "1", "-q", "--no-figures", "--out", target
    )
    wait_for(tmp_path / ".out.lock")
    second = cli("run", DEFAULT, "-n", "1000", "-m", "12", "-q", "--out", target)
    assert second.returncode == 2, second.stderr
    assert f"is being written by another telsim process (pid {first.pid})" in " ".join(
        second.stderr.split()
    )
    assert "Traceback" not in second.stderr
    assert first.wait(timeout=180) == 0, first.stderr.read() if first.stderr else ""
    whole_run(target, BARE)
    assert leftovers(target) == []
