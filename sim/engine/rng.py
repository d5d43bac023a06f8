"""Counter-based random numbers keyed by (seed, stream, month, subscriber).

Every random draw in the model is ``uniform(seed, stream, month, i)``: a pure
function of four integers. So a run is identical on any thread count or worker
count, the Mesa reference draws exactly the engine's numbers, and two scenarios
run with the same seed share their per-subscriber draws (common random numbers).

The hash is splitmix64's finaliser. The (seed, stream, month) part is folded into
one 64-bit key outside the hot loop (:func:`stream_key`); inside a kernel each draw
costs one finaliser call (:func:`uniform_at`).
"""

from enum import IntEnum

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


class Stream(IntEnum):
    """One stream id per kind of random decision; never reuse an id for two kinds.

    Ids from ``SURVEY_BASE`` up belong to simulated surveys (``sim.calibration.survey``:
    one block of 8 per survey wave), so new engine streams stay below it.
    """

    INIT_SEGMENT = 1
    INIT_OPERATOR = 2
    INIT_PLAN = 3
    INIT_TENURE = 4
    INIT_CONTRACT = 5
    INIT_HANDSET = 6
    INIT_SATISFACTION = 7
    INIT_BUNDLE = 8
    INIT_SPEND = 9
    INIT_ROW = 10  # which population-file row a month-0 slot takes
    INIT_ADOPT_RANK = 11  # place in the segment's adoption order (market potential)
    CONSIDER = 20
    OFFER_SEEN = 21
    CHOICE = 22
    MIGRATION = 23
    RECONTRACT = 24
    PLAN_CHOICE = 25  # which plan of the chosen operator (nested logit, plan_mu > 0)
    DISCONNECT = 26  # leaving the market (disconnection hazard)
    REENTRY = 27  # a disconnected slot coming back as a new line
    FAILURE = 28  # a service failure suffered this month
    ADVERTISER = 29  # whose offer was seen (marketing salience, beta_marketing > 0)
    GRAPH = 40
    GRAPH_REWIRE = 41
    GRAPH_HOUSEHOLD = 42
    GRAPH_ENTRY = 43  # the ties a market entrant starts with earlier slots
    REPLICATION = 60
    SURVEY_BASE = 1000


@numba.njit(cache=True, inline="always")
def mix64(x: np.uint64) -> np.uint64:
    """splitmix64 finaliser: a bijective avalanche of one 64-bit word."""
    x = (x ^ (x >> np.uint64(30))) * _MUL1
    x = (x ^ (x >> np.uint64(27))) * _MUL2
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True)
def stream_key(seed: int, stream: int, month: int) -> np.uint64:
    """Fold (seed, stream, month) into the key that per-subscriber draws start from."""
    k = mix64(np.uint64(seed) + _GOLDEN)
    k = mix64(k ^ (np.uint64(stream) * _GOLDEN))
    return mix64(k ^ (np.uint64(month) * _MUL1))


@numba.njit(cache=True, inline="always")
def uniform_at(key: np.uint64, i: int) -> float:
    """Uniform in [0, 1) for subscriber (or counter) ``i`` under a stream key."""
    # Cast: a key arriving from Python as int64 would otherwise promote the sum to float.
    h = mix64(np.uint64(key) + np.uint64(i) * _GOLDEN)
    return float(h >> np.uint64(11)) * _TO_UNIT


@numba.njit(cache=True)
def uniform(seed: int, stream: int, month: int, i: int) -> float:
    """The model's one random primitive: ``uniform(seed, stream, month, i)`` in [0, 1)."""
    return uniform_at(stream_key(seed, stream, month), i)


@numba.njit(cache=True, parallel=True)
def uniform_array(seed: int, stream: int, month: int, n: int) -> np.ndarray:
    """Draws for subscribers ``0..n-1`` at once (float64, shape ``(n,)``)."""
    key = stream_key(seed, stream, month)
    out = np.empty(n, dtype=np.float64)
    for i in numba.prange(n):
        out[i] = uniform_at(key, i)
    return out


def replication_seed(seed: int, replication: int) -> int:
    """Seed of replication ``r`` of a scenario with seed ``s``: ``hash(s, r)``, 63 bits."""
    key = stream_key(seed, int(Stream.REPLICATION), replication)
    return int(key >> np.uint64(1))
