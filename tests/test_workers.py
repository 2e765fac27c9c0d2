"""archcalc.workers.fork_map: the jobs' results in job order, whatever the number of workers."""

from __future__ import annotations

import os

import pytest

from archcalc.workers import _JOBS, cores, fork_map, fork_start

ITEMS = [5, 3, 8, 1, 9, 2]


def _square_and_pid(x: int) -> tuple[int, int]:
    return x**2, os.getpid()


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("job 3 fails")
    return x


class Unpicklable(Exception):
    """An exception a worker could not send back (its constructor takes two arguments)."""

    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_back_in_job_order(jobs):
    done = []
    out = fork_map(_square_and_pid, ITEMS, jobs, done=lambda i, r: done.append(i))
    assert [r for r, _ in out] == [25, 9, 64, 1, 81, 4]
    assert sorted(done) == list(range(6))  # each job reported once, here
    pids = {pid for _, pid in out}
    if jobs == 1:
        assert pids == {os.getpid()}  # one job at a time: in this process
    else:
        assert os.getpid() not in pids  # in forked workers
    assert not _JOBS  # nothing is left registered


def test_a_failing_job_raises_here():
    for jobs in (1, 2):
        with pytest.raises(ValueError, match="job 3 fails"):
            fork_map(_fails_on_three, range(6), jobs)
    assert not _JOBS


def test_a_closure_is_a_job_and_its_error_is_raised_here_as_itself():
    offset = 100  # read from the parent's memory by the forked workers: never pickled

    def job(x):
        if x == 4:
            raise Unpicklable("four", "here")
        return (x + offset, os.getpid())

    assert [r for r, _ in fork_map(job, [1, 2, 3], 2)] == [101, 102, 103]
    with pytest.raises(Unpicklable, match="four and here"):
        fork_map(job, [1, 4, 2], 2)


def test_pending_runs_while_the_caller_works_and_closes_unwaited():
    with fork_start(_square_and_pid, ITEMS, 2) as pending:
        assert pending.pool is not None  # started
        assert [r for r, _ in pending.results()] == [25, 9, 64, 1, 81, 4]
    with fork_start(_square_and_pid, ITEMS, 2) as pending:
        pass  # left without waiting: the workers are ended
    assert pending.pool is None and not _JOBS


def test_no_more_workers_than_jobs_and_none_for_no_jobs():
    assert fork_map(_square_and_pid, [], 4) == []
    assert cores() >= 1
    out = fork_map(_square_and_pid, [7], 8)  # one job: no worker is forked for it
    assert out[0][1] == os.getpid()
