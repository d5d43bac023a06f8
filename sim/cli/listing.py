"""``telsim list``: the shipped scenarios, sweeps and calibration targets, or a folder's."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.cli.common import app, fail, out


@app.command("list")
def list_(
    folder: Annotated[
        list[Path] | None,
        typer.Option(
            "--dir",
            "-d",
            help="List this folder's scenarios, sweeps and targets instead (repeatable).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List scenarios, sweeps and calibration targets with their one-line descriptions."""
    from sim.catalog import KINDS, SHIPPED, entries

    folders = list(folder or [])
    for f in folders:
        if not f.is_dir():
            fail(f"--dir {f}: {'not a folder' if f.exists() else 'folder not found'}")
    if not folders:
        folders = [f for f in SHIPPED if f.is_dir()]
        if not folders:
            fail(
                "no shipped scenarios found (telsim is not installed from a checkout); "
                "expected --dir FOLDER"
            )
    found = entries(folders)
    if not found:
        out.print(f"no scenarios, sweeps or calibration targets in {', '.join(map(str, folders))}")
        return
    width = out.width
    for kind, heading in KINDS.items():
        mine = [e for e in found if e.kind == kind]
        if not mine:
            continue
        out.print(f"[bold]{escape(heading)}[/]", highlight=False)
        for e in mine:
            shown = os.path.relpath(e.path) if e.path.is_absolute() else str(e.path)
            shown = shown if not shown.startswith("..") else str(e.path)
            out.print(f"  {escape(shown)}", highlight=False, soft_wrap=True)
            for line in textwrap.wrap(e.summary, width - 6):
                out.print(f"      {escape(line)}", highlight=False)
        out.print()
