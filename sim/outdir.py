"""Results folders that are always whole: what wrote them, one writer at a time, a swap.

A result shown to a board must never mix two runs, so every command that writes a
results folder opens it here:

* Before any simulation the folder is checked: its path, that it can be written (a
  read-only file system or an immutable folder is refused at once, not after the run).
* A lock beside the folder (``.<name>.lock``, :func:`fcntl.flock`) refuses a second
  telsim process while one is writing it; the kernel drops the lock if the holder dies.
* The marker ``.telsim.json`` says what wrote a folder (its kind: run, sweep,
  calibration, compare) and from what (a name and a digest). Replacing another kind of
  folder, another scenario's results, or files telsim did not write needs ``overwrite``.
* New results are written into a temporary sibling ``.<name>.new-<pid>``, and swapped
  in only when complete: the old folder is renamed to ``.<name>.old-<pid>``, the new one
  renamed into place, the old one deleted. Until the swap, and after a crash at any
  moment, the folder holds the previous whole result; the next open deletes what a crash
  left behind, or renames the old folder back if the crash fell between the two renames.

Sweeps and calibrations are resumable stores whose parts are each written atomically
(:mod:`sim.sweep.store`), so they are written in place (``resumable``) and their marker
says ``complete: false`` until their outputs are written; only replacing an existing
folder with ``overwrite`` goes through a temporary sibling.

Every file in a results folder is written by rename (:mod:`sim.io`), never changed in
place, so :func:`update_results_dir` can start its copy from hard links.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from sim.errors import UserError
from sim.io import sync, write_json

Kind = Literal["run", "sweep", "calibration", "compare", "score"]
MARKER = ".telsim.json"
_COMMAND = {
    "run": "telsim run",
    "sweep": "telsim sweep",
    "calibration": "telsim calibrate",
    "compare": "telsim compare",
    "score": "telsim score",
}
# What the digest of each kind stands for, to say what differs when it does.
_SOURCE = {
    "run": "scenario",
    "sweep": "sweep definition (the sweep file, its base scenario, --set, --samples or "
    "--replications changed)",
    "calibration": "calibration (the targets file, its data, its base scenario, --set, "
    "--method, --seed, --replications or the batch size changed)",
    "compare": "comparison (its inputs, --seed, --replications, --months or --level changed)",
    "score": "score (the scenario, the targets file, its data, --set, --seed, --replications "
    "or the split changed)",
}


@dataclass(frozen=True)
class Marker:
    """What wrote a results folder (the content of its ``.telsim.json``).

    Attributes:
        kind: run, sweep, calibration, compare or score.
        name: the scenario's (sweep's, calibration's, comparison's) name.
        digest: SHA-256 of what the results come from (for a run, the resolved scenario,
            the same as ``summary.json``'s ``provenance.scenario_sha256``).
        complete: False while a resumable sweep or calibration is unfinished.
        version: telsim's version.
        created: when the folder was written (ISO 8601).
    """

    kind: str
    name: str
    digest: str
    complete: bool
    version: str
    created: str


def read_marker(folder: str | Path) -> Marker | None:
    """The marker of a results folder, or None (none, unreadable, or not telsim's)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
        return Marker(**{k: data[k] for k in Marker.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def open_results_dir(
    target: str | Path,
    kind: Kind,
    *,
    name: str,
    digest: str,
    overwrite: bool = False,
    resumable: bool = False,
) -> Iterator[Path]:
    """Write a results folder whole: yields the folder to write into.

    Call it before any simulation: every refusal comes at once. When the ``with`` block
    ends normally the marker is written and the new folder swapped in; when it raises,
    the temporary folder is deleted and ``target`` is left as it was.

    Args:
        target: the results folder.
        kind: what is written: run, sweep, calibration, compare or score.
        name: the scenario's (sweep's, ...) name, for the marker and messages.
        digest: SHA-256 of what the results come from; an existing folder of the same
            kind and digest is replaced (or, ``resumable``, continued) without
            ``overwrite``.
        overwrite: replace whatever the folder holds.
        resumable: a sweep or calibration store: written in place (see the module
            docstring), except when ``overwrite`` replaces an existing folder.

    Raises:
        UserError: the path or a parent is a file; the folder cannot be written; another
            telsim process is writing it; or it holds another kind of folder, another
            scenario's results, or files telsim did not write (without ``overwrite``).
    """
    target = Path(target)
    shown = f"--out {target}"
    with _locked(target, shown) as place:
        existing = _has_files(place)
        if existing and not overwrite:
            _check_same(place, kind, name, digest, shown)
        marker = Marker(kind, name, digest, complete=False, version=_version(), created=_now())
        done = replace(marker, complete=True)
        if resumable and not (existing and overwrite):
            _write_marker(place, marker, shown)
            yield target  # as given: messages about it name the path the user knows
            _write_marker(place, done, shown)
            return
        with _staged(place, shown, copy=False) as staging:
            yield staging
            _write_marker(staging, done, shown)


@contextmanager
def update_results_dir(target: str | Path, kind: Kind) -> Iterator[Path]:
    """Add files to an existing results folder (a report) whole.

    Yields a copy of the folder (hard links where the file system allows) that is swapped
    in when the ``with`` block ends normally; the marker, if any, is kept as it is.

    Raises:
        UserError: the folder is missing, cannot be written, is being written by another
            telsim process, or its marker says it is another kind of folder.
    """
    target = Path(target)
    shown = str(target)
    if not target.is_dir():
        what = "is not a folder" if target.exists() else "folder not found"
        raise UserError(f"{shown}: {what} (expected a folder written by {_COMMAND[kind]})")
    with _locked(target, shown) as place:
        marker = read_marker(place)
        if marker is not None and marker.kind != kind:
            raise UserError(
                f"{shown}: holds a {marker.kind} ('{marker.name}', written by "
                f"{_COMMAND[marker.kind]}), not a {kind} (expected a folder written by {_COMMAND[kind]})"
            )
        with _staged(place, shown, copy=True) as staging:
            yield staging


# --------------------------------------------------------------------------- checks
def _check_same(place: Path, kind: str, name: str, digest: str, shown: str) -> None:
    """Refuse to replace what this command did not write itself (see open_results_dir)."""
    hint = "choose another --out, or pass --overwrite to replace it"
    marker = read_marker(place)
    if marker is None:
        raise UserError(
            f"{shown}: holds files telsim did not write (no readable {MARKER}); "
            "choose another --out, or pass --overwrite to replace the folder"
        )
    if marker.kind != kind:
        raise UserError(
            f"{shown}: holds a {marker.kind} ('{marker.name}', written by "
            f"{_COMMAND[marker.kind]}), not a {kind}; {hint}"
        )
    if marker.digest != digest:
        raise UserError(
            f"{shown}: holds a {kind} of a different {_SOURCE[kind]}: '{marker.name}' (sha256 "
            f"{marker.digest[:12]}), this one is '{name}' (sha256 {digest[:12]}); {hint}"
        )


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


# --------------------------------------------------------------------------- lock
@contextmanager
def _locked(target: Path, shown: str) -> Iterator[Path]:
    """Check the path, create its parent, hold the lock, clean up after crashes.

    Yields the absolute, normalised folder path.
    """
    for folder in (target, *target.parents):
        if folder.exists():
            if not folder.is_dir():
                raise UserError(f"{shown}: {folder} exists and is not a folder")
            break
    place = Path(os.path.abspath(target))
    if not place.name:
        raise UserError(f"{shown}: expected a folder below {place}, not the root")
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{shown}: cannot create {place.parent}: {_why(exc)}") from None
    lock = place.parent / f".{place.name}.lock"
    fd = _acquire(lock, shown)
    try:
        _recover(place, shown)
        if place.is_dir():
            _probe(place, shown)
        yield place
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def _acquire(lock: Path, shown: str) -> int:
    """Open and flock the lock file; refuse at once if another process holds it.

    A holder deletes the file when done; a process that opened the file before that
    would lock a deleted file, so the lock counts only if the path still names it.
    """
    import fcntl

    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"{shown}: cannot write in {lock.parent}: {_why(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise UserError(
                f"{shown}: is being written by another telsim process (pid {holder}); "
                "wait for it to finish, or choose another --out"
            ) from None
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _recover(place: Path, shown: str) -> None:
    """Undo what a crashed writer left: restore an old folder the crash left renamed away."""
    name = glob.escape(place.name)
    olds = sorted(place.parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not place.exists():
        try:
            olds.pop().rename(place)
        except OSError as exc:
            raise UserError(f"{shown}: cannot restore the previous results: {_why(exc)}") from None
    for leftover in (*place.parent.glob(f".{name}.new-*"), *olds):
        shutil.rmtree(leftover, ignore_errors=True)


def _probe(folder: Path, shown: str) -> None:
    """Create and delete a file in ``folder``: the only sure test that it can be written."""
    try:
        fd, path = tempfile.mkstemp(prefix=".telsim-probe-", dir=folder)
        os.close(fd)
        os.unlink(path)
    except OSError as exc:
        raise UserError(f"{shown}: cannot write in {folder}: {_why(exc)}") from None


# --------------------------------------------------------------------------- swap
@contextmanager
def _staged(place: Path, shown: str, copy: bool) -> Iterator[Path]:
    """A temporary sibling to write into (empty, or a copy of ``place``), swapped in after."""
    staging = place.parent / f".{place.name}.new-{os.getpid()}"
    try:
        if copy:
            shutil.copytree(place, staging, symlinks=True, copy_function=_link_or_copy)
        else:
            staging.mkdir()
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(f"{shown}: cannot write in {place.parent}: {_why(exc)}") from None
    try:
        yield staging
        _swap(staging, place, shown)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _swap(staging: Path, place: Path, shown: str) -> None:
    """Rename the old folder away, the new one in, then delete the old one."""
    old = place.parent / f".{place.name}.old-{os.getpid()}"
    try:
        if place.exists():
            place.rename(old)
            try:
                staging.rename(place)
            except BaseException:
                old.rename(place)
                raise
        else:
            staging.rename(place)
        sync(place.parent)  # the swap itself reaches the disk before the old copy goes
    except OSError as exc:
        raise UserError(f"{shown}: cannot replace the folder: {_why(exc)}") from None
    shutil.rmtree(old, ignore_errors=True)


def _write_marker(folder: Path, marker: Marker, shown: str) -> None:
    try:
        write_json(folder / MARKER, asdict(marker))
    except OSError as exc:
        raise UserError(f"{shown}: cannot write in {folder}: {_why(exc)}") from None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("telsim")
    except PackageNotFoundError:
        return "unknown"


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
