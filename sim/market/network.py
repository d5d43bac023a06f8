"""Build the social graph a scenario asks for, and read a user's edge-list file.

Dispatch from the spec to the engine's generators lives here, with the parsing of
edge-list files and their error messages: the engine only builds CSR graphs from arrays.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np

from sim.engine import graph as g
from sim.errors import UserError
from sim.scenario import Network


def build_graph(
    spec: Network, n: int, n_initial: int, segment: Callable[[], np.ndarray], seed: int
) -> g.Graph:
    """The CSR graph over ``n`` subscriber slots, ``n_initial`` of them at month 0.

    With ``mixing: global`` no graph is built: social terms come from population means.
    ``segment()`` gives every slot's segment, drawn only for a graph that needs it. The
    generated families let entrants (slots from ``n_initial`` on) tie only to earlier
    slots, so a run's earlier months do not depend on its horizon; a user's graph (an edge
    list or a networkx generator over all ``n`` slots) is taken as given.
    """
    if spec.mixing == "global" or spec.mean_degree == 0:
        return g.empty(n)
    if spec.kind == "small_world":
        return g.small_world(n, spec.mean_degree, spec.rewire, seed, n_initial)
    if spec.kind == "scale_free":
        return g.scale_free(n, spec.mean_degree, seed)
    if spec.kind == "households":
        return g.households(
            n, spec.mean_degree, spec.household_size, spec.homophily, segment(), seed, n_initial
        )
    if spec.kind == "edge_list":
        return from_edge_list(spec.path, n)
    return g.from_networkx(_networkx_graph(spec, n, seed), n)


def _networkx_graph(spec: Network, n: int, seed: int):
    """Call a networkx generator by name with ``n`` first (and ``seed`` if it takes one)."""
    import inspect

    nx = importlib.import_module("networkx")
    fn = getattr(nx, spec.generator or "", None)
    if fn is None or not callable(fn):
        raise UserError(f"network.generator: networkx has no generator {spec.generator!r}")
    params = dict(spec.params)
    if "seed" in inspect.signature(fn).parameters and "seed" not in params:
        params["seed"] = seed % 2**32
    try:
        return fn(n, **params)
    except (TypeError, ValueError, nx.NetworkXError) as exc:
        raise UserError(
            f"network.params: networkx.{spec.generator}(n={n}, **{spec.params}) failed: {exc}"
        ) from None


# --------------------------------------------------------------------------- edge-list files
def _content_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, text without comment) of every line that holds data."""
    with path.open() as f:
        for number, line in enumerate(f, start=1):
            content = line.split("#", 1)[0].strip()
            if content:
                yield number, content


def _is_int(token: str) -> bool:
    """Whether ``token`` reads as a decimal integer that fits int64."""
    digits = token.lstrip("+-")
    return digits.isascii() and digits.isdigit() and int(digits) < 2**63


def _edge_list_layout(path: Path) -> tuple[int, str | None]:
    """Lines to skip (header and comments before it) and the delimiter (',' or whitespace)."""
    lines = _content_lines(path)
    first = next(lines, None)
    if first is None:
        return 0, None
    skip = 0
    if not _is_int(first[1].replace(",", " ").split()[0]):
        skip = first[0]
        first = next(lines, first)
    return skip, ("," if "," in first[1] else None)


def _malformed(path: Path, skip: int, delimiter: str | None, reason: object) -> UserError:
    """Error naming the first data line that is not two integers (error path only)."""
    for number, content in _content_lines(path):
        tokens = [t.strip() for t in content.split(delimiter)]
        if number > skip and not (len(tokens) == 2 and all(map(_is_int, tokens))):
            return UserError(
                f"{path} line {number}: expected two integer node ids, got {content!r}"
            )
    return UserError(f"{path}: not a two-column integer edge list ({reason})")


def _line_of_row(path: Path, skip: int, row: int) -> int:
    """Line number of data row ``row`` (error path only)."""
    rows = (number for number, _ in _content_lines(path) if number > skip)
    return next(islice(rows, row, None))


def from_edge_list(path: str | Path, n: int) -> g.Graph:
    """Read a social graph from a text edge list (e.g. exported from call-detail records).

    Each data line holds two integer node ids separated by whitespace or a comma. ``#``
    starts a comment, blank lines are ignored and the first data line may be a header such
    as ``source,target`` or ``u v``. Self loops are dropped, duplicates merged and the graph
    is made symmetric. Parsing is vectorised (``numpy.loadtxt``); lines are only walked in
    Python to find the header and to locate an error.

    Args:
        path: The edge-list file.
        n: Number of subscribers; every id must be in ``0..n-1``.

    Returns:
        The graph.

    Raises:
        UserError: If the file cannot be read, a line is not two integers, or an id is out
            of range. The message names the file, the line and the offending value.
    """
    path = Path(path)
    try:
        skip, delimiter = _edge_list_layout(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read edge list ({exc})") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            edges = np.loadtxt(
                path, dtype=np.int64, comments="#", delimiter=delimiter, skiprows=skip, ndmin=2
            )
    except ValueError as exc:
        raise _malformed(path, skip, delimiter, exc) from exc
    if edges.size == 0:
        return g.empty(n)
    if edges.shape[1] != 2:
        raise _malformed(path, skip, delimiter, f"{edges.shape[1]} columns")
    bad = (edges < 0) | (edges >= n)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise UserError(
            f"{path} line {_line_of_row(path, skip, row)}: node id {edges[row, col]} "
            f"is out of range; expected 0..{n - 1} (n={n})"
        )
    return g.csr_from_edges(n, edges[:, 0], edges[:, 1])
