"""Set OpenBLAS's thread count for a block of code (best effort, via ctypes).

Why: OpenBLAS's worker threads spin while waiting. On a busy 2-core machine a
small-M sgemm (24 x 576 @ 576 x 1024, a DenseNet 3x3 conv) measured 0.6 GFLOP/s
with 2 threads and 19 GFLOP/s with 1 — the workers wait on cores that other
processes hold. The executor therefore runs BLAS single-threaded unless told
otherwise; ``blas_threads(None)`` leaves the setting alone.

No new dependency: the setter is looked up in the OpenBLAS that NumPy loaded
(``numpy.libs``); if none is found, the context manager does nothing.
"""

from __future__ import annotations

import ctypes
import glob
import os
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

_NAMES = (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
          ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
          ("openblas_get_num_threads", "openblas_set_num_threads"))


@lru_cache(maxsize=1)
def _openblas():
    """(get, set) functions of NumPy's OpenBLAS, or None."""
    libdir = os.path.dirname(np.__file__) + ".libs"
    for path in sorted(glob.glob(os.path.join(libdir, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
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
