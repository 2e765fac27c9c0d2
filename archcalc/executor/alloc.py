"""Keep freed memory in the process heap during a run (glibc ``mallopt``, best effort).

Why: every kernel returns a fresh array, and glibc serves large blocks with
``mmap`` and gives freed heap tops back to the kernel. Each layer's output then
lands on never-touched pages, and the page faults cost more than the arithmetic:
a 128-channel 56x56 depthwise conv took 2.5 ms, 0.5 ms of it in the kernel and
~1.8 ms faulting its fresh input padding and output in; with freed memory kept
in the heap (large mmap and trim thresholds) the same call takes 0.67 ms.

The thresholds are process-wide; :func:`heap_reuse` sets them for the block and
then restores glibc's documented defaults (128 KiB each). Elsewhere (no glibc)
it does nothing. The executor's measured peak counts array bytes, not the
process's resident memory, so it is unaffected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from contextlib import contextmanager
from functools import lru_cache

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc malloc.h
_DEFAULT = 128 * 1024  # glibc's default for both thresholds
_KEEP = 1 << 30  # blocks below 1 GiB come from the heap, up to 1 GiB of free heap top is kept


@lru_cache(maxsize=1)
def _mallopt():
    """glibc's ``mallopt``, or None."""
    name = ctypes.util.find_library("c")
    try:
        fn = getattr(ctypes.CDLL(name), "mallopt") if name else None
    except (OSError, AttributeError):
        return None
    if fn is not None:
        fn.argtypes, fn.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return fn


def _set(threshold: int) -> None:
    fn = _mallopt()
    if fn is not None:
        fn(_M_MMAP_THRESHOLD, threshold)
        fn(_M_TRIM_THRESHOLD, threshold)


@contextmanager
def heap_reuse():
    """Within the block, serve large arrays from (and return them to) the heap, not mmap."""
    _set(_KEEP)
    try:
        yield
    finally:
        _set(_DEFAULT)
