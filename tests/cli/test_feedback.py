"""Feedback on long work: the compile note, and plain progress lines off a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clikit import invoke
from rich.console import Console

from sim.cli import feedback
from sim.cli.feedback import COMPILING, CompileNote, PlainProgress, kernels_cached

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=80), buffer


def test_compile_note_says_so_at_once_then_its_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: the first run spent about 50 s compiling with no message."""
    monkeypatch.setattr(feedback, "kernels_cached", lambda: False)
    console, buffer = _console()
    note = CompileNote(console)
    assert note.pending and note.description == COMPILING
    # a log sees it before the wait, as a whole line: an error may come next (it did)
    assert buffer.getvalue() == COMPILING + "\n"
    note.done()
    note.done()  # once only
    start, took = buffer.getvalue().splitlines()
    assert start == COMPILING
    assert took.startswith("kernels compiled in ") and took.endswith(" s")


def test_on_a_terminal_the_note_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback, "kernels_cached", lambda: False)
    buffer = io.StringIO()
    note = CompileNote(Console(file=buffer, force_terminal=True, width=80))
    assert buffer.getvalue() == ""  # the live bar says it meanwhile
    note.done()
    (line,) = buffer.getvalue().splitlines()
    assert line.startswith(COMPILING + " done in ") and line.endswith(" s")


def test_no_note_when_the_kernels_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    for cached in (True, None):  # None: numba's cache cannot be read, say nothing
        monkeypatch.setattr(feedback, "kernels_cached", lambda c=cached: c)
        console, buffer = _console()
        note = CompileNote(console)
        note.done()
        assert not note.pending and buffer.getvalue() == ""


def test_kernels_cached_reads_numba_s_cache(tmp_path: Path) -> None:
    """An empty cache folder means compiling; this process's kernels are cached."""
    code = "from sim.cli.feedback import kernels_cached; print(kernels_cached())"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip() == "False", proc.stderr
    assert isinstance(kernels_cached(), bool)


def test_plain_progress_prints_every_tenth() -> None:
    console, buffer = _console()
    bar = PlainProgress(console)
    task = bar.add_task("run", total=20)
    for done in range(21):
        bar.update(task, completed=done)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("run: 2 of 20 months (10 %), ")
    assert lines[-1].startswith("run: 20 of 20 months (100 %), ")


def test_run_off_a_terminal_prints_progress_lines(tmp_path: Path) -> None:
    """Issue 16: output that is not a terminal got no progress at all."""
    result = invoke(
        "run", DEFAULT, "--population", "300", "--months", "10", "--replications", "1",
        "--out", tmp_path / "r", "--no-figures",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if " of 10 months (" in line]
    assert len(lines) == 10 and "(100 %)" in lines[-1]
