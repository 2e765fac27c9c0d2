"""Per-call time of the depthwise conv2d of MobileNet v1 (224): this tree, an older tree, PyTorch.

Run:  PYTHONPATH=. /work/venv-torch/bin/python benchmarks/depthwise_bench.py
          [--old /tmp/oldtree] [--threads 1] [--batch 1,8] [--repeat 30]

Every case is the whole ``kernels.conv2d`` call the executor makes (padding, layout and the
kernel), on one fixed random input; ``--old DIR`` loads ``DIR/archcalc/executor/kernels.py`` as
a second module so the two trees run in the same process. The calls alternate (new, old,
torch, new, ...) so all see the same machine load; each column gives the min and the median in
µs. The last line sums the 13 depthwise layers of MobileNet v1 (the 512ch@14 s1 layer five
times). Outputs of new and old are compared (max abs difference, and whether bit-identical).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archcalc.executor import kernels as K  # noqa: E402
from archcalc.executor.alloc import keep_freed_memory  # noqa: E402
from archcalc.executor.threads import blas_threads, kernel_threads  # noqa: E402

try:  # optional
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None

# channels, input size, stride, times the layer occurs in MobileNet v1 at 224
LAYERS = [
    (32, 112, 1, 1),
    (64, 112, 2, 1),
    (128, 56, 1, 1),
    (128, 56, 2, 1),
    (256, 28, 1, 1),
    (256, 28, 2, 1),
    (512, 14, 1, 5),
    (512, 14, 2, 1),
    (1024, 7, 1, 1),
]


def load_old(tree: str):
    path = Path(tree) / "archcalc" / "executor" / "kernels.py"
    spec = importlib.util.spec_from_file_location("old_kernels", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    for obj in vars(mod).values():  # compile the copy afresh: its cache files belong to the tree's own module
        if isinstance(obj, CPUDispatcher):
            obj._cache = NullCache()
    return mod


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", default=None, help="root of an older tree to compare with")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    old = load_old(args.old) if args.old else None
    if torch is not None:
        torch.set_num_threads(args.threads)
    with ExitStack() as stack:
        keep_freed_memory()
        stack.enter_context(blas_threads(1))
        stack.enter_context(kernel_threads(args.threads))
        for batch in [int(b) for b in args.batch.split(",")]:
            run(batch, old, args)


def case_calls(x, w, s: int, c: int, old) -> dict:
    """The conv2d call of one case for each of new, old (if given) and torch (if installed)."""
    calls = {"new": lambda: K.conv2d(x, w, None, (s, s), (1, 1, 1, 1), (1, 1), c)}
    if old:
        calls["old"] = lambda: old.conv2d(x, w, None, (s, s), (1, 1, 1, 1), (1, 1), c)
    if torch is not None:
        xt, wt = torch.from_numpy(x), torch.from_numpy(w)

        def call_torch():
            with torch.inference_mode():
                return F.conv2d(xt, wt, None, s, 1, 1, c)

        calls["torch"] = call_torch
    return calls


def run(batch: int, old, args) -> None:
    rng = np.random.default_rng(0)
    names = ["new"] + (["old"] if old else []) + (["torch"] if torch is not None else [])
    print(f"batch {batch}, {args.threads} thread(s), min / median of {args.repeat} calls, µs")
    print(f"{'layer':22s}" + "".join(f"{n:>16s}" for n in names) + "   new/torch  diff(new, old)")
    totals = dict.fromkeys(names, 0.0)
    for c, h, s, times in LAYERS:
        x = rng.standard_normal((batch, c, h, h), dtype=np.float32)
        w = rng.standard_normal((c, 1, 3, 3), dtype=np.float32)
        calls = case_calls(x, w, s, c, old)
        outs = {n: f() for n, f in calls.items()}  # warm-up (and compilation)
        ts = {n: [] for n in names}
        for _ in range(args.repeat):
            for n in names:
                t0 = time.perf_counter()
                calls[n]()
                ts[n].append(time.perf_counter() - t0)
        line = f"{c:5d}ch@{h:<4d} s{s} (x{times})"
        line = f"{line:22s}"
        for n in names:
            mn, md = min(ts[n]) * 1e6, float(np.median(ts[n])) * 1e6
            totals[n] += times * mn
            line += f"{mn:8.0f} /{md:6.0f}"
        if torch is not None:
            line += f"   {min(ts['new']) / min(ts['torch']):6.2f}"
        if old:
            a, b = outs["new"][0], outs["old"][0]
            line += f"   {float(np.abs(a - b).max()):.1e}{' identical' if np.array_equal(a, b) else ''}"
        print(line)
    line = f"{'sum of 13 layers (min)':22s}" + "".join(f"{totals[n]:16.0f}" for n in names)
    if torch is not None:
        line += f"   {totals['new'] / totals['torch']:6.2f}"
    print(line)


if __name__ == "__main__":
    main()
