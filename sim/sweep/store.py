"""The resumable store of a sweep: one Parquet part per finished run plus a manifest.

Layout of a store folder::

    manifest.json          fingerprint of the sweep, and which parts hold which runs
    parts/run-0000042.parquet   one row: the run with index 42
    parts/batch-....parquet     many rows: small parts merged (see below)

Crash safety: a part is written to a temporary file and renamed (whole or absent), and
only then is the manifest rewritten, also by temp file + rename. The manifest is the
truth: a part the manifest does not list (the process died between the two renames) is
ignored, and the run is done again on ``--resume``, rewriting the same file. A store
killed at any moment therefore holds only whole runs, and resuming it ends with exactly
the rows an uninterrupted sweep gives. A listed part that was damaged afterwards (a disk
error, a truncated copy) is found when resuming: it is reported, deleted and run again.

So the manifest stays small and reading stays fast on sweeps of 10^4 to 10^5 runs, every
:data:`BATCH` single-run parts are merged into one batch part (written and listed before
the small parts are deleted, so a crash during the merge loses nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.io import atomic_write, write_text

MANIFEST = "manifest.json"
PARTS = "parts"
FORMAT = 1
# Single-run parts merged into one batch part once this many have accumulated.
BATCH = 256


def _ranges(indices: list[int]) -> list[list[int]]:
    """Compress sorted-or-not run indices into inclusive ``[first, last]`` ranges."""
    out: list[list[int]] = []
    for i in sorted(set(indices)):
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _expand(ranges: list[list[int]]) -> list[int]:
    return [i for first, last in ranges for i in range(first, last + 1)]


class StoreInUse(UserError):
    """The folder already holds runs and resuming was not asked for."""


class StoreMismatch(UserError):
    """Resuming a folder whose runs come from another definition."""


def _check_part(path: Path, indices: list[int]) -> str | None:
    """What is wrong with a listed part (unreadable, truncated, rows missing), or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        stored = set(pq.read_table(path).column("index").to_pylist())
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    missing = len(set(indices) - stored)
    return f"{missing} of its {len(indices)} runs missing" if missing else None


class RunStore:
    """Finished runs of one sweep, appended one at a time, readable as one table.

    Args:
        folder: the store's folder (created if missing).
        fingerprint: a digest of the sweep definition; resuming with another one is refused.
        resume: continue a store that already holds runs.

    Attributes:
        damaged: parts found damaged on resume (``parts/<name> (what is wrong)``): they
            are deleted and their runs are not counted as finished, so they run again.

    Raises:
        StoreInUse: the folder holds runs and ``resume`` is False (pass ``--resume`` or
            choose another ``--out``).
        StoreMismatch: ``resume`` is True but the folder's runs belong to a different
            sweep definition.
        UserError: the folder cannot be created, or the manifest is unreadable.
    """

    def __init__(self, folder: Path, *, fingerprint: str, resume: bool):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        try:
            (self.folder / PARTS).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"--out {self.folder}: cannot create the folder: {exc.strerror or exc}"
            ) from None
        self._parts: dict[str, list[int]] = {}  # file name -> run indices it holds
        self.damaged: list[str] = []
        existing = self._read_manifest()
        if existing is not None and existing["parts"]:
            if not resume:
                raise StoreInUse(
                    f"--out {self.folder}: already holds {sum(len(_expand(r)) for r in existing['parts'].values())} "
                    "finished runs of a sweep; pass --resume to continue it, or choose another --out"
                )
            if existing["fingerprint"] != fingerprint:
                raise StoreMismatch(
                    f"--out {self.folder}: its runs come from a different sweep definition "
                    "(the sweep file, its base scenario or the --set/--samples/--replications "
                    "options changed); choose another --out, or restore the definition to resume"
                )
            for name, ranges in existing["parts"].items():
                path = self.folder / PARTS / name
                if not path.is_file():  # deleted by hand: its runs are redone
                    continue
                problem = _check_part(path, _expand(ranges))
                if problem is not None:  # a disk error or a bad copy: redo its runs
                    self.damaged.append(f"{PARTS}/{name} ({problem})")
                    path.unlink()
                    continue
                self._parts[name] = _expand(ranges)
        self._write_manifest()

    # ------------------------------------------------------------------ reading
    def _read_manifest(self) -> dict[str, Any] | None:
        path = self.folder / MANIFEST
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or not isinstance(data.get("parts"), dict):
                raise ValueError(f"expected format {FORMAT} with a 'parts' mapping")
        except (OSError, ValueError) as exc:
            raise UserError(
                f"{path}: not a telsim sweep manifest ({exc}); choose another --out"
            ) from None
        return data

    def finished(self) -> set[int]:
        """Run indices already stored (successful or failed)."""
        return {i for indices in self._parts.values() for i in indices}

    def frame(self) -> pd.DataFrame:
        """All stored rows, sorted by run index (column ``index``), in one table.

        Parts are read in order of their first run index, so the column order is the
        same whatever order the runs finished in.
        """
        names = sorted(self._parts, key=lambda n: min(self._parts[n]))
        frames = []
        for n in names:
            part = pd.read_parquet(self.folder / PARTS / n)
            if len(part) > 1:  # a batch may still hold an older row of a run done again
                part = part[part["index"].isin(self._parts[n])]
            frames.append(part)
        if not frames:
            return pd.DataFrame({"index": pd.Series([], dtype="int64")})
        df = pd.concat(frames, ignore_index=True)
        df = df.sort_values("index", kind="stable").reset_index(drop=True)
        return df.infer_objects()

    # ------------------------------------------------------------------ writing
    def append(self, index: int, row: dict[str, Any]) -> None:
        """Store one finished run's row (its ``index`` column is added here).

        The part is written atomically, then the manifest; see the module docstring.
        """
        index = int(index)
        name = f"run-{index:07d}.parquet"
        df = pd.DataFrame([{"index": index, **{k: v for k, v in row.items() if k != "index"}}])
        atomic_write(self.folder / PARTS / name, lambda p: df.to_parquet(p, index=False))
        for other, indices in list(self._parts.items()):
            if index in indices and other != name:  # a redone run replaces its older row
                indices.remove(index)
                if not indices:
                    del self._parts[other]
        self._parts[name] = [index]
        self._write_manifest()
        singles = [n for n in self._parts if n.startswith("run-")]
        if len(singles) >= BATCH:
            self._merge(singles)

    def _merge(self, singles: list[str]) -> None:
        """Merge single-run parts into one batch part, then drop them (crash-safe order)."""
        frames = [pd.read_parquet(self.folder / PARTS / n) for n in singles]
        df = pd.concat(frames, ignore_index=True).sort_values("index", kind="stable")
        indices = [int(i) for i in df["index"]]
        name = f"batch-{min(indices):07d}-{max(indices):07d}-{len(indices)}.parquet"
        atomic_write(self.folder / PARTS / name, lambda p: df.to_parquet(p, index=False))
        for n in singles:
            del self._parts[n]
        self._parts[name] = indices
        self._write_manifest()
        for n in singles:
            (self.folder / PARTS / n).unlink(missing_ok=True)

    def _write_manifest(self) -> None:
        # Compact JSON: the manifest is rewritten after every run.
        text = json.dumps(
            {
                "format": FORMAT,
                "fingerprint": self.fingerprint,
                "runs": len(self.finished()),
                "parts": {n: _ranges(i) for n, i in sorted(self._parts.items())},
            },
            separators=(",", ":"),
        )
        write_text(self.folder / MANIFEST, text + "\n")
