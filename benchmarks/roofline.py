"""The roofline model against reality: predicted lower bounds vs measured CPU forward times.

Run (PyTorch optional, for the torch column):
    python benchmarks/roofline.py [--threads 1] [--repeat 5] [--resolution 224]

In one process: measures this machine's profile (``archcalc devices measure``: BLAS sgemm
peak, STREAM-style copy bandwidth) at ``--threads``, then for every bundled network at its
default variant, batch 1, fp32, computes the roofline lower bound (no-reuse rule) and times the
forward pass of the same graph in the executor and in PyTorch (the graph rebuilt from
``torch.nn.functional`` calls on the same weights, ``torch.set_num_threads(threads)``). Prints
per network: bound, measured times, efficiency = bound / measured (<= 1 when the model is a
lower bound), and the Spearman rank correlation between predicted and measured across networks.
Target: bound <= measured for every network; rank correlation >= 0.9.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archcalc.api import analyze  # noqa: E402
from archcalc.executor.run import Executor  # noqa: E402
from archcalc.measure import measure  # noqa: E402
from archcalc.roofline import Device, roofline  # noqa: E402
from archcalc.spec.loader import bundled_specs, load  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def timed(fn, repeat: int) -> float:
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def ranks(xs: list[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    for pos, i in enumerate(order):
        r[i] = float(pos)
    return r


def spearman(a: list[float], b: list[float]) -> float:
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    return 1 - 6 * sum((x - y) ** 2 for x, y in zip(ra, rb)) / (n * (n * n - 1)) if n > 1 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--resolution", type=int, default=None,
                    help="input size for every network (default: each spec's own, 224 but for CIFAR nets)")
    args = ap.parse_args()
    # the machine is shared: measure before and after the networks and keep the better of each figure
    first = measure(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    runs = []
    for path in bundled_specs():
        loaded = load(path)
        a = analyze(loaded, variant=loaded.spec.default_variant, resolution=args.resolution)
        ex = Executor(a.network, threads=args.threads)
        ex.run()
        x = ex.input(1)
        t_ex = timed(lambda ex=ex, x=x: ex.run(x), args.repeat)
        t_torch = None
        if torch is not None:
            from archcalc.exporters.torch_ref import torch_forward

            fwd, xt = torch_forward(a.network, ex), torch.from_numpy(x)
            with torch.inference_mode():
                t_torch = timed(lambda fwd=fwd, xt=xt: fwd(xt), args.repeat)
        runs.append((a, t_ex, t_torch))
    second = measure(args.threads)
    prof = Device.model_validate(first | {"peak_flops": {"fp32": max(first["peak_flops"]["fp32"],
                                                                     second["peak_flops"]["fp32"])},
                                          "bandwidth": max(first["bandwidth"], second["bandwidth"])})
    print(f"this machine, {args.threads} thread(s): fp32 peak {prof.peak_flops['fp32'] / 1e9:.1f} GFLOP/s, "
          f"bandwidth {prof.bandwidth / 1e9:.1f} GB/s (better of two measurements)")
    rows, bound, measured = [], [], []
    ms = lambda t: f"{t * 1e3:.2f}" if t else "-"  # noqa: E731
    for a, t_ex, t_torch in runs:
        r = roofline(a, prof)
        best = min(t for t in (t_ex, t_torch) if t)
        bound.append(r.time_s)
        measured.append(best)
        name = a.network.name + (f" [{a.network.variant}]" if a.network.variant else "")
        rows.append([name, "x".join(map(str, a.network.input_shape)), f"{a.totals['flops'] / 1e9:.2f}",
                     ms(r.time_s), ms(t_ex), ms(t_torch), f"{r.time_s / t_ex:.2f}",
                     f"{r.time_s / t_torch:.2f}" if t_torch else "-", "yes" if r.time_s <= best else "NO"])
    from tabulate import tabulate

    print(tabulate(rows, headers=["network", "input", "GFLOPs", "bound ms", "executor ms", "torch ms", "eff. executor",
                                  "eff. torch", "bound <= measured"], disable_numparse=True))
    print(f"Spearman rank correlation, bound vs fastest measured: {spearman(bound, measured):.3f} "
          f"(target >= 0.9); bound <= measured on {sum(b <= m for b, m in zip(bound, measured))} of {len(rows)}")


if __name__ == "__main__":
    main()
