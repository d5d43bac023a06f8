"""Plain-text tables for the terminal that fit its width and never cut a number.

Headers wrap onto several lines at their spaces, and columns close up to one space; if
they still do not fit, every row is stacked as ``header: value`` lines instead. Plain text also survives a pipe, a log
file or a terminal without colours, which a rich table cropped with "…" does not.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

GAPS = (2, 1)  # spaces between columns: two if the table fits, else one


def _wrap_header(text: str, width: int) -> list[str]:
    longest = max((len(w) for w in text.split()), default=0)
    return textwrap.wrap(text, max(width, longest)) or [""]


def render(
    headers: Sequence[str],
    blocks: Sequence[tuple[str, Sequence[Sequence[str]]]],
    width: int = 80,
) -> list[str]:
    """Lines of a table of ``blocks`` (title, rows) under one header, at most ``width`` wide.

    The first column is text (left-aligned), the others numbers (right-aligned). An
    empty block title prints no title line.
    """
    cells = [row for _, rows in blocks for row in rows]
    n = len(headers)
    widths = [max([len(row[k]) for row in cells], default=0) for k in range(n)]
    heads = [_wrap_header(h, widths[k]) for k, h in enumerate(headers)]
    widths = [max(widths[k], *(len(line) for line in heads[k])) for k in range(n)]
    gap = next((g for g in GAPS if sum(widths) + g * (n - 1) <= width), None)
    if gap is None:
        return stacked(headers, blocks, width)
    depth = max(len(h) for h in heads)
    lines = []
    for i in range(depth):
        parts = []
        for k, head in enumerate(heads):
            text = head[i - (depth - len(head))] if i >= depth - len(head) else ""
            parts.append(text.ljust(widths[k]) if k == 0 else text.rjust(widths[k]))
        lines.append((" " * gap).join(parts).rstrip())
    lines.append("-" * (sum(widths) + gap * (n - 1)))
    for title, rows in blocks:
        if title:
            lines += textwrap.wrap(title, width)
        for row in rows:
            parts = [
                cell.ljust(widths[k]) if k == 0 else cell.rjust(widths[k])
                for k, cell in enumerate(row)
            ]
            lines.append((" " * gap).join(parts).rstrip())
    return lines


def stacked(
    headers: Sequence[str],
    blocks: Sequence[tuple[str, Sequence[Sequence[str]]]],
    width: int = 80,
) -> list[str]:
    """The same table with each row as its first cell, then ``header: value`` lines."""
    lines = []
    for title, rows in blocks:
        if title:
            lines += textwrap.wrap(title, width)
        for row in rows:
            lines.append(row[0])
            for head, cell in zip(headers[1:], row[1:], strict=True):
                if len(head) + len(cell) + 4 <= width:
                    lines.append(f"  {head}: {cell}")
                else:  # the value on a line of its own, whole
                    lines += textwrap.wrap(f"{head}:", width, initial_indent="  ")
                    lines.append(f"    {cell}")
    return lines
