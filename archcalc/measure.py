"""Measure this machine's peak FLOP/s and memory bandwidth, as a device profile.

* **Compute**: an FMA-bound kernel -- NumPy's single-precision matrix product (BLAS
  sgemm, ``2 n^3`` FLOPs) on ``threads`` BLAS threads, best of several runs.
* **Bandwidth**: a STREAM-style copy of an array much larger than the caches
  (``np.copyto``; each copy reads and writes the array: ``2 x bytes``), best of several.

The peaks are what this machine reaches, not its datasheet: the roofline benchmark
compares predicted bounds with measured forward times at the same thread count.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(threads: int = 1, n: int = 1536, copy_mib: int = 256, repeats: int = 5) -> dict[str, Any]:
    """A device profile (as data) of this machine: fp32 peak and bandwidth."""
    import numpy as np

    from archcalc.executor.threads import blas_threads

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.T.copy()
    c = np.empty_like(a)
    with blas_threads(threads):
        np.matmul(a, b, out=c)  # warm up
        gemm = _best(lambda: np.matmul(a, b, out=c), repeats)
    src = np.ones(copy_mib * 2**20 // 4, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    copy = _best(lambda: np.copyto(dst, src), repeats)
    flops = 2 * n**3 / gemm
    bandwidth = 2 * src.nbytes / copy
    return {
        "name": "this-machine",
        "description": f"{_cpu_name()}, {threads} thread(s), measured by `archcalc devices measure`",
        "kind": "cpu",
        "peak_flops": {"fp32": float(f"{flops:.4g}")},
        "bandwidth": float(f"{bandwidth:.4g}"),
        "threads": threads,
        "sources": [{"title": "measured on this machine", "address": platform.node() or "localhost",
                     "checked": True}],
        "measured": {"sgemm_n": n, "sgemm_seconds": gemm, "copy_bytes": int(src.nbytes), "copy_seconds": copy,
                     "cpus": os.cpu_count(), "repeats": repeats},
        "note": "fp32 peak = best BLAS sgemm rate; bandwidth = best STREAM-style copy rate (read + write).",
    }
