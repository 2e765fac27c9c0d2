"""The executor's own kernel threads (archcalc.executor.threads) and heap reuse (alloc).

Results and MAC counts must not depend on the thread count; MACs are hand-computed
(M*K*N for a matmul, C*Ho*Wo*kh*kw for a depthwise conv).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from archcalc.executor import kernels as K
from archcalc.executor.alloc import keep_freed_memory
from archcalc.executor.threads import (
    MIN_WORK,
    _openblas,
    available_cores,
    kernel_thread_count,
    kernel_threads,
    parallel_ranges,
    split_points,
)


from archcalc.executor import threads as _T  # noqa: E402

_REAL_JUDGE = _T._judge


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    """Jobs split as sized: no back-off left by an earlier test, none started by these."""
    from archcalc.executor import threads as T

    monkeypatch.setattr(T, "_judge", lambda *a: None)
    T.reset_backoff()


def test_split_points_partition():
    assert split_points(10, 4) == [0, 2, 5, 7, 10]
    assert split_points(3, 3) == [0, 1, 2, 3]


def test_parallel_ranges_covers_each_index_once_on_two_threads():
    hits = np.zeros(1000, np.int64)
    seen_threads, calls = set(), []

    def fn(lo, hi):
        calls.append((lo, hi))
        seen_threads.add(threading.get_ident())
        hits[lo:hi] += 1

    with kernel_threads(2):
        parallel_ranges(1000, 100 * MIN_WORK, fn)
    assert (hits == 1).all()
    assert len(calls) == 4  # 2 x threads pieces


def test_small_work_stays_on_the_caller():
    calls = []
    with kernel_threads(2):
        parallel_ranges(1000, MIN_WORK - 1, lambda lo, hi: calls.append((lo, hi, threading.get_ident())))
    assert calls == [(0, 1000, threading.get_ident())]


def test_error_in_a_piece_is_raised_in_the_caller():
    def fn(lo, hi):
        if lo > 0:
            raise ValueError("boom")

    with kernel_threads(2), pytest.raises(ValueError, match="boom"):
        parallel_ranges(100, 100 * MIN_WORK, fn)


def test_kernel_threads_restores_and_rejects_zero():
    assert kernel_thread_count() == 1
    with kernel_threads(2):
        assert kernel_thread_count() == 2
    assert kernel_thread_count() == 1
    with pytest.raises(ValueError):
        with kernel_threads(0):
            pass


@pytest.mark.parametrize("m,k,n", [(512, 512, 196), (64, 32, 12544)])  # row split, column split
def test_matmul_same_result_and_macs_on_two_threads(m, k, n):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    y1, macs1 = K._matmul(a, b)
    with kernel_threads(2):
        y2, macs2 = K._matmul(a, b)
    assert macs1 == macs2 == m * k * n
    # OpenBLAS may block a smaller product differently: float32 summation order, not values, differs
    np.testing.assert_allclose(y1, y2, rtol=0, atol=1e-5 * float(np.abs(y1).max()))


def test_depthwise_same_result_and_macs_on_two_threads():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 128, 56, 56), dtype=np.float32)
    w = rng.standard_normal((128, 1, 3, 3), dtype=np.float32)
    y1, macs1 = K.conv2d(x, w, None, 1, 1, 1, 128)
    keep_freed_memory()
    with kernel_threads(2):
        y2, macs2 = K.conv2d(x, w, None, 1, 1, 1, 128)
    assert macs1 == macs2 == 2 * 128 * 56 * 56 * 9
    np.testing.assert_array_equal(y1, y2)


def test_executor_defaults_to_every_core_and_restores_openblas():
    from archcalc.api import analyze
    from archcalc.executor.run import Executor

    ex = Executor(analyze("mobilenet", resolution=32).network)
    assert ex.threads == available_cores()
    fns = _openblas()
    before = fns[0]() if fns else None
    one = Executor(ex.net, threads=1).run().output
    two = Executor(ex.net, threads=2).run().output
    np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-5 * float(np.abs(one).max()))
    if fns:
        assert fns[0]() == before


def test_judge_backs_off_doubling_and_resets(monkeypatch):
    """A split job where the caller ran under RUNNING of its wall time and gained under GAIN
    over itself alone, or waited far longer than a piece for a worker, makes the next 2, 4, 8,
    ... jobs run on the caller (up to 2**MAX_STRIKES); a job that shows neither resets; a short
    job's CPU share is not judged."""
    from archcalc.executor import threads as T

    monkeypatch.setattr(T, "JUDGED", 1e-3)
    monkeypatch.setattr(T, "_judge", _REAL_JUDGE)
    st = T._state
    T._judge(own=4e-3, cpu=3.9e-3, waited=1e-3, ran=2, pieces=4)  # ran all along, waited < a piece
    assert (st.strikes, st.skip) == (0, 0)
    T._judge(own=4e-3, cpu=2e-3, waited=0.0, ran=2, pieces=4)  # ran half the time, no faster
    assert (st.strikes, st.skip) == (1, 2)
    T._judge(own=4e-3, cpu=4e-3, waited=5e-3, ran=2, pieces=4)  # waited 5 ms for 2 ms pieces
    assert (st.strikes, st.skip) == (2, 4)
    T._judge(own=0.5e-3, cpu=0.1e-3, waited=0.0, ran=1, pieces=4)  # too short to judge its share
    assert (st.strikes, st.skip) == (0, 4)
    T._judge(own=4e-3, cpu=2.8e-3, waited=0.0, ran=2, pieces=4)  # GIL waits, but 1.4x faster
    assert st.strikes == 0
    for _ in range(10):
        T._judge(own=4e-3, cpu=1e-3, waited=0.0, ran=1, pieces=4)
    assert (st.strikes, st.skip) == (T.MAX_STRIKES, 2 ** T.MAX_STRIKES)
    T._judge(own=4e-3, cpu=4e-3, waited=2.5e-3, ran=2, pieces=4)  # waited within 2 pieces + LATE
    assert st.strikes == 0
    T.reset_backoff()


def test_backing_off_runs_jobs_on_the_caller_then_splits_again():
    from archcalc.executor import threads as T

    me = threading.get_ident()
    T._state.skip = 2
    for _ in range(2):
        calls = []
        with kernel_threads(2):
            parallel_ranges(1000, 100 * MIN_WORK,
                            lambda lo, hi, calls=calls: calls.append((lo, hi, threading.get_ident(), kernel_thread_count())))
        assert calls == [(0, 1000, me, 1)]  # whole, on the caller, nothing split inside it
    assert T._state.skip == 0
    hits = np.zeros(1000, np.int64)
    with kernel_threads(2):
        parallel_ranges(1000, 100 * MIN_WORK, lambda lo, hi: hits.__setitem__(slice(lo, hi), hits[lo:hi] + 1))
    assert (hits == 1).all()


def test_a_held_up_worker_makes_the_caller_back_off(monkeypatch):
    """A worker that sleeps in its piece (as if descheduled) while the caller computes: the
    caller waits far longer than a piece, so the next jobs run on it alone."""
    import time

    from archcalc.executor import threads as T

    monkeypatch.setattr(T, "_judge", _REAL_JUDGE)
    me = threading.get_ident()
    started = threading.Event()

    def fn(lo, hi):
        if threading.get_ident() == me:
            assert started.wait(10)  # the worker holds a piece
            t = time.thread_time()
            while time.thread_time() - t < 2e-3:  # 2 ms of the caller's CPU per piece
                pass
        else:
            started.set()
            time.sleep(0.05)  # descheduled holding its piece

    with kernel_threads(2):
        parallel_ranges(4, 100 * MIN_WORK, fn)
    assert T._state.strikes == 1 and T._state.skip == 2


def test_pieces_are_claimed_from_both_ends_once_each():
    """The caller claims from the front, workers from the back, each piece once."""
    from archcalc.executor.threads import _Pieces

    job = _Pieces(split_points(8, 4), lambda lo, hi: None)
    got = [job._claim(False), job._claim(True), job._claim(True), job._claim(False),
           job._claim(False), job._claim(True)]
    assert got == [0, 3, 2, 1, None, None]
