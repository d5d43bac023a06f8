"""The world a run starts from, built once for both market models.

:class:`~sim.market.model.MarketModel` (numba kernels) and
:class:`~sim.reference.ReferenceModel` (one Mesa agent per subscriber) start from the
same things: the market tables with month 0's events applied, the timeline of later
events, the entrants of each month, the month-0 population and the social graph.
:func:`build_world` makes them, so the two models cannot drift apart in their set-up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from sim.engine.graph import Graph
from sim.engine.state import SubscriberState, slot_segments, synthesize
from sim.market.events import Timeline
from sim.market.network import build_graph
from sim.market.tables import MarketTables, build_tables, initial_distributions
from sim.scenario import Scenario, Trajectory


def entrants_by_month(scenario: Scenario) -> np.ndarray:
    """New subscribers in each month 0..months (integers summing to the fractional rate).

    A constant rate r gives ``floor(t r size)`` entrants by month t; a trajectory the
    floor of ``size`` times its rates of months 1..t added up.
    """
    pop, months = scenario.population, scenario.simulation.months
    rate = pop.entry_per_month
    if isinstance(rate, Trajectory):
        rates = np.array(rate.values(months))
        rates[0] = 0.0  # month 0 is the initial state: nobody enters
        cumulative = np.floor(np.cumsum(rates) * pop.size).astype(np.int64)
    else:
        cumulative = np.floor(np.arange(months + 1) * rate * pop.size).astype(np.int64)
    return np.diff(cumulative, prepend=0)


def capacity(scenario: Scenario) -> int:
    """Subscriber slots of a run: the initial population plus every entrant.

    The graph and the visible fields span them all; the private fields start with
    :func:`first_reservation` slots and grow as entrants arrive.
    """
    return scenario.population.size + int(entrants_by_month(scenario).sum())


def first_reservation(scenario: Scenario) -> int:
    """Slots with private fields at month 0: the initial population and month 1's entrants."""
    entrants = entrants_by_month(scenario)
    return scenario.population.size + int(entrants[1] if entrants.size > 1 else 0)


@dataclass
class World:
    """Everything a market model starts from (month 0, before the census).

    Attributes:
        tables: the market tables after month 0's events.
        timeline: the scenario's events by month (month 0's already applied).
        entrants: market entrants in each month 0..months.
        state: the month-0 subscriber arrays, with a slot for every entrant (private
            fields for the first ones: ``state.reserve`` grows them).
        graph: the social graph over all slots.
        timings: wall seconds of the set-up phases ("synthesis", "graph").
    """

    tables: MarketTables
    timeline: Timeline
    entrants: np.ndarray
    state: SubscriberState
    graph: Graph
    timings: dict[str, float] = field(default_factory=dict)


def build_world(spec: Scenario, seed: int, graph: Graph | None = None) -> World:
    """Tables, timeline, month-0 population and social graph of one replication.

    Args:
        spec: the validated scenario.
        seed: the replication's seed.
        graph: a prebuilt graph over all slots, to reuse one across runs.

    Raises:
        ValueError: ``graph`` does not have one node per slot.
    """
    tables = build_tables(spec)
    timeline = Timeline(spec)
    entrants = entrants_by_month(spec)
    slots = capacity(spec)
    dist, rows = initial_distributions(spec, tables)
    # the graph first: its build's temporaries are the run's largest, and need not sit
    # beside the population's arrays (at 10^8 subscribers, GBs: docs/performance.md)
    t0 = time.perf_counter()
    if graph is None:
        graph = build_graph(
            spec.network,
            slots,
            spec.population.size,
            lambda: slot_segments(slots, seed, dist),
            seed,
        )
    if graph.n_nodes != slots:
        raise ValueError(f"graph has {graph.n_nodes} nodes, the run needs {slots}")
    built = time.perf_counter()
    state = synthesize(slots, spec.population.size, seed, dist, rows, first_reservation(spec))
    timings = {"synthesis": time.perf_counter() - built, "graph": built - t0}
    timeline.step(tables, 0)
    tables.refresh(0)
    return World(tables, timeline, entrants, state, graph, timings)
