"""Build the social graph a scenario asks for (dispatch from the spec to the generators)."""

from __future__ import annotations

import importlib

import numpy as np

from sim.engine import graph as g
from sim.errors import UserError
from sim.scenario import Network


def build_graph(spec: Network, n: int, segment: np.ndarray, seed: int) -> g.Graph:
    """The CSR graph over ``n`` subscriber slots for a network spec.

    With ``mixing: global`` no graph is built: social terms come from population means.
    """
    if spec.mixing == "global" or spec.mean_degree == 0:
        return g.empty(n)
    if spec.kind == "small_world":
        return g.small_world(n, spec.mean_degree, spec.rewire, seed)
    if spec.kind == "scale_free":
        return g.scale_free(n, spec.mean_degree, seed)
    if spec.kind == "households":
        return g.households(n, spec.mean_degree, spec.household_size, spec.homophily, segment, seed)
    if spec.kind == "edge_list":
        return g.from_edge_list(spec.path, n)
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
