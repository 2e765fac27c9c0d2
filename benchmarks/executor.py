"""Forward time of the reference executor vs PyTorch CPU and a naive NumPy executor.

Run:  python benchmarks/executor.py [--repeat 10] [--threads 1,2] [--resolution 224]

For MobileNet v1 and ResNet-50 (``specs/resnet.yaml --variant 50``) at 224, batch 1,
float32, it times in the same process, on the same graph and the same weights:

* ``ours``  — archcalc.executor (Numba depthwise kernel, im2col/1x1 + OpenBLAS) with ``threads``
  kernel threads (OpenBLAS itself single-threaded; see archcalc.executor.threads);
* ``torch`` — the graph rebuilt from ``torch.nn.functional`` calls (archcalc.exporters.torch_ref),
  under ``torch.inference_mode`` with ``torch.set_num_threads`` = the same thread count;
* ``naive`` — the executor with every conv2d replaced by ``sliding_window_view`` + ``np.einsum``
  (``optimize=True``, i.e. what a NumPy user would write).

Prints the median wall time of ``--repeat`` runs (naive: the best of 2), the ratios and the
achieved GFLOP/s (2 x counted MACs / time). Target: ours within 3x of torch on both nets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archcalc.api import analyze
from archcalc.executor.dispatch import KERNELS, he_normal
from archcalc.executor.run import Executor
from archcalc.ops.conv import Conv2d
from archcalc.spec.loader import bundled_specs

try:  # optional baseline
    import torch
except ImportError:  # pragma: no cover
    torch = None

MODELS = [("MobileNet v1", "mobilenet", None), ("ResNet-50", "resnet", "50")]


def naive_conv(op, xs, p):
    """conv2d as sliding windows + einsum over (group, channel, tap); same weights as the executor."""
    x = xs[0]
    (kh, kw), (sh, sw), (dh, dw), _ = op.geometry()
    n, cin = x.shape[:2]
    g, cout = int(op.groups), int(op.out_channels)
    w = p.get("weight", "weights", (cout, cin // g, kh, kw), he_normal(cin // g * kh * kw))
    pt, pb, pl, pr = op.pads(x.shape[1:])
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    win = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    ho, wo = win.shape[2:4]
    win = win.reshape(n, g, cin // g, ho, wo, kh, kw)
    y = np.einsum("ngchwij,gocij->ngohw", win, w.reshape(g, cout // g, cin // g, kh, kw), optimize=True)
    y = np.ascontiguousarray(y.reshape(n, cout, ho, wo), dtype=np.float32)
    if op.bias:
        y += p.get("bias", "biases", (cout,), he_normal(1)).reshape(1, -1, 1, 1)
    return y, n * cout * ho * wo * (cin // g) * kh * kw


def timed(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(label: str, spec: str, variant, resolution: int, threads: int, repeat: int) -> list:
    net = analyze(spec, variant=variant, resolution=resolution).network
    ours = Executor(net, threads=threads)
    run = ours.run()
    macs = sum(r.macs for r in run.layers)
    x = ours.input(1)
    t_ours = timed(lambda: ours.run(x), repeat)
    naive = Executor(net, kernels={**KERNELS, Conv2d: naive_conv}, threads=threads)
    naive.params = ours.params  # the same weights
    t_naive = min(timed(lambda: naive.run(x), 1), timed(lambda: naive.run(x), 1))
    t_torch = None
    if torch is not None:
        from archcalc.exporters.torch_ref import torch_forward

        torch.set_num_threads(threads)
        forward, xt = torch_forward(net, ours), torch.from_numpy(x)
        with torch.inference_mode():
            ref = forward(xt).numpy()
            t_torch = timed(lambda: forward(xt), repeat)
        scale = float(np.abs(ref).max())
        assert float(np.abs(ref - run.output).max()) <= 1e-3 * scale, "torch and executor outputs differ"
    gf = lambda t: f"{2 * macs / t / 1e9:.1f}" if t else "-"
    ms = lambda t: f"{t * 1e3:.1f}" if t else "-"
    return [label, threads, f"{macs / 1e6:.1f}", ms(t_ours), ms(t_torch), ms(t_naive),
            f"{t_ours / t_torch:.2f}" if t_torch else "-", f"{t_naive / t_ours:.1f}",
            gf(t_ours), gf(t_torch), gf(t_naive)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (our kernel threads and torch)")
    ap.add_argument("--resolution", type=int, default=224)
    args = ap.parse_args()
    bundled = {p.stem for p in bundled_specs()}
    if torch is None:
        print("PyTorch is not installed: torch columns are empty.")
    rows = []
    for label, spec, variant in MODELS:
        if spec not in bundled:
            print(f"{label}: specs/{spec}.yaml is not bundled yet; skipped.")
            continue
        for threads in (int(t) for t in args.threads.split(",")):
            rows.append(bench(label, spec, variant, args.resolution, threads, args.repeat))
    from tabulate import tabulate

    print(f"batch 1, float32, {args.resolution}x{args.resolution}, median of {args.repeat} runs (naive: best of 2)")
    print(tabulate(rows, headers=["model", "threads", "MMACs", "ours ms", "torch ms", "naive ms",
                                  "ours/torch", "naive/ours", "ours GFLOP/s", "torch GFLOP/s",
                                  "naive GFLOP/s"], disable_numparse=True))


if __name__ == "__main__":
    main()
