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


def fork_map(fn: Callable[[int], Any], n: int, jobs: int | None = None,
             done: Callable[[int, Any], None] | None = None) -> list:
    """``[fn(0), …, fn(n - 1)]``, computed by ``jobs`` forked workers (None: one per core).

    ``fn`` is a module-level function (a worker finds it by name) of the job's index; it reads
    its inputs from module state set before the call. With one job, or where ``fork`` is not a
    start method, everything runs in this process. ``done(i, result)`` is called here as each
    job finishes (in completion order). An exception in a job is raised here.
    """
    import multiprocessing

    jobs = max(1, min(cores() if jobs is None else int(jobs), n))
    if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1  # pragma: no cover - not Linux
    out: list = [None] * n
    if jobs == 1:
        for i in range(n):
            out[i] = fn(i)
            if done is not None:
                done(i, out[i])
        return out
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {pool.submit(fn, i): i for i in range(n)}
        for f in as_completed(futures):
            i = futures[f]
            out[i] = f.result()
            if done is not None:
                done(i, out[i])
    return out
