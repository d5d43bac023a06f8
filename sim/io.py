"""File input and output: atomic writes and reading the YAML files users write.

A crash never leaves a half-written file that looks whole, and a bad input file gets
one message that names it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it over.

    The file's data reach the disk before the rename, and the rename before the return,
    so a power cut leaves the old file or the new one, never an empty one under the name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        sync(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync(path.parent)
    return path


def sync(path: str | Path) -> None:
    """Flush a file's or a folder's entries to the disk (``fsync``)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON (indented, UTF-8) atomically."""
    return write_text(
        path, json.dumps(data, indent=2, ensure_ascii=False, default=_jsonable) + "\n"
    )


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_yaml_mapping(path: str | Path, what: str) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping (a scenario, sweep or targets file).

    Raises:
        UserError: the file is missing or a folder, is not YAML (with line and column),
            or its top level is not a mapping; ``what`` names the kind of file in the message.
    """
    import yaml

    from sim.errors import UserError

    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a {what} file (YAML)")
    if not path.is_file():
        raise UserError(f"{path}: {what} file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}:{where} not valid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise UserError(
            f"{path}: expected a mapping of {what} fields at the top level, got {type(raw).__name__}"
        )
    return raw
