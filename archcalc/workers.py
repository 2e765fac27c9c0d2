"""Forked worker processes for the commands that run many independent jobs.

``validate --all``, ``homework --all``, ``report``, ``prove compound-scaling`` and ``plot
accuracy`` each run jobs that share nothing but what the parent process has already loaded; on
a machine with more than one core they run in forked workers, and the results come back in job
order, the same as a run in one process.

The job function and its items are never pickled: they are registered here before the workers
are forked, and each worker finds them in its copy of this module, so a closure over loaded specs
is a job function. Only an item's index goes to a worker and only its result comes back (a
result must pickle, and unpickle as it was: see ``proofs.homework``). A job that raises in a
worker is run again in the parent, so its exception is raised there exactly as it would be
without workers (an exception need not pickle).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from typing import Any

#: job key -> (function, items) of the jobs started and not yet closed (forked workers inherit it)
_JOBS: dict[int, tuple[Callable[[Any], Any], Sequence]] = {}
_KEYS = itertools.count()


def cores() -> int:
    """CPUs this process may run on (its affinity mask, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _run(key: int, i: int) -> tuple[bool, Any]:
    """In a worker: ``(True, fn(items[i]))``, or ``(False, None)`` when it raised."""
    fn, items = _JOBS[key]
    try:
        return True, fn(items[i])
    except Exception:
        return False, None


class Pending:
    """Jobs started by :func:`fork_start`: :meth:`results` waits for them; :meth:`close` (or
    leaving a ``with`` block) ends the workers unwaited, ``results`` too."""

    def __init__(self, fn: Callable[[Any], Any], items: Sequence, jobs: int | None,
                 done: Callable[[int, Any], None] | None):
        import multiprocessing

        self.fn, self.items, self.done = fn, list(items), done
        jobs = max(1, min(cores() if jobs is None else int(jobs), len(self.items)))
        if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
            jobs = 1  # pragma: no cover - not Linux
        self.pool = None
        self.futures: dict = {}
        self.key = next(_KEYS)
        if jobs > 1:
            from concurrent.futures import ProcessPoolExecutor

            _JOBS[self.key] = (fn, self.items)
            # With fork, every worker is forked at the first submit: they see the module state
            # of this moment, whatever the parent does next.
            self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
            try:
                self.futures = {self.pool.submit(_run, self.key, i): i for i in range(len(self.items))}
            except BaseException:
                self.close()
                raise

    def results(self) -> list:
        """``[fn(item) for item in items]``; ``done(i, result)`` is called as each finishes."""
        out: list = [None] * len(self.items)
        try:
            if self.pool is None:
                for i, item in enumerate(self.items):
                    out[i] = self.fn(item)
                    if self.done is not None:
                        self.done(i, out[i])
                return out
            from concurrent.futures import as_completed

            for f in as_completed(self.futures):
                i = self.futures[f]
                ok, value = f.result()
                out[i] = value if ok else self.fn(self.items[i])  # raises here
                if self.done is not None:
                    self.done(i, out[i])
            return out
        finally:
            self.close()

    def __enter__(self) -> "Pending":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _JOBS.pop(self.key, None)


def fork_start(fn: Callable[[Any], Any], items: Sequence, jobs: int | None = None,
               done: Callable[[int, Any], None] | None = None) -> Pending:
    """Start ``fn(item)`` for every item in ``jobs`` forked workers (None: one per core) and
    return at once; with one job they run in this process when the results are asked for."""
    return Pending(fn, items, jobs, done)


def fork_map(fn: Callable[[Any], Any], items: Sequence, jobs: int | None = None,
             done: Callable[[int, Any], None] | None = None) -> list:
    """``[fn(item) for item in items]``, computed by ``jobs`` forked workers (None: one per core).

    With one job, or where ``fork`` is not a start method, everything runs in this process.
    ``done(i, result)`` is called here as each job finishes (in completion order).
    """
    return fork_start(fn, items, jobs, done).results()
