"""Where runs execute: in this process, in a local process pool, or on a Dask cluster.

Sweeps and calibrations hand a module-level function and a list of items to
:func:`open_executor`'s :meth:`Executor.map_unordered` and get ``(index, result)`` pairs
back as items finish, in whatever order. An exception inside the function never stops the
iteration: it comes back as a :class:`Failure` (one-line error plus traceback) in place of
the result, so one bad parameter point costs one row, not the sweep.

Every executor runs the same function on the same items, so results depend only on the
items (each carries its own seed), never on the executor or the worker count.

Numba threads: a pool of ``w`` workers gives each worker ``max(1, cores // w)`` numba
threads, so the machine is used fully without oversubscription. A worker process lives
for the whole sweep, so numba loads the compiled kernels from its on-disk cache once per
worker (at its first run), not once per run.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sim.errors import UserError
from sim.extras import require

T = TypeVar("T")
R = TypeVar("R")

_WORKER_DIED = (
    "WorkerDied: the worker process running this item died (out of memory, or a crash "
    "in native code)"
)
# Seconds to wait for a Dask scheduler to answer and for at least one worker to join.
CONNECT_TIMEOUT_S = 10
WORKER_WAIT_S = 60


@dataclass(frozen=True)
class Failure:
    """An item whose function raised: what went wrong, in one line and in full.

    Attributes:
        error: one line, ``"ExceptionType: message"``.
        traceback: the full formatted traceback, for the log.
    """

    error: str
    traceback: str


def cores() -> int:
    """CPU cores this process may run on (its affinity mask, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def auto_workers(runs: int, run_bytes: int, available: int | None) -> int:
    """Concurrent runs for ``--workers 0``: single-threaded runs side by side.

    One run per core, unless fewer runs than cores remain or memory holds fewer
    (``available // run_bytes``); each then gets ``cores // workers`` threads. On this
    project's 2-core machine two one-thread runs side by side finished more runs per
    minute than one run on two threads (docs/sweeps.md, "Throughput"): the month kernel
    gains 1.5x from a second thread, the rest of a run (set-up, tables, metrics) nothing,
    while side by side both parts gain 2x. Two threads per run win only when the runs
    are too few or too big to run side by side, which is what the limits choose.
    """
    fit = cores() if available is None else available // max(1, run_bytes)
    return max(1, min(cores(), runs, fit))


def threads_per_worker(workers: int) -> int:
    """Numba threads for each of ``workers`` concurrent runs on this machine."""
    return max(1, cores() // max(1, workers))


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _guarded[T, R](fn: Callable[[T], R], item: T, threads: int | None = None) -> R | Failure:
    """Call ``fn(item)``; an exception becomes a :class:`Failure` (runs in the worker).

    Catching in the worker, not the parent, keeps the worker's traceback and avoids
    pickling exception objects that may not survive the trip.

    Args:
        fn: the function to call.
        item: its argument.
        threads: numba threads for this call (None: leave as is). Numba's thread count
            is per calling thread, so it is set here, in the thread that runs ``fn``.
    """
    try:
        if threads is not None:
            _set_numba_threads(threads)
        return fn(item)
    except Exception as exc:
        return Failure(error=_one_line(exc), traceback=traceback.format_exc())


def _set_numba_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def init_pool_worker(threads: int, parent: int) -> None:
    """Pool worker initializer: die with ``parent``, numba threads, the engine imported once.

    Args:
        threads: numba threads of this worker.
        parent: pid of the process that owns the pool (``os.getpid()`` there).
    """
    die_with(parent)
    _set_numba_threads(threads)
    # Importing the engine here (not per run) means each worker pays the import once;
    # numba then loads each compiled kernel from its cache at this worker's first run.
    import sim.market.model  # noqa: F401


def die_with(parent: int) -> None:
    """Exit this process as soon as process ``parent`` ends, however it ends.

    A pool worker waits on its task queue, so after a ``kill -9`` of the sweep or
    calibration that owns it, it would live on, holding its memory, with no one to stop
    it. A daemon thread waits for the parent's end (a pidfd on Linux, else a check every
    half second) and then ends this process, and the forkserver this worker was forked
    from (it serves only that parent), if there is one.
    """
    try:
        parent_fd = os.pidfd_open(parent)
        server = os.getppid()
        server_fd = os.pidfd_open(server) if server != parent else None
    except ProcessLookupError:  # the parent is already gone
        os._exit(1)
    except (AttributeError, OSError):  # not Linux, or a kernel before 5.3: poll
        parent_fd = server_fd = None

    def watch() -> None:
        if parent_fd is None:
            while _alive(parent):
                time.sleep(0.5)
        else:
            select.select([parent_fd], [], [])
        if server_fd is not None:
            with suppress(OSError):
                signal.pidfd_send_signal(server_fd, signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="telsim-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone (or its pid reused by another user)
        return False
    return True


class Executor:
    """Runs a function over items and yields ``(index, result or Failure)`` as they finish.

    Attributes:
        workers: how many items run at the same time.
    """

    workers: int

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | Failure]]:
        """Yield (index into items, result or Failure) as each item finishes.

        ``fn`` must be a picklable module-level function; an exception in ``fn`` becomes a
        :class:`Failure`, never stops the iteration.
        """
        raise NotImplementedError


class SerialExecutor(Executor):
    """One item after another in this process: no pool, nothing to start (workers=1)."""

    def __init__(self) -> None:
        self.workers = 1

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | Failure]]:
        """Yield results in item order, each as soon as it is computed."""
        for i, item in enumerate(items):
            yield i, _guarded(fn, item)


class PoolExecutor(Executor):
    """A local pool of ``workers`` processes, never forked from a process running numba.

    On Linux the workers fork from a ``forkserver`` that has imported the engine once (and
    run nothing, so no numba threads exist to be forked); elsewhere they are spawned.

    At most ``2 * workers`` items are in flight, so a long sweep holds few pending
    futures and an interrupt cancels little. If a worker process dies (the OS killed it
    for memory, a crash in native code), the pool is restarted and the items that were
    in flight are rerun one at a time: the one that kills a worker alone is a Failure.
    """

    def __init__(self, workers: int):
        import multiprocessing

        self.workers = workers
        self._threads = threads_per_worker(workers)
        if "forkserver" in multiprocessing.get_all_start_methods():
            self._context = multiprocessing.get_context("forkserver")
            # Each worker forks from a server that already imported the engine: the
            # imports (numpy, pandas, numba, mesa: seconds) happen once, not per worker.
            self._context.set_forkserver_preload(["sim.market.model", "sim.sweep.runner"])
        else:  # pragma: no cover - macOS, Windows
            self._context = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._solo: set[int] = set()  # items rerun alone after a worker died

    def _open(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._context,
                initializer=init_pool_worker,
                initargs=(self._threads, os.getpid()),
            )
        return self._pool

    def close(self) -> None:
        """Stop the pool; pending items are cancelled (used on exit and on interrupt)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | Failure]]:
        """Yield results as workers finish them (any order)."""
        todo = list(range(len(items)))[::-1]  # a stack: pop() gives the lowest index first
        suspects: list[int] = []  # in flight when a worker died; rerun one at a time
        running: dict[Future[Any], int] = {}
        while todo or suspects or running:
            pool = self._open()
            try:
                if suspects:
                    if not running:
                        i = suspects.pop()
                        running[pool.submit(_guarded, fn, items[i], self._threads)] = i
                else:
                    while todo and len(running) < 2 * self.workers:
                        i = todo.pop()
                        running[pool.submit(_guarded, fn, items[i], self._threads)] = i
            except BrokenProcessPool:  # it broke between two submissions
                running[Future()] = i
                yield from self._after_break(running, suspects)
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broke = False
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broke = True
                    continue
                yield running.pop(future), result
            if broke:
                yield from self._after_break(running, suspects)

    def _after_break(
        self, running: dict[Future[Any], int], suspects: list[int]
    ) -> Iterator[tuple[int, Failure]]:
        """A worker process died; which item killed it is known only if it ran alone.

        An item that was alone in flight is the culprit: it becomes a Failure. Otherwise
        every item that was in flight is rerun alone on a fresh pool, so a crash costs
        exactly the item that causes it and never a bystander.
        """
        lost = sorted(running.values())
        running.clear()
        if self._pool is not None:  # a broken pool is unusable; its processes are gone
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if len(lost) == 1 and lost[0] in self._solo:
            self._solo.discard(lost[0])
            yield lost[0], Failure(error=_WORKER_DIED, traceback="")
            return
        self._solo.update(lost)
        suspects.extend(reversed(lost))


_DASK_LOCK = threading.Lock()


def _dask_call[T, R](fn: Callable[[T], R], item: T, threads: dict[str, int]) -> R | Failure:
    """Run one item on a Dask worker.

    Numba threads come from ``threads`` (worker address -> threads, see
    :func:`_numba_threads`), else the worker host's cores divided by the worker's task
    threads; when a worker runs several tasks at once they are serialised by a lock, as
    concurrent parallel kernels from one process would only compete for the same cores.
    """
    from dask.distributed import get_worker

    worker = get_worker()
    nthreads = max(1, worker.state.nthreads)
    if nthreads == 1:
        return _guarded(fn, item, threads.get(worker.address, cores()))
    with _DASK_LOCK:
        return _guarded(fn, item, threads.get(worker.address, cores()))


def _numba_threads(client: Any) -> dict[str, int]:
    """Numba threads per worker: its host's cores shared by all task threads on that host.

    Several workers on one host (a LocalCluster, ``dask worker --nworkers 4``) would
    otherwise each start a thread per core and oversubscribe it. A worker that runs its
    tasks one at a time (several task threads) gets its host's share of all of them.
    """
    workers = client.scheduler_info()["workers"]
    host_cores = client.run(cores)
    on_host: dict[str, int] = {}
    for info in workers.values():
        on_host[info["host"]] = on_host.get(info["host"], 0) + max(1, info["nthreads"])
    out = {}
    for address, info in workers.items():
        share = host_cores.get(address, 1) // on_host[info["host"]]
        out[address] = max(1, share * max(1, info["nthreads"]))
    return out


class DaskExecutor(Executor):
    """Items as tasks on a ``dask.distributed`` cluster (an existing one or a LocalCluster)."""

    def __init__(self, client: Any):
        self._client = client
        self.workers = max(1, sum(client.nthreads().values()))
        self._threads = _numba_threads(client)

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | Failure]]:
        """Yield results as tasks finish; at most ``2 * workers + 2`` tasks are queued."""
        from dask.distributed import as_completed

        todo = list(range(len(items)))[::-1]
        window = 2 * self.workers + 2
        index: dict[str, int] = {}

        def submit() -> Any:
            i = todo.pop()
            future = self._client.submit(_dask_call, fn, items[i], self._threads, pure=False)
            index[future.key] = i
            return future

        queue = as_completed([submit() for _ in range(min(window, len(todo)))])
        for future in queue:
            i = index.pop(future.key)
            try:
                result = future.result()
            except Exception as exc:  # the task itself failed: a worker died, a lost key
                result = Failure(error=_one_line(exc), traceback=traceback.format_exc())
            future.release()
            if todo:
                queue.add(submit())
            yield i, result


@contextmanager
def open_executor(
    workers: int = 1,
    *,
    kind: Literal["local", "dask"] = "local",
    scheduler: str | None = None,
) -> Iterator[Executor]:
    """Open an executor for the duration of a ``with`` block, and close it after.

    Args:
        workers: concurrent runs (local pool processes or LocalCluster workers); ignored
            with ``scheduler`` (the cluster's worker threads count instead).
        kind: "local" (this process for 1 worker, else a process pool) or "dask".
        scheduler: address of an existing Dask scheduler (``tcp://host:8786``); implies
            kind "dask".

    Raises:
        UserError: a scheduler that cannot be reached, or one without workers.
    """
    if workers < 1:
        raise UserError(f"--workers: expected at least 1, got {workers}")
    if scheduler is not None or kind == "dask":
        with dask_client(workers, scheduler) as client:
            yield DaskExecutor(client)
    elif workers == 1:
        yield SerialExecutor()
    else:
        pool = PoolExecutor(workers)
        try:
            yield pool
        finally:
            pool.close()


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Any]:
    """A connected ``dask.distributed.Client``; a LocalCluster when no address is given.

    Raises:
        UserError: dask is not installed (MissingExtra), or a scheduler that cannot be
            reached or has no workers.
    """
    import logging

    require("sweep", "the dask executor")
    from dask.distributed import Client, LocalCluster

    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never clash with a running dashboard
            silence_logs=logging.ERROR,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except Exception as exc:  # refused, timed out, a bad address, or not a Dask scheduler
        raise UserError(
            f"--scheduler {scheduler}: cannot connect: {_one_line(exc)}; expected the address "
            "of a running Dask scheduler, e.g. tcp://127.0.0.1:8786"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (TimeoutError, OSError):
            raise UserError(
                f"--scheduler {scheduler}: no worker joined within {WORKER_WAIT_S} s; "
                "expected a running `dask worker` connected to it"
            ) from None
        yield client
    finally:
        client.close()
