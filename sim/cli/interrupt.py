"""Ctrl-C during a command: one line, exit 130, within a second, nothing half-written.

numba kernels do not look at signals, and Python runs its SIGINT handler only when a
kernel returns: one month of 10^7 subscribers is several seconds of kernels. So the
simulation runs in a worker thread (the month kernels release the GIL) while the main
thread waits and answers Ctrl-C at once: the KeyboardInterrupt unwinds the results
folder being written (:mod:`sim.outdir` deletes its temporary copy and keeps the old
one), one line says where the command was, and the process exits without waiting for
the kernel to return.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from rich.markup import escape

from sim.cli.common import err

_THREAD = "telsim-simulation"


class Clock:
    """Where a command is, for the message: progress callbacks move it."""

    def __init__(self) -> None:
        self.at: str | None = None  # e.g. "month 7", None before the first month
        self.writing = False

    def tick(self, replication: int, month: int, months: int) -> None:
        """A run's progress callback (:data:`sim.runner.Progress`)."""
        self.at = f"month {month}" + (f" of replication {replication + 1}" if replication else "")

    def where(self) -> str:
        """``at month 7``, ``while writing the results``, or ``before the first month``."""
        if self.writing:
            return "while writing the results"
        return "before the first month" if self.at is None else f"at {self.at}"


def in_thread[T](fn: Callable[[], T]) -> T:
    """``fn()`` in a worker thread, so that Ctrl-C interrupts the wait at once."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the calling thread
            box["error"] = exc

    worker = threading.Thread(target=work, name=_THREAD, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)  # short waits: a signal is handled between them
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def kept(target: Path) -> str:
    """What an interrupted write leaves in ``target``, in words (ask before writing)."""
    return (
        "previous results kept" if target.is_dir() and any(target.iterdir()) else "nothing written"
    )


def interrupted(where: str, outcome: str) -> NoReturn:
    """Say where the command was and what is on disk, then exit 130.

    The process exits at once (the results folder has already been unwound by then):
    it does not wait for a simulation thread still inside a kernel, nor for interpreter
    shutdown, which can wait on numba's worker threads.
    """
    err.print(f"[bold yellow]interrupted[/] {escape(where)}; {escape(outcome)}", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)
