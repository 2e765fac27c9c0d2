"""Micro-benchmark of archcalc.executor.kernels conv paths vs PyTorch (if installed).

Run:  PYTHONPATH=. python benchmarks/kernels_bench.py [--threads 2] [--repeat 20]

Prints the median wall time of each case for our kernels and for
torch.nn.functional.conv2d (skipped when torch is absent), plus the whole
MobileNet-v1 (224, batch 1) conv stack. Ours runs as the Executor runs it:
OpenBLAS single-threaded, ``--threads`` kernel threads, freed memory kept in the heap
(archcalc.executor.threads, archcalc.executor.alloc); torch gets ``--threads``.
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack

import numpy as np

from archcalc.executor import kernels as K
from archcalc.executor.alloc import keep_freed_memory
from archcalc.executor.threads import blas_threads, kernel_threads

try:  # optional
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None

# name, x shape, w shape, stride, pad, groups
CASES = [
    ("depthwise 3x3 s1, 32ch @224", (1, 32, 224, 224), (32, 1, 3, 3), 1, 1, 32),
    ("depthwise 3x3 s1, 32ch @112", (1, 32, 112, 112), (32, 1, 3, 3), 1, 1, 32),
    ("depthwise 3x3 s2, 64ch @112", (1, 64, 112, 112), (64, 1, 3, 3), 2, 1, 64),
    ("depthwise 3x3 s1, 512ch @14", (1, 512, 14, 14), (512, 1, 3, 3), 1, 1, 512),
    ("1x1 32->64 @112", (1, 32, 112, 112), (64, 32, 1, 1), 1, 0, 1),
    ("1x1 32->64 @224", (1, 32, 224, 224), (64, 32, 1, 1), 1, 0, 1),
    ("3x3 64->64 @56", (1, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1),
    ("7x7 s2 3->64 @224", (1, 3, 224, 224), (64, 3, 7, 7), 2, 3, 1),
]


def mobilenet_v1_convs():
    """(x shape, w shape, stride, pad, groups) of MobileNet-v1 at 224."""
    layers = [((1, 3, 224, 224), (32, 3, 3, 3), 2, 1, 1)]
    cfg = (
        [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
        + [(512, 1)] * 5
        + [(1024, 2), (1024, 1)]
    )
    c, h = 32, 112
    for c_out, s in cfg:
        layers.append(((1, c, h, h), (c, 1, 3, 3), s, 1, c))
        h = (h + 2 - 3) // s + 1
        layers.append(((1, c, h, h), (c_out, c, 1, 1), 1, 0, 1))
        c = c_out
    return layers


def median_ms(fn, repeat):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    if torch is not None:
        torch.set_num_threads(args.threads)
    with ExitStack() as run_like_executor:
        keep_freed_memory()
        for ctx in (blas_threads(1), kernel_threads(args.threads)):
            run_like_executor.enter_context(ctx)
        run_cases(args)


def run_cases(args):
    """Time every case and the MobileNet-v1 conv stack, printing one line each."""
    rng = np.random.default_rng(0)

    def row(name, xs, ws, s, p, g):
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32)
        ours = median_ms(lambda: K.conv2d(x, w, None, (s, s), (p, p, p, p), (1, 1), g), args.repeat)
        line = f"{name:32s} ours {ours:8.2f} ms"
        if torch is not None:
            xt, wt = torch.from_numpy(x), torch.from_numpy(w)
            with torch.no_grad():
                ref = median_ms(lambda: F.conv2d(xt, wt, None, s, p, 1, g), args.repeat)
            line += f"   torch {ref:8.2f} ms   ratio {ours / ref:5.2f}"
        print(line)

    for case in CASES:
        row(*case)

    layers = [
        (
            rng.standard_normal(xs, dtype=np.float32),
            rng.standard_normal(ws, dtype=np.float32),
            s,
            p,
            g,
        )
        for xs, ws, s, p, g in mobilenet_v1_convs()
    ]

    def ours_stack():
        for x, w, s, p, g in layers:
            K.conv2d(x, w, None, (s, s), (p, p, p, p), (1, 1), g)

    ours = median_ms(ours_stack, max(3, args.repeat // 4))
    line = f"{'MobileNet-v1 conv stack (27)':32s} ours {ours:8.2f} ms"
    if torch is not None:
        tl = [(torch.from_numpy(x), torch.from_numpy(w), s, p, g) for x, w, s, p, g in layers]

        def torch_stack():
            with torch.no_grad():
                for x, w, s, p, g in tl:
                    F.conv2d(x, w, None, s, p, 1, g)

        ref = median_ms(torch_stack, max(3, args.repeat // 4))
        line += f"   torch {ref:8.2f} ms   ratio {ours / ref:5.2f}"
    print(line)


if __name__ == "__main__":
    main()
