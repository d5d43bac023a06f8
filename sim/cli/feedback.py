"""Feedback on long work: a note while numba compiles, and progress that survives a pipe.

The first run on a machine compiles the kernels (about a minute on two cores) before the
first month moves; :class:`CompileNote` says so and how long it took. Progress goes to
stderr as a live bar on a terminal, and as plain lines (every tenth of the work) when
stderr is a file or a pipe, where a live bar would print nothing at all.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape

COMPILING = "compiling kernels (first run only)…"
PLAIN_STEPS = 10  # plain progress prints a line at every tenth of a task


def kernels_cached() -> bool | None:
    """Whether numba's cache holds the month kernel compiled from this source.

    None when it cannot tell (numba's cache internals changed): then no note is shown.
    An index with no entry for this source (never compiled, or the source or numba
    version changed since) means the next run compiles.
    """
    try:
        from sim.engine import kernels

        return bool(kernels.month_kernel._cache._cache_file._load_index())
    except Exception:  # private numba API: any change there only costs the note
        return None


class CompileNote:
    """``compiling kernels (first run only)… done in N s`` around the first simulated month.

    On a terminal that is one line, printed when done (the live bar says "compiling"
    meanwhile); in a log, the start is a line of its own at once and the duration a second
    line, so that an error in between (a population too large) starts a line of its own.
    """

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.pending = not quiet and kernels_cached() is False
        self.started = time.perf_counter()
        if self.pending and not console.is_terminal:  # a log gets the start at once, as
            console.print(COMPILING, highlight=False)  # a whole line: an error may follow it
            console.file.flush()

    @property
    def description(self) -> str | None:
        """What a live bar shows while the kernels compile (None once they are ready)."""
        return COMPILING if self.pending else None

    def done(self) -> None:
        """Call after the first month: ends the note with the time it took (once)."""
        if not self.pending:
            return
        self.pending = False
        seconds = f"{time.perf_counter() - self.started:,.0f} s"
        if self.console.is_terminal:
            self.console.print(f"{COMPILING} done in {seconds}", highlight=False)
        else:
            self.console.print(f"kernels compiled in {seconds}", highlight=False)


class PlainProgress:
    """The part of rich's Progress the commands use, printing plain lines instead.

    A line per task at each tenth of its total: ``label: 12 of 60 months (20 %), 14 s``.
    """

    def __init__(self, console: Console, unit: str = "months") -> None:
        self.console = console
        self.unit = unit
        self.tasks: dict[int, dict[str, Any]] = {}

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None, **_: Any) -> int:
        """A new task; nothing printed until it moves."""
        key = len(self.tasks)
        self.tasks[key] = {
            "description": description,
            "total": total,
            "step": 0,
            "started": time.perf_counter(),
        }
        return key

    def reset(self, task: int, total: float | None = None, completed: float = 0, **_: Any) -> None:
        """Start a task again (a resumed sweep): lines count from ``completed``."""
        t = self.tasks[task]
        t["total"] = total if total is not None else t["total"]
        t["step"] = int(PLAIN_STEPS * completed / t["total"]) if t["total"] else 0

    def update(
        self,
        task: int,
        completed: float | None = None,
        total: float | None = None,
        description: str | None = None,
        **_: Any,
    ) -> None:
        """Record progress; print a line when it crosses the next tenth."""
        t = self.tasks[task]
        if total is not None:
            t["total"] = total
        if description is not None:
            t["description"] = description
        if completed is None or not t["total"]:
            return
        step = int(PLAIN_STEPS * completed / t["total"])
        if step <= t["step"]:
            return
        t["step"] = step
        seconds = time.perf_counter() - t["started"]
        self.console.print(
            f"{escape(t['description'])}: {completed:,.0f} of {t['total']:,.0f} {self.unit} "
            f"({100 * completed / t['total']:.0f} %), {seconds:,.0f} s",
            highlight=False,
            soft_wrap=True,
        )
