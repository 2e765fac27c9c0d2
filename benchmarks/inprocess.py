"""In-process ``analyze`` against the live-model counters (issue 16).

Run with a torch venv: ``/work/venv-torch/bin/python benchmarks/inprocess.py`` (from the
repository root, ``PYTHONPATH=.``). Options: ``--models resnet50,b7,densenet201,convnext_xl``,
``--repeat 5`` (archcalc runs; each peer runs once per model, it is slower by orders of
magnitude), ``--threads 1`` (torch intra-op threads for the peers' forward passes),
``--clock cpu|wall`` (default CPU time of the process, all threads: on a shared machine wall
time is inflated by other jobs; with one torch thread the two agree on a quiet machine).

For each model, measured in this run:

* archcalc: ``api.analyze`` of the bundled spec at the model's point, from the file (load +
  build + cost, best of ``--repeat``) and of an already-loaded spec; its layer count and µs per
  layer (of the from-file time);
* the torch model's build time (``torchvision.models.*`` / ``timm.create_model``, random
  init, once; torchvision and timm are imported before);
* each peer on the already-built model, batch 1, ``torch.no_grad``, once after one untimed
  warm-up forward of the model: ``torch.utils.flop_counter.FlopCounterMode``, fvcore's
  ``FlopCountAnalysis(...).total()``, ptflops' ``get_model_complexity_info`` (pytorch
  backend), thop's ``profile`` and torchinfo's ``summary`` (verbose 0), each with its count;
* PyYAML's own ``yaml.load`` (C loader) of the spec's files: the floor of reading the input;
* the ratio (fastest peer + model build) / archcalc from file: issue 16's target is >= 100.

MACs are printed per tool so that the figures can be compared (FlopCounterMode counts 2 per
MAC; fvcore, ptflops and thop count MACs, with their own conventions for elementwise ops;
torchinfo's "mult-adds" counts conv/linear MACs). The peers that modify the model (thop adds
buffers) run last.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: name -> (spec, variant, resolution, builder of the torch model)
MODELS = {
    "resnet50": ("resnet", "50", 224, ("tv", "resnet50")),
    "b7": ("efficientnet", "b7", 600, ("tv", "efficientnet_b7")),
    "densenet201": ("densenet", "201", 224, ("tv", "densenet201")),
    "convnext_xl": ("convnext", "xlarge", 224, ("timm", "convnext_xlarge")),
}


#: the clock of every figure: CPU time of the process (all its threads), because the machine is
#: shared and wall time is inflated by other jobs; ``--clock wall`` for wall time
CLOCK = time.process_time


def best(fn, n: int) -> float:
    out = []
    for _ in range(n):
        t = CLOCK()
        fn()
        out.append(CLOCK() - t)
    return min(out)


def timed(fn):
    t = CLOCK()
    r = fn()
    return CLOCK() - t, r


def build_model(kind: str, name: str):
    if kind == "tv":
        import torchvision

        return getattr(torchvision.models, name)(weights=None)
    import timm

    return timm.create_model(name, pretrained=False)


def peers(model, res: int):
    """(name, seconds, MACs as the tool counts them) for each installed peer."""
    import torch

    x = torch.randn(1, 3, res, res)
    out = []

    def flop_counter():
        from torch.utils.flop_counter import FlopCounterMode

        with FlopCounterMode(display=False) as fc:
            model(x)
        return fc.get_total_flops() // 2

    def fvcore():
        from fvcore.nn import FlopCountAnalysis

        a = FlopCountAnalysis(model, x)
        a.unsupported_ops_warnings(False)
        a.uncalled_modules_warnings(False)
        return a.total()

    def ptflops():
        from ptflops import get_model_complexity_info

        macs, _ = get_model_complexity_info(model, (3, res, res), as_strings=False,
                                            print_per_layer_stat=False, verbose=False)
        return macs

    def torchinfo():
        from torchinfo import summary

        return summary(model, input_size=(1, 3, res, res), verbose=0).total_mult_adds

    def thop():
        from thop import profile

        macs, _ = profile(model, inputs=(x,), verbose=False)
        return int(macs)

    for name, fn in (("FlopCounterMode", flop_counter), ("fvcore", fvcore), ("ptflops", ptflops),
                     ("torchinfo", torchinfo), ("thop", thop)):
        try:
            with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                t, macs = timed(fn)
            out.append((name, t, int(macs)))
        except ImportError:
            out.append((name, None, None))
    return out


def yaml_floor(loaded, n: int) -> float:
    """Best time of PyYAML's own ``yaml.load`` (libyaml's C loader) of the spec file and every
    file it imports: what reading the input costs before archcalc validates anything."""
    import yaml

    files = {Path(loaded.path).resolve()}
    for _, src in loaded.blocks.values():
        f = Path(src.file)
        files.add((f if f.is_absolute() else ROOT / f).resolve())
    texts = [f.read_text() for f in sorted(files) if f.exists()]
    return best(lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts], n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

    import torch

    from archcalc.api import analyze
    from archcalc.spec.loader import load

    torch.set_num_threads(args.threads)
    import torchvision  # noqa: F401  (imports are not the model build)

    try:
        import timm  # noqa: F401
    except ImportError:
        pass
    analyze("mobilenet")  # first-use imports and caches, outside the timings
    rows = []
    for key in args.models.split(","):
        spec, variant, res, (kind, name) = MODELS[key]
        loaded = load(spec)
        t_file = best(lambda s=spec, v=variant: analyze(s, variant=v), args.repeat)
        t_pre = best(lambda s=loaded, v=variant: analyze(s, variant=v), args.repeat)
        t_yaml = yaml_floor(loaded, args.repeat)
        a = analyze(loaded, variant=variant)
        n = len(a.layers)
        t_build, model = timed(lambda k=kind, m=name: build_model(k, m))
        model.eval()
        with torch.no_grad():
            model(torch.randn(1, 3, res, res))  # warm-up forward (allocator, kernels)
        ps = peers(model, res)
        del model
        fastest = min((p for p in ps if p[1] is not None), key=lambda p: p[1])
        rows.append((key, n, t_file, t_pre, t_yaml, a.totals["macs"], t_build, ps, fastest))
        print(f"\n{key}: archcalc {n} layers, load+analyze {t_file * 1e3:.2f} ms "
              f"({t_file / n * 1e6:.1f} us/layer), pre-loaded {t_pre * 1e3:.2f} ms, yaml.load of its "
              f"files {t_yaml * 1e3:.2f} ms, "
              f"MACs {a.totals['macs']:,}; model build {t_build:.3f} s", flush=True)
        for pname, t, macs in ps:
            if t is None:
                print(f"  {pname:16} not installed")
            else:
                print(f"  {pname:16} {t:8.3f} s  {t / t_file:9.0f}x archcalc   MACs {macs:,}", flush=True)

    print(f"\ntorch {torch.__version__}, {args.threads} thread(s); {args.clock} time; archcalc best of "
          f"{args.repeat}, peers once each on the built model\n")
    head = ("| model | layers | archcalc load+analyze ms | µs/layer | pre-loaded ms | yaml.load ms | build s | "
            + " | ".join(p[0] + " s" for p in rows[0][7]) + " | fastest peer + build / archcalc |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for key, n, t_file, t_pre, t_yaml, _, t_build, ps, fastest in rows:
        cells = " | ".join("–" if t is None else f"{t:.3f}" for _, t, _ in ps)
        print(f"| {key} | {n} | {t_file * 1e3:.2f} | {t_file / n * 1e6:.1f} | {t_pre * 1e3:.2f} | {t_yaml * 1e3:.2f} | "
              f"{t_build:.3f} | {cells} | {(fastest[1] + t_build) / t_file:.0f}× ({fastest[0]}) |")


if __name__ == "__main__":
    main()
