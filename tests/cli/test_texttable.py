"""Plain-text terminal tables: fit the width, wrap headers, stack rather than cut."""

from __future__ import annotations

from sim.cli.texttable import render

HEADERS = ["operator", "baseline", "95 % paired CI", "within noise"]
ROWS = [
    ["China Mobile", "1,815.31", "[-0.2347, -0.1528]", "no"],
    ["B", "2.5", "[+1.0, +2.0]", "yes"],
]


def _cells(lines: list[str]) -> str:
    return "\n".join(lines)


def test_fits_with_wrapped_headers() -> None:
    lines = render(HEADERS, [("final share (%)", ROWS)], width=60)
    assert max(len(line) for line in lines) <= 60
    assert lines[0].split() == ["within"] and lines[1].split()[-1] == "noise"
    assert "final share (%)" in lines
    text = _cells(lines)
    assert all(cell in text for row in ROWS for cell in row)


def test_closes_up_then_stacks_never_cuts() -> None:
    two = render(HEADERS, [("", ROWS)], width=80)
    one = render(HEADERS, [("", ROWS)], width=46)  # fits only with one space between
    assert max(len(line) for line in one) <= 46 < max(len(line) for line in two)
    stacked = render(HEADERS, [("", ROWS)], width=30)
    assert "baseline: 1,815.31" in [line.strip() for line in stacked]
    for lines in (two, one, stacked):
        text = _cells(lines)
        assert all(cell in text for row in ROWS for cell in row)
        assert "…" not in text
