"""Forked worker processes for the commands that run many independent jobs.

``validate --all`` and ``homework --all`` each run jobs that share nothing but what the
parent process has already loaded; on a machine with more than one core they run in forked
workers (which read the parent's loaded specs and imported modules without pickling them), and
the results come back in job order, the same as a run in one process.
"""

from __future__ import annotations

import os
from typing import Any, Callable


def cores() -> int:
    """CPUs this process may run on (its affinity mask, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Pending:
    """Jobs started by :func:`fork_start`: :meth:`results` waits for them (and raises the first
    failed job's exception); :meth:`close` ends the workers (``results`` does too)."""

    def __init__(self, fn: Callable[[int], Any], n: int, jobs: int | None,
                 done: Callable[[int, Any], None] | None):
        import multiprocessing

        self.fn, self.n, self.done = fn, n, done
        jobs = max(1, min(cores() if jobs is None else int(jobs), n))
        if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
            jobs = 1  # pragma: no cover - not Linux
        self.pool = None
        self.futures: dict = {}
        if jobs > 1:
            from concurrent.futures import ProcessPoolExecutor

            # With fork, every worker is forked at the first submit: they see the module state
            # of this moment, whatever the parent does next.
            self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
            try:
                self.futures = {self.pool.submit(fn, i): i for i in range(n)}
            except BaseException:
                self.close()
                raise

    def results(self) -> list:
        out: list = [None] * self.n
        try:
            if self.pool is None:
                for i in range(self.n):
                    out[i] = self.fn(i)
                    if self.done is not None:
                        self.done(i, out[i])
                return out
            from concurrent.futures import as_completed

            for f in as_completed(self.futures):
                i = self.futures[f]
                out[i] = f.result()
                if self.done is not None:
                    self.done(i, out[i])
            return out
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def fork_start(fn: Callable[[int], Any], n: int, jobs: int | None = None,
               done: Callable[[int, Any], None] | None = None) -> Pending:
    """Start ``fn(0), …, fn(n - 1)`` in ``jobs`` forked workers and return at once (see
    :func:`fork_map`); with one job they run in this process when the results are asked for."""
    return Pending(fn, n, jobs, done)


def fork_map(fn: Callable[[int], Any], n: int, jobs: int | None = None,
             done: Callable[[int, Any], None] | None = None) -> list:
    """``[fn(0), …, fn(n - 1)]``, computed by ``jobs`` forked workers (None: one per core).

    ``fn`` is a module-level function (a worker finds it by name) of the job's index; it reads
    its inputs from module state set before the call. With one job, or where ``fork`` is not a
    start method, everything runs in this process. ``done(i, result)`` is called here as each
    job finishes (in completion order). An exception in a job is raised here.
    """
    return fork_start(fn, n, jobs, done).results()
