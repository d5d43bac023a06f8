"""Executors: the same (index, result) pairs from every executor; failures never stop them."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys

import pytest

from sim.errors import UserError
from sim.sweep import executors
from sim.sweep.executors import Failure, open_executor, threads_per_worker

ITEMS = [4.0, -1.0, 9.0, 16.0, -4.0, 25.0]


def numba_threads(_: object) -> int:
    """The numba thread count where an item runs (module-level: workers import it)."""
    import numba

    return numba.get_num_threads()


def die_on_three(x: int) -> int:
    """Kill the worker process on item 3 (a crash no exception handler sees)."""
    if x == 3:
        os._exit(1)
    return x * x


def collect(pairs) -> dict[int, object]:
    out: dict[int, object] = {}
    for i, result in pairs:
        assert i not in out
        out[i] = result
    return out


def check(results: dict[int, object]) -> None:
    assert sorted(results) == list(range(len(ITEMS)))
    for i, x in enumerate(ITEMS):
        if x < 0:
            failure = results[i]
            assert isinstance(failure, Failure)
            assert failure.error.startswith("ValueError: ") and "\n" not in failure.error
            assert "Traceback" in failure.traceback and "ValueError" in failure.traceback
        else:
            assert results[i] == math.sqrt(x)


def test_serial_runs_in_order_and_records_failures() -> None:
    with open_executor(1) as ex:
        assert ex.workers == 1
        pairs = list(ex.map_unordered(math.sqrt, ITEMS))
    assert [i for i, _ in pairs] == list(range(len(ITEMS)))
    check(dict(pairs))


def test_pool_gives_the_same_results_splits_the_cores_and_survives_a_dying_worker() -> None:
    with open_executor(2) as ex:
        assert ex.workers == 2
        check(collect(ex.map_unordered(math.sqrt, ITEMS)))
        threads = collect(ex.map_unordered(numba_threads, [0, 1, 2]))
        assert set(threads.values()) == {threads_per_worker(2)}
        results = collect(ex.map_unordered(die_on_three, list(range(6))))
    assert isinstance(results[3], Failure) and results[3].error.startswith("WorkerDied")
    assert {i: r for i, r in results.items() if i != 3} == {i: i * i for i in range(6) if i != 3}


def test_the_forkserver_preload_starts_no_numba_threads() -> None:
    """Pool workers fork from a server that imported the engine: safe only while importing
    it launches no threads (forking a process with running OpenMP threads can hang)."""
    code = (
        "import threading, sim.market.model, sim.sweep.runner\n"
        "import numba.np.ufunc.parallel as p\n"
        "print(p._is_initialized, threading.active_count())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "1"]


def test_dask_local_cluster_gives_the_same_results() -> None:
    with open_executor(2, kind="dask") as ex:
        assert ex.workers == 2
        check(collect(ex.map_unordered(math.sqrt, ITEMS)))
        # two workers on one host share its cores: no oversubscription
        threads = {r for _, r in ex.map_unordered(numba_threads, [0, 1, 2, 3])}
        assert threads == {threads_per_worker(2)}


def test_unreachable_scheduler_is_a_user_error(monkeypatch) -> None:
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(UserError, match=rf"--scheduler {address}: cannot connect: "):
        with open_executor(1, scheduler=address):
            pass


def test_workers_must_be_positive() -> None:
    with pytest.raises(UserError, match="--workers: expected at least 1"):
        with open_executor(0):
            pass


def die_on_three_slowly(x: int) -> int:
    """Item 3 kills its worker after the others started, so several are in flight."""
    import time

    time.sleep(0.3)
    return die_on_three(x)


def test_a_dying_worker_costs_only_its_own_item() -> None:
    with open_executor(2) as ex:
        results = collect(ex.map_unordered(die_on_three_slowly, list(range(8))))
    failed = [i for i, r in results.items() if isinstance(r, Failure)]
    assert failed == [3]
    assert {i: r for i, r in results.items() if i != 3} == {i: i * i for i in range(8) if i != 3}


def test_auto_workers_runs_one_single_threaded_run_per_core_as_runs_and_memory_allow() -> None:
    from sim.sweep.executors import auto_workers, cores

    c = cores()
    assert auto_workers(1000, 10**8, None) == c
    assert auto_workers(1000, 10**8, 10**12) == c
    assert auto_workers(1, 10**8, 10**12) == 1  # one run: all cores' threads go to it
    assert auto_workers(1000, 10**9, 10**9) == 1  # memory for one run only
    assert auto_workers(1000, 10**9, 10**8) == 1  # never below one
