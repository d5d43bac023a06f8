"""Reading a user's edge-list file into the social graph (sim/market/network.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import UserError
from sim.market.network import from_edge_list


def edge_set(g) -> set[tuple[int, int]]:
    rows = np.repeat(np.arange(g.n_nodes), g.degree())
    upper = g.indices > rows
    return set(zip(rows[upper].tolist(), g.indices[upper].tolist(), strict=True))


@pytest.mark.parametrize("sep", [",", " ", "\t"])
def test_from_edge_list(tmp_path: Path, sep: str) -> None:
    header = "source,target" if sep == "," else "u v"
    path = tmp_path / "edges.txt"
    lines = [
        "# exported from CDRs",
        header,
        "0{s}1",
        "1{s}0",
        "2{s}2",
        "",
        "3{s}1  # note",
        "0{s}1",
    ]
    path.write_text("\n".join(line.format(s=sep) for line in lines) + "\n")
    g = from_edge_list(path, n=5)
    assert g.n_nodes == 5 and g.indices.dtype == np.int32
    assert edge_set(g) == {(0, 1), (1, 3)}


def test_from_edge_list_header_only_gives_empty_graph(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("source,target\n")
    assert from_edge_list(path, n=3).n_edges == 0


def test_from_edge_list_out_of_range_id_names_file_line_and_id(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("source,target\n# c\n0,1\n1,42\n")
    with pytest.raises(UserError) as err:
        from_edge_list(path, n=10)
    message = str(err.value)
    assert "calls.csv" in message and "line 4" in message and "42" in message and "n=10" in message


def test_from_edge_list_malformed_line_names_line(tmp_path: Path) -> None:
    path = tmp_path / "calls.txt"
    path.write_text("0 1\n1 2\n2 x\n")
    with pytest.raises(UserError, match=r"calls\.txt line 3.*'2 x'"):
        from_edge_list(path, n=10)


def test_from_edge_list_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"nope\.txt"):
        from_edge_list(tmp_path / "nope.txt", n=10)
