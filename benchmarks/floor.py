"""The machine's floor: streaming bandwidth and random-gather rate, measured here.

The engine's lower bound per agent-step is the larger of the time to stream its own
state (read and write) and the time to gather its neighbours' fields; the benchmark
reports how far above that bound the kernel runs.
"""

import time

import numba
import numpy as np


@numba.njit(parallel=True, cache=True)
def _stream(src, dst):
    for i in numba.prange(src.shape[0]):
        dst[i] = src[i] * 1.0000001


@numba.njit(parallel=True, cache=True)
def _gather(values, idx, out):
    for c in numba.prange(out.shape[0]):
        acc = 0.0
        step = idx.shape[0] // out.shape[0]
        for e in range(c * step, (c + 1) * step):
            acc += values[idx[e]]
        out[c] = acc


def _best(fn, *args, repeat: int = 5) -> float:
    fn(*args)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def measure(n: int = 20_000_000, threads: int = 2) -> dict:
    """Streaming GB/s (read + write) and random gathers per second on ``threads`` threads."""
    numba.set_num_threads(threads)
    src = np.ones(n, dtype=np.float64)
    dst = np.empty_like(src)
    stream_s = _best(_stream, src, dst)
    values = np.ones(n, dtype=np.float32)
    idx = np.random.default_rng(0).integers(0, n, n, dtype=np.int64).astype(np.int32)
    out = np.zeros(256)
    gather_s = _best(_gather, values, idx, out)
    return {
        "threads": threads,
        "stream_bytes_per_second": 2 * src.nbytes / stream_s,
        "random_gathers_per_second": n / gather_s,
        "array_elements": n,
    }
