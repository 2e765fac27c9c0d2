"""Where the executor's stride-1 convs switch from one sgemm per tap to im2col + one sgemm.

Run:  PYTHONPATH=. python benchmarks/taps_bench.py [--threads 1,2] [--batch 1,8] [--repeat 12]
      [--widths 12,16]

``archcalc.executor.kernels._TAPS_MIN_WIDTH`` is the narrowest output row that goes through
``_conv_taps`` (one sgemm per tap over the padded input); narrower ones are im2col + one sgemm.
Measured in the same run, alternately, for every thread count and batch:

* ResNet-50's stride-1 3x3 convs (64 ch at 56 px, 128 at 28, 256 at 14, 512 at 7), each by
  the two paths: median ms and the ratio im2col / taps (< 1: im2col is faster);
* the whole ResNet-50 forward (``specs/resnet.yaml --variant 50``, 224 px) with each threshold
  of ``--widths``: median ms and the ratio to the first.

The threshold is machine-dependent (the BLAS kernels, the core): run it where you set it, with
the BLAS kernels you run (``OPENBLAS_CORETYPE`` chooses OpenBLAS's; see benchmarks/executor.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archcalc.api import analyze
from archcalc.executor import kernels as K
from archcalc.executor.run import Executor
from archcalc.executor.threads import blas_threads, kernel_threads, reset_backoff

#: (input channels = output channels, plane width) of ResNet-50's stride-1 3x3 convs
SHAPES = [(64, 56), (128, 28), (256, 14), (512, 7)]


@contextmanager
def _threshold():
    """The block may set ``_TAPS_MIN_WIDTH``; it is the module's own again after."""
    before = K._TAPS_MIN_WIDTH
    try:
        yield
    finally:
        K._TAPS_MIN_WIDTH = before


def _timed(fn) -> float:
    reset_backoff()  # every call starts with the pool splitting (no back-off carried over)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def convs(threads: int, batch: int, repeat: int) -> list[list[str]]:
    rng = np.random.default_rng(0)
    data = {s: (rng.standard_normal((batch, s[0], s[1], s[1]), dtype=np.float32),
                rng.standard_normal((s[0], s[0], 3, 3), dtype=np.float32)) for s in SHAPES}
    times = {(s, path): [] for s in SHAPES for path in ("taps", "im2col")}
    with _threshold(), blas_threads(1), kernel_threads(threads):
        for i in range(repeat + 1):  # the first round warms up
            for s in SHAPES:
                x, w = data[s]
                for path in ("taps", "im2col"):
                    K._TAPS_MIN_WIDTH = 1 if path == "taps" else 1 << 30
                    dt = _timed(lambda: K.conv2d(x, w, None, 1, (1, 1, 1, 1)))
                    if i:
                        times[s, path].append(dt)
    rows = []
    for s in SHAPES:
        taps, im2col = (statistics.median(times[s, p]) for p in ("taps", "im2col"))
        rows.append([f"3x3 {s[0]}->{s[0]} @{s[1]}", threads, batch, f"{taps * 1e3:.2f}", f"{im2col * 1e3:.2f}",
                     f"{im2col / taps:.2f}"])
    return rows


def network(threads: int, batch: int, repeat: int, widths: list[int]) -> list[str]:
    ex = Executor(analyze("resnet", variant="50").network, threads=threads)
    x = ex.input(batch)
    ex.run(x)
    times: dict[int, list[float]] = {w: [] for w in widths}
    with _threshold():
        for _ in range(repeat):
            for w in widths:
                K._TAPS_MIN_WIDTH = w
                times[w].append(_timed(lambda: ex.run(x)))
    med = {w: statistics.median(ts) for w, ts in times.items()}
    return [threads, batch] + [f"{med[w] * 1e3:.1f} ({med[w] / med[widths[0]]:.3f})" for w in widths]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--repeat", type=int, default=12)
    ap.add_argument("--widths", default=f"12,{K._TAPS_MIN_WIDTH}",
                    help="thresholds to run the whole network with (the first is the ratios' base)")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batch.split(",")]
    widths = list(dict.fromkeys(int(w) for w in args.widths.split(",")))
    from tabulate import tabulate

    print(f"_TAPS_MIN_WIDTH = {K._TAPS_MIN_WIDTH}; medians of {args.repeat} alternating runs")
    rows = [r for t in threads for b in batches for r in convs(t, b, args.repeat)]
    print(tabulate(rows, headers=["conv", "threads", "batch", "taps ms", "im2col ms", "im2col / taps"],
                   disable_numparse=True))
    rows = [network(t, b, max(3, args.repeat // (2 if b == 1 else 4)), widths) for t in threads for b in batches]
    print(tabulate(rows, headers=["threads", "batch"] + [f"ResNet-50 ms at {w} (/ at {widths[0]})" for w in widths],
                   disable_numparse=True))


if __name__ == "__main__":
    main()
