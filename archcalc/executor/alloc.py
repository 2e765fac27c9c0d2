"""Keep freed memory in the process heap during a run (glibc ``mallopt``, best effort).

Why: every kernel returns a fresh array, and glibc serves large blocks with
``mmap`` and gives freed heap tops back to the kernel. Each layer's output then
lands on never-touched pages, and the page faults cost more than the arithmetic:
a 128-channel 56x56 depthwise conv took 2.5 ms, 0.5 ms of it in the kernel and
~1.8 ms faulting its fresh input padding and output in; with freed memory kept
in the heap (large mmap and trim thresholds) the same call takes 0.67 ms.

The thresholds are process-wide, and :func:`keep_freed_memory` sets them once
for the rest of the process: glibc cannot be put back into its dynamic-threshold
mode, and restoring fixed 128 KiB thresholds after a run made the next user of
large blocks in the process slower than before (PyTorch's MobileNet v1 in
benchmarks/executor.py: 24 ms -> 76 ms). The cost is that up to 256 MiB of freed
heap stays mapped. Without glibc it does nothing. The executor's measured peak
counts array bytes, not the process's resident memory, so it is unaffected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc malloc.h
_KEEP = 1 << 28  # blocks below 256 MiB come from the heap; up to 256 MiB of free heap top is kept


@lru_cache(maxsize=1)
def _mallopt():
    """glibc's ``mallopt``, or None."""
    name = ctypes.util.find_library("c")
    try:
        fn = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return None
    if fn is not None:
        fn.argtypes, fn.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return fn


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Serve large arrays from (and return them to) the heap, not mmap, from now on; True if set."""
    fn = _mallopt()
    if fn is None:
        return False
    return bool(fn(_M_MMAP_THRESHOLD, _KEEP)) and bool(fn(_M_TRIM_THRESHOLD, _KEEP))
