"""Forward time of the reference executor vs PyTorch CPU, with GFLOP/s against this CPU's FMA peak.

Run:  python benchmarks/executor.py [--repeat 10] [--threads 1,2] [--batch 1,8] [--resolution 224] [--naive]
      [--native-blas]
      (torch columns need torch: /work/venv-torch/bin/python with PYTHONPATH=.)

For MobileNet v1 and ResNet-50 (``specs/resnet.yaml --variant 50``) at 224, float32, for every
batch and thread count it times in the same process, on the same graph and the same weights:

* ``archcalc`` — archcalc.executor (Numba depthwise kernel, im2col/1x1 + OpenBLAS) with
  ``threads`` kernel threads (OpenBLAS itself single-threaded; see archcalc.executor.threads);
* ``torch`` — the graph rebuilt from ``torch.nn.functional`` calls (archcalc.exporters.torch_ref),
  under ``torch.inference_mode`` with ``torch.set_num_threads`` = the same thread count;
* ``naive`` (``--naive``) — the executor with every conv2d replaced by ``sliding_window_view`` +
  ``np.einsum`` (what a NumPy user would write).

The two are timed alternately (archcalc, torch, archcalc, ...), ``--repeat`` times each after a
warm-up, so both see the same machine load; the table gives the median and the min of each and
the ratio archcalc/torch of the medians (and of the mins). The outputs are checked to agree.

GFLOP/s = 2 x the MACs the executor's kernels counted / median time. "% peak" divides by this
CPU's FP32 FMA peak at that thread count, measured in the same run: a Numba loop of 256
independent ``acc = acc * a + b`` chains (LLVM keeps them in 16 vector registers and issues
nothing but FMAs), run on ``threads`` threads at once; the best of several measurements spread
over the run is taken (a shared machine can only lower it). The flags read from /proc/cpuinfo
(avx2, fma, avx512f) and OpenBLAS's single-thread sgemm rate are printed with it, with the
kernel set OpenBLAS runs and torch's CPU capability. An ``OPENBLAS_CORETYPE`` in the environment
overrides OpenBLAS's choice (this sandbox sets ``Haswell``, AVX2, on an AVX-512 CPU: sgemm at
about half its rate, while torch runs AVX-512); the benchmark says so, and ``--native-blas``
runs it again without the variable, so both libraries use the CPU's own instruction set.
Target (issue 16): archcalc/torch <= 1.0 at 1 and 2 threads, batch 1 and 8.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archcalc.api import analyze
from archcalc.executor.dispatch import KERNELS, he_normal
from archcalc.executor.run import Executor
from archcalc.executor.threads import blas_threads, openblas_libraries
from archcalc.ops.conv import Conv2d
from archcalc.spec.loader import bundled_specs

try:  # optional baseline
    import torch
except ImportError:  # pragma: no cover
    torch = None

MODELS = [("MobileNet v1", "mobilenet", None), ("ResNet-50", "resnet", "50")]


# ------------------------------------------------------------------ FMA peak --
_CHAINS = 256  # 16 zmm (or 32 ymm) registers of independent accumulators


@njit(fastmath=True, nogil=True, cache=True)
def _fma_chains(n, a, b):  # pragma: no cover - numba
    acc = np.empty(_CHAINS, np.float32)
    for j in range(_CHAINS):
        acc[j] = j * np.float32(1e-3)
    for _ in range(n):
        for j in range(_CHAINS):
            acc[j] = acc[j] * a + b
    return acc.sum()


def fma_peak(threads: int, seconds: float = 0.05) -> float:
    """GFLOP/s of ``threads`` threads each running the independent-FMA loop at once (best of 3)."""
    a, b = np.float32(0.9999999), np.float32(1e-7)
    _fma_chains(10, a, b)
    n = 1000
    while True:  # size one call to ~``seconds``
        t0 = time.perf_counter()
        _fma_chains(n, a, b)
        dt = time.perf_counter() - t0
        if dt > seconds / 4:
            break
        n *= 4
    n = max(1, int(n * seconds / dt))
    best = 0.0
    for _ in range(3):
        start = threading.Barrier(threads + 1)
        workers = [threading.Thread(target=lambda gate=start: (gate.wait(), _fma_chains(n, a, b)))
                   for _ in range(threads)]
        for w in workers:
            w.start()
        start.wait()
        t0 = time.perf_counter()
        for w in workers:
            w.join()
        best = max(best, 2 * _CHAINS * n * threads / (time.perf_counter() - t0) / 1e9)
    return best


def sgemm_rate(size: int = 1024) -> float:
    """GFLOP/s of NumPy's OpenBLAS sgemm, single-threaded, ``size``^3 (best of 5)."""
    x = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    with blas_threads(1):
        x @ x
        best = min(_once(lambda: x @ x) for _ in range(5))
    return 2 * size**3 / best / 1e9


def openblas_core() -> str:
    """The kernel set NumPy's OpenBLAS runs (its ``get_corename``: Haswell = AVX2, SkylakeX =
    AVX-512, ...), or "?"."""
    import ctypes

    for lib in openblas_libraries():
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            if hasattr(lib, name):
                fn = getattr(lib, name)
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return "?"


def cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return [f for f in ("fma", "avx2", "avx512f") if f in have]
    except OSError:
        pass
    return []


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


# ------------------------------------------------------------------ networks --
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


def _once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def timed(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls after one warm-up call (benchmarks/roofline.py uses it)."""
    fn()
    return statistics.median(_once(fn) for _ in range(repeat))


def alternate(fns: list, repeat: int) -> list[list[float]]:
    """Seconds of ``repeat`` calls of each of ``fns``, called in turn (one warm-up call each)."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            ts.append(_once(fn))
    return times


def bench(label, spec, variant, resolution, batch, threads, repeat, naive) -> dict:
    net = analyze(spec, variant=variant, resolution=resolution).network
    ours = Executor(net, threads=threads)
    x = ours.input(batch)
    run = ours.run(x)
    macs = sum(r.macs for r in run.layers)
    fns = [lambda: ours.run(x)]
    if torch is not None:
        from archcalc.exporters.torch_ref import torch_forward

        torch.set_num_threads(threads)
        forward, xt = torch_forward(net, ours), torch.from_numpy(x)

        def torch_run():
            with torch.inference_mode():
                return forward(xt)

        ref = torch_run().numpy()
        scale = float(np.abs(ref).max())
        assert float(np.abs(ref - run.output).max()) <= 1e-3 * scale, "torch and executor outputs differ"
        fns.append(torch_run)
    times = alternate(fns, repeat)
    row = {"model": label, "batch": batch, "threads": threads, "macs": macs,
           "ours": times[0], "torch": times[1] if torch is not None else None, "naive": None}
    if naive:
        slow = Executor(net, kernels={**KERNELS, Conv2d: naive_conv}, threads=threads)
        slow.params = ours.params  # the same weights
        row["naive"] = [_once(lambda: slow.run(x)) for _ in range(2)]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (our kernel threads and torch)")
    ap.add_argument("--batch", default="1,8", help="comma-separated batch sizes")
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("--naive", action="store_true", help="also time the naive sliding-window + einsum executor")
    ap.add_argument("--native-blas", action="store_true",
                    help="run without OPENBLAS_CORETYPE (OpenBLAS picks the CPU's own kernels, as torch does)")
    args = ap.parse_args()
    if args.native_blas and "OPENBLAS_CORETYPE" in os.environ:  # OpenBLAS reads it when loaded: start again
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batch.split(",")]
    bundled = {p.stem for p in bundled_specs()}
    if torch is None:
        print("PyTorch is not installed: torch columns are empty.")
    peaks = {t: fma_peak(t) for t in threads}
    rows = []
    for label, spec, variant in MODELS:
        if spec not in bundled:
            print(f"{label}: specs/{spec}.yaml is not bundled yet; skipped.")
            continue
        for batch in batches:
            for t in threads:
                rows.append(bench(label, spec, variant, args.resolution, batch, t, args.repeat, args.naive))
                peaks[t] = max(peaks[t], fma_peak(t))
    sgemm = sgemm_rate()
    from tabulate import tabulate

    med = statistics.median
    ms = lambda ts: "-" if not ts else f"{med(ts) * 1e3:.1f} / {min(ts) * 1e3:.1f}"
    table = []
    for r in rows:
        o, t, peak = r["ours"], r["torch"], peaks[r["threads"]]
        gf = 2 * r["macs"] / med(o) / 1e9
        table.append([r["model"], r["batch"], r["threads"], f"{r['macs'] / 1e9:.2f}", ms(o), ms(t),
                      f"{med(o) / med(t):.2f} / {min(o) / min(t):.2f}" if t else "-",
                      f"{gf:.1f}", f"{100 * gf / peak:.0f}",
                      f"{2 * r['macs'] / med(t) / 1e9:.1f}" if t else "-",
                      f"{100 * 2 * r['macs'] / med(t) / 1e9 / peak:.0f}" if t else "-"]
                     + ([ms(r["naive"])] if args.naive else []))
    print(f"CPU: {cpu_model()}, flags {' '.join(cpu_flags()) or '-'}; FP32 FMA peak (independent-FMA loop) "
          + ", ".join(f"{t} thread{'s' if t > 1 else ''} {p:.1f} GFLOP/s" for t, p in peaks.items())
          + f"; OpenBLAS sgemm 1024^3, 1 thread: {sgemm:.1f} GFLOP/s, kernels {openblas_core()}"
          + (f", torch's {torch.backends.cpu.get_cpu_capability()}" if torch is not None else ""))
    if "OPENBLAS_CORETYPE" in os.environ:
        print(f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} in the environment chooses OpenBLAS's kernels "
              "(torch chooses its own): --native-blas runs without it")
    print(f"float32, {args.resolution}x{args.resolution}, {args.repeat} alternating runs each; "
          "times are median / min, ratio archcalc/torch of medians / of mins; GFLOP/s from the median")
    print(tabulate(table, headers=["network", "batch", "threads", "GMACs", "archcalc ms", "torch ms",
                                   "ratio", "GFLOP/s", "% peak", "torch GFLOP/s", "torch % peak"]
                   + (["naive ms"] if args.naive else []), disable_numparse=True))


if __name__ == "__main__":
    main()
