"""Run the real counting tools on real torchvision models and record what they print.

Regenerates ``tests/fixtures/peers.json`` (the fixtures the convention presets are tested
against, tests/test_conventions.py).  Needs torch, torchvision, fvcore, ptflops, thop and
torchinfo (the torch venv)::

    PYTHONPATH=. /work/venv-torch/bin/python tools/measure_peers.py [--only resnet18,...]
    PYTHONPATH=. python tools/measure_peers.py --table   # docs/conventions.md's closing table

Every model is built with random weights (counts do not depend on them), in eval mode,
batch 1.  Per tool the file holds the total and, where the tool reports it, the count of
each leaf module (fvcore, ptflops, thop, torchinfo) or operator (fvcore, flopcounter).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "peers.json"

#: (fixture key, torchvision builder, resolution, archcalc spec, archcalc variant, weights enum)
MODELS = [
    ("resnet18", "resnet18", 224, "resnet", "18", "ResNet18_Weights"),
    ("resnet50", "resnet50", 224, "resnet", "50", "ResNet50_Weights"),
    ("wide_resnet50_2", "wide_resnet50_2", 224, "wide_resnet", "wrn-50-2", "Wide_ResNet50_2_Weights"),
    ("resnext50_32x4d", "resnext50_32x4d", 224, "resnext", "50-32x4d", "ResNeXt50_32X4D_Weights"),
    ("densenet121", "densenet121", 224, "densenet", "121", "DenseNet121_Weights"),
    ("mobilenet_v2", "mobilenet_v2", 224, "mobilenet_v2", None, "MobileNet_V2_Weights"),
    ("efficientnet_b0", "efficientnet_b0", 224, "efficientnet", "b0", "EfficientNet_B0_Weights"),
    ("efficientnet_b4", "efficientnet_b4", 380, "efficientnet", "b4", "EfficientNet_B4_Weights"),
    ("convnext_tiny", "convnext_tiny", 224, "convnext", "tiny", "ConvNeXt_Tiny_Weights"),
    # off-nominal: 200 is not a multiple of 32, so every stride rounds
    ("resnet50@200", "resnet50", 200, "resnet", "50", None),
    # one layer of every op the models above lack; same names as tests/fixtures/probe.yaml
    ("probe", "probe", 32, "tests/fixtures/probe.yaml", None, None),
]


def probe_model():
    """The nn.Sequential twin of tests/fixtures/probe.yaml (module names = layer names)."""
    from collections import OrderedDict

    import torch.nn as nn

    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(3, 8, 3, padding=1, bias=True)), ("gn", nn.GroupNorm(2, 8)),
        ("hswish", nn.Hardswish()), ("apool", nn.AvgPool2d(2)), ("pw", nn.Conv2d(8, 16, 1, bias=False)),
        ("bn", nn.BatchNorm2d(16, affine=False)), ("relu6", nn.ReLU6()), ("mpool", nn.MaxPool2d(2)),
        ("sig", nn.Sigmoid()), ("silu", nn.SiLU()), ("gelu", nn.GELU()), ("tanh", nn.Tanh()),
        ("hsig", nn.Hardsigmoid()), ("relu", nn.ReLU()), ("gpool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(16, 10)), ("ln", nn.LayerNorm(10)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


def build(builder):
    import torchvision.models as tvm

    return probe_model() if builder == "probe" else getattr(tvm, builder)(weights=None)

#: FlopCounterMode around forward + backward (train mode, batch 2, 64 x 64): the flopcounter
#: preset's training rules.  (fixture key, torchvision builder, resolution, batch, spec, variant)
TRAINING = [
    ("resnet18", "resnet18", 64, 2, "resnet", "18"),
    ("resnext50_32x4d", "resnext50_32x4d", 64, 2, "resnext", "50-32x4d"),
    ("mobilenet_v2", "mobilenet_v2", 64, 2, "mobilenet_v2", None),
    ("densenet121", "densenet121", 64, 2, "densenet", "121"),
    ("efficientnet_b0", "efficientnet_b0", 64, 2, "efficientnet", "b0"),
    ("convnext_tiny", "convnext_tiny", 64, 2, "convnext", "tiny"),
]

TOOLS = ("fvcore", "ptflops", "ptflops-aten", "thop", "torchinfo", "flopcounter", "torchvision")


def _leaves(model):
    return [(n, m) for n, m in model.named_modules() if n and not list(m.children())]


def run_fvcore(model, x):
    from fvcore.nn import FlopCountAnalysis

    a = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    total = int(a.total())
    bym = a.by_module()
    layers = [[n, type(m).__name__, int(bym.get(n, 0))] for n, m in _leaves(model)]
    return {"total": total, "by_operator": {k: int(v) for k, v in a.by_operator().items()},
            "layers": layers}


def run_ptflops(model, x, backend="pytorch"):
    import ptflops.pytorch_engine as pe
    from ptflops import get_model_complexity_info

    harvest = {}
    if backend == "pytorch":
        orig = pe.print_model_with_flops

        def grab(m, *a, **k):
            for n, mod in _leaves(m):
                if hasattr(mod, "__flops__"):
                    harvest[n] = (type(mod).__name__, int(mod.__flops__))
        pe.print_model_with_flops = grab
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            macs, _ = get_model_complexity_info(
                model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=backend == "pytorch",
                backend=backend, verbose=False)
    finally:
        if backend == "pytorch":
            pe.print_model_with_flops = orig
    out = {"total": int(macs)}
    if backend == "pytorch":
        out["layers"] = [[n, c, f] for n, (c, f) in harvest.items()]
        out["functional"] = int(macs) - sum(f for _, f in harvest.values())
    return out


def run_thop(model, x):
    from thop import profile

    with contextlib.redirect_stdout(io.StringIO()):
        total, _, info = profile(model, inputs=(x,), verbose=False, ret_layer_info=True)
    layers = []

    def walk(d, prefix):
        for n, (ops, _p, sub) in d.items():
            name = f"{prefix}{n}"
            if sub:
                walk(sub, name + ".")
            else:
                layers.append([name, int(ops)])
    walk(info, "")
    mods = dict(model.named_modules())
    return {"total": int(total), "layers": [[n, type(mods[n]).__name__, o] for n, o in layers]}


def run_torchinfo(model, x):
    from torchinfo import summary

    s = summary(model, input_data=x, verbose=0, col_names=("output_size", "num_params", "mult_adds"))
    def dotted(li):  # the module's name in named_modules()
        parts = []
        while li is not None and li.parent_info is not None:
            parts.append(str(li.var_name))
            li = li.parent_info
        return ".".join(reversed(parts))

    layers = [[dotted(li), li.class_name, int(li.macs)] for li in s.summary_list if li.is_leaf_layer]
    return {"total": int(s.total_mult_adds), "layers": layers}


def run_flopcounter(model, x):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    mode = FlopCounterMode(display=False)
    with mode, torch.no_grad():
        model(x)
    glob = mode.get_flop_counts().get("Global", {})
    return {"total": int(mode.get_total_flops()), "by_operator": {str(k): int(v) for k, v in glob.items()}}


def run_flopcounter_training(model, x):
    """FlopCounterMode around ``model(x).sum().backward()`` in train mode."""
    from torch.utils.flop_counter import FlopCounterMode

    model.train()
    mode = FlopCounterMode(display=False)
    with mode:
        model(x).sum().backward()
    glob = mode.get_flop_counts().get("Global", {})
    return {"total": int(mode.get_total_flops()), "by_operator": {str(k): int(v) for k, v in glob.items()}}


def run_torchvision(weights_name):
    import torchvision.models as tvm

    if weights_name is None:
        return None
    w = getattr(tvm, weights_name).DEFAULT
    return {"gflops": w.meta["_ops"], "params": w.meta["num_params"], "weights": str(w)}


def _dump(data) -> str:
    """Indented JSON with each per-layer record on one line (small, diffable)."""
    text = json.dumps(data, indent=1)
    # collapse the innermost lists ([name, class, count]) onto one line
    return re.sub(r"\[\s*([^\[\]{}]*?)\s*\]", lambda m: "[" + re.sub(r"\s*\n\s*", " ", m.group(1)) + "]",
                  text) + "\n"


def _spec_path(spec: str) -> str:
    """A bundled spec name, or a spec file relative to the repository."""
    return str(OUT.parents[2] / spec) if spec.endswith(".yaml") else spec


def closing_table(path: Path = OUT) -> str:
    """The model x preset table of docs/conventions.md: archcalc's preset vs the recorded tool
    (needs only archcalc and the fixtures)."""
    from archcalc.api import analyze
    from archcalc.conventions import layer_counts

    data = json.loads(path.read_text())
    tools = [t for t in TOOLS if t != "torchvision"]
    lines = ["| model (torchvision, input) | archcalc MACs | " + " | ".join(tools) + " | torchvision GFLOPS |",
             "|---" * (len(tools) + 3) + "|"]
    for rec in data["models"].values():
        a = analyze(_spec_path(rec["spec"]), variant=rec["variant"],
                    resolution=None if rec["spec"].endswith(".yaml") else rec["resolution"])
        cells = [f"{a.totals['macs']:,}"]
        for t in tools:
            got, want = sum(layer_counts(t, a.network, a.layers)), rec["tools"][t]["total"]
            cells.append(f"{want:,} {'=' if got == want else '≠ ' + format(got, ',')}")
        tv = rec["tools"].get("torchvision")
        if tv:
            got = round(sum(layer_counts("torchvision", a.network, a.layers)) / 1e9, 3)
            cells.append(f"{tv['gflops']} {'=' if got == tv['gflops'] else '≠ ' + str(got)}")
        else:
            cells.append("-")
        lines.append(f"| {rec['torchvision_model']} {rec['resolution']} | " + " | ".join(cells) + " |")
    v = data["versions"]
    lines.append("")
    lines.append("Tool versions: " + ", ".join(f"{k} {v[k]}" for k in v) + ". `=`: archcalc's preset "
                 "gives exactly the tool's number.")
    return "\n".join(lines) + "\n"


def _save(data, out: Path) -> None:
    tmp = out.with_suffix(".tmp")
    tmp.write_text(_dump(data))
    tmp.replace(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated fixture keys")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--training", action="store_true", help="only the FlopCounterMode training fixtures")
    ap.add_argument("--table", action="store_true",
                    help="print docs/conventions.md's closing table from the fixtures (no torch needed)")
    args = ap.parse_args(argv)
    if args.table:
        sys.stdout.write(closing_table(args.out))
        return 0
    import torch

    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    data["versions"] = {p: version(p) for p in ("torch", "torchvision", "fvcore", "ptflops", "thop", "torchinfo")}
    data.setdefault("models", {})
    only = set(args.only.split(",")) if args.only else None
    data.setdefault("training", {})
    for key, builder, res, batch, spec, variant in TRAINING:
        if only and key not in only:
            continue
        torch.manual_seed(0)
        got = run_flopcounter_training(build(builder), torch.randn(batch, 3, res, res))
        print(f"{key} training @ {res}, batch {batch}: {got['total']:,}", file=sys.stderr, flush=True)
        data["training"][key] = {"torchvision_model": builder, "resolution": res, "batch": batch, "spec": spec,
                                 "variant": variant, "flopcounter": got}
    _save(data, args.out)
    if args.training:
        MODELS_RUN = []
    else:
        MODELS_RUN = MODELS
    for key, builder, res, spec, variant, weights in MODELS_RUN:
        if only and key not in only:
            continue
        print(f"{key} @ {res}", file=sys.stderr, flush=True)
        rec = {"torchvision_model": builder, "resolution": res, "spec": spec, "variant": variant}
        x = torch.randn(1, 3, res, res)
        tools = {}
        for tool, fn in (("fvcore", run_fvcore), ("ptflops", run_ptflops),
                         ("ptflops-aten", lambda m, x: run_ptflops(m, x, "aten")),
                         ("thop", run_thop), ("torchinfo", run_torchinfo), ("flopcounter", run_flopcounter)):
            model = build(builder).eval()
            with torch.no_grad():
                tools[tool] = fn(model, x)
            print(f"  {tool}: {tools[tool]['total']:,}", file=sys.stderr, flush=True)
        tv = run_torchvision(weights) if res == 224 or key == "efficientnet_b4" else None
        if tv:
            tools["torchvision"] = tv
        rec["tools"] = tools
        data["models"][key] = rec
        _save(data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
