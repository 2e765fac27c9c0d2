"""archcalc.workers.fork_map: the jobs' results in job order, whatever the number of workers."""

from __future__ import annotations

import os

import pytest

from archcalc.workers import cores, fork_map

_SEEN: list[int] = []  # what the job function reads from its module (workers inherit it by fork)


def _square_and_pid(i: int) -> tuple[int, int]:
    return _SEEN[i] ** 2, os.getpid()


def _fails_on_three(i: int) -> int:
    if i == 3:
        raise ValueError("job 3 fails")
    return i


@pytest.fixture(autouse=True)
def inputs():
    _SEEN[:] = [5, 3, 8, 1, 9, 2]
    yield
    _SEEN.clear()


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_back_in_job_order(jobs):
    done = []
    out = fork_map(_square_and_pid, len(_SEEN), jobs, done=lambda i, r: done.append(i))
    assert [r for r, _ in out] == [25, 9, 64, 1, 81, 4]
    assert sorted(done) == list(range(6))  # each job reported once, here
    pids = {pid for _, pid in out}
    if jobs == 1:
        assert pids == {os.getpid()}  # one job at a time: in this process
    else:
        assert os.getpid() not in pids  # in forked workers


def test_a_failing_job_raises_here():
    for jobs in (1, 2):
        with pytest.raises(ValueError, match="job 3 fails"):
            fork_map(_fails_on_three, 6, jobs)


def test_no_more_workers_than_jobs_and_none_for_no_jobs():
    assert fork_map(_square_and_pid, 0, 4) == []
    assert cores() >= 1
    out = fork_map(_square_and_pid, 1, 8)  # one job: no worker is forked for it
    assert out[0][1] == os.getpid()
