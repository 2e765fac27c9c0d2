"""Threads for the executor's kernels: our own blocking pool, OpenBLAS kept single-threaded.

Why not OpenBLAS's threads: its waiting threads spin (``sched_yield`` loops). When
another process holds one of the machine's 2 cores, the OpenBLAS worker queued
behind it only runs at the next scheduler tick, while the caller spins on the
other core instead of freeing it; every sgemm then costs a multiple of the 4 ms
tick whatever its size. Measured (issue 5): a 512x512 @ 512x196 sgemm took 1.2 ms
with 1 thread and 8.0 ms with 2 (a 1024x1000 gemv: 0.1 ms vs 8.0 ms), which made
MobileNet v1 ~4x slower with 2 threads than with 1 (146 vs 38 ms), 28 matmuls x
a few ticks each.

What is done instead: during a run OpenBLAS is set to 1 thread and a kernel that
is worth splitting (:func:`parallel_ranges`) hands pieces of its work (row or
column blocks of a matmul, channel ranges of the depthwise kernel) to a small
pool of Python threads; NumPy and the ``nogil`` Numba kernels release the GIL.
Pieces are claimed one at a time from a shared counter by the caller and the
workers alike, and the caller waits (blocked, not spinning) only for pieces a
worker actually claimed. On a loaded machine the caller therefore does most of
the pieces itself and a run costs about what 1 thread costs; on an idle one the
pieces run side by side. If a split job shows a busy machine all the same (the caller and a
worker sharing one core, or a worker descheduled holding a piece), the caller's next jobs
run on it alone for a while, doubling while that recurs (:func:`_judge`). Work below :data:`MIN_WORK` multiply-accumulates (or
element operations) per piece stays on the caller: a hand-off costs ~0.05 ms.

No new dependency: the OpenBLAS setter is looked up in the OpenBLAS that NumPy
loaded (``numpy.libs``); if none is found, :func:`blas_threads` does nothing.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

_NAMES = (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
          ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
          ("openblas_get_num_threads", "openblas_set_num_threads"))

MIN_WORK = 1 << 20  #: least work (MACs or element operations) per piece worth a hand-off
#: work of one element of a one-pass elementwise op (BN, ReLU, Add, pooling), in MACs: about what
#: it costs against sgemm (BN over 401k floats 45 us, i.e. 0.11 ns an element; sgemm ~35 GMAC/s)
ELEMENT_WORK = 4
TWO_ENDED = True  #: workers claim pieces from the back of a job (the caller from the front)
PIECES_PER_THREAD = 2  #: pieces per thread: a thread held up by another process leaves at most one to the rest


def available_cores() -> int:
    """CPUs this process may run on (its affinity mask, else ``os.cpu_count()``)."""
    from archcalc.workers import cores

    return cores()


@lru_cache(maxsize=1)
def openblas_libraries() -> tuple[ctypes.CDLL, ...]:
    """The OpenBLAS libraries NumPy ships (``numpy.libs``) that load."""
    libs = []
    for path in sorted(glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*"))):
        try:
            libs.append(ctypes.CDLL(path))
        except OSError:
            continue
    return tuple(libs)


@lru_cache(maxsize=1)
def _openblas():
    """(get, set) functions of NumPy's OpenBLAS, or None."""
    for lib in openblas_libraries():
        for get, set_ in _NAMES:
            if hasattr(lib, get) and hasattr(lib, set_):
                getter, setter = getattr(lib, get), getattr(lib, set_)
                getter.restype = ctypes.c_int
                return getter, setter
    return None


@contextmanager
def blas_threads(n: int | None):
    """Run the block with OpenBLAS using ``n`` threads (None: unchanged), then restore."""
    fns = _openblas() if n is not None else None
    if fns is None:
        yield
        return
    get, set_ = fns
    before = int(get())
    set_(int(n))
    try:
        yield
    finally:
        set_(before)


_state = threading.local()  #: ``threads``: kernel threads for the current thread's run


def kernel_thread_count() -> int:
    """Threads :func:`parallel_ranges` may use in the current run (1 outside :func:`kernel_threads`)."""
    return getattr(_state, "threads", 1)


@contextmanager
def kernel_threads(n: int):
    """Let the kernels called in the block split their work over ``n`` threads (caller included)."""
    if n < 1:
        raise ValueError(f"thread count must be >= 1, got {n}")
    before = kernel_thread_count()
    _state.threads = int(n)
    try:
        yield
    finally:
        _state.threads = before


@lru_cache(maxsize=None)
def _pool(workers: int) -> ThreadPoolExecutor:
    """A pool of ``workers`` idle (blocked, not spinning) helper threads, made once."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archcalc-kernel")


class _Pieces:
    """Pieces ``bounds[i]..bounds[i+1]`` claimed one at a time; ``done`` set when all claimed ones ran."""

    def __init__(self, bounds: list[int], fn: Callable[[int, int], None]):
        self.bounds, self.fn = bounds, fn
        self.lock = threading.Lock()
        self.front, self.back = 0, len(bounds) - 2  # next piece from each end
        self.unfinished = len(bounds) - 1
        self.done = threading.Event()
        self.error: BaseException | None = None

    def _claim(self, from_back: bool) -> int | None:
        with self.lock:
            if self.front > self.back:
                return None
            if from_back and TWO_ENDED:
                self.back -= 1
                return self.back + 1
            self.front += 1
            return self.front - 1

    def work(self, from_back: bool = True) -> int:
        """Run unclaimed pieces until none is left, at 1 kernel thread (a piece never splits
        again); the caller claims from the front, workers from the back (so on 2 threads each
        takes the same end of consecutive layers: their data stays in its own core's caches).
        Returns how many this thread ran."""
        with kernel_threads(1):
            return self._work(from_back)

    def _work(self, from_back: bool) -> int:
        ran = 0
        while (i := self._claim(from_back)) is not None:
            ran += 1
            try:
                self.fn(self.bounds[i], self.bounds[i + 1])
            except BaseException as e:  # re-raised in the caller
                self.error = e
            finally:
                with self.lock:
                    self.unfinished -= 1
                    if self.unfinished == 0:
                        self.done.set()
        return ran


def split_points(total: int, pieces: int) -> list[int]:
    """``pieces + 1`` increasing bounds from 0 to ``total``, piece sizes differing by at most 1."""
    return [total * i // pieces for i in range(pieces + 1)]


def parallel_ranges(total: int, work: int, fn: Callable[[int, int], None]) -> None:
    """Call ``fn(lo, hi)`` over a partition of ``range(total)``, on the run's kernel threads.

    ``work`` is the whole job's size (MACs or element operations): it is split into
    at most ``2 x threads`` pieces of at least :data:`MIN_WORK` each (a single piece
    runs directly on the caller). ``fn`` must release the GIL to gain anything and
    must write disjoint outputs for disjoint ranges. Each piece runs at 1 kernel thread
    (a kernel called inside ``fn`` does not split its work again).
    """
    threads = kernel_thread_count()
    pieces = min(total, PIECES_PER_THREAD * threads, work // MIN_WORK)
    if threads < 2 or pieces < 2:
        fn(0, total)
        return
    skip = getattr(_state, "skip", 0)
    if skip > 0:  # backing off (a worker was held up lately): the caller does it all
        _state.skip = skip - 1
        with kernel_threads(1):
            fn(0, total)
        return
    job = _Pieces(split_points(total, pieces), fn)
    pool = _pool(threads - 1)
    cpu0, t0 = time.thread_time(), time.perf_counter()
    for _ in range(threads - 1):
        pool.submit(job.work)
    ran = job.work(from_back=False)
    cpu, t1 = time.thread_time() - cpu0, time.perf_counter()
    job.done.wait()
    _judge(t1 - t0, cpu, time.perf_counter() - t1, ran, pieces)
    if job.error is not None:
        raise job.error


JUDGED = 0.5e-3  #: seconds of the caller's own work below which its CPU share is not judged
RUNNING = 0.8  #: least share of its own work's wall time the caller must have run (thread CPU time)
LATE = 0.5e-3  #: seconds the caller may wait for a worker beyond two of its own pieces' time
GAIN = 1.15  #: least speed-up (over the caller's CPU time per piece x pieces) of a job run on a shared core
MAX_STRIKES = 4  #: back-off doubles per busy-looking job in a row, up to 2**4 = 16 jobs


def reset_backoff() -> None:
    """Forget this thread's back-off (:func:`_judge`): its next split job is split again."""
    _state.strikes = _state.skip = 0


def _judge(own: float, cpu: float, waited: float, ran: int, pieces: int) -> None:
    """Back off when a split job shows another process holding a core.

    ``own``: wall seconds the caller spent on its ``ran`` of the job's ``pieces``, ``cpu`` its
    thread CPU time in them (``time.thread_time``), ``waited``: seconds it then waited for the
    workers. On an idle machine the caller runs nearly all along (memory-bound pieces
    included; GIL hand-offs with a worker cost it some) and waits at most about one piece.
    When another process holds a core, either the caller and a worker share one core (the
    caller runs a fraction of the time, ``cpu < RUNNING x own``, and the job is no faster than
    the caller alone: ``own + waited`` not ``GAIN`` x under ``cpu / ran x pieces``) or a worker
    is descheduled holding a piece (``waited`` far over a piece). Then this thread's next
    ``2**strikes`` jobs run on the caller alone (strikes: such jobs in a row), so a busy
    machine costs about the 1-thread time plus an occasional probe.
    """
    alone = cpu / max(ran, 1) * pieces
    shared = own >= JUDGED and cpu < RUNNING * own and (own + waited) * GAIN > alone
    late = waited > 2 * own / max(ran, 1) + LATE
    if shared or late:
        strikes = min(getattr(_state, "strikes", 0) + 1, MAX_STRIKES)
        _state.strikes, _state.skip = strikes, 2 ** strikes
    else:
        _state.strikes = 0
