"""Import every torchvision classification CNN and check it against PyTorch (issue 12).

Run in the torch venv (torch, torchvision):

    PYTHONPATH=. /work/venv-torch/bin/python benchmarks/torchvision_bridge.py [--resolution 64] [NAME ...]

For each model: ``archcalc.from_torch`` at the given input (Inception-v3 at least 75 px),
then archcalc's params (+ off-path params) vs ``sum(p.numel())``, MACs vs
``FlopCounterMode``/2, every conv/linear layer's params and MACs vs its module, and the
round trip (export -> ``load_state_dict(strict=True)`` -> outputs allclose). Prints a
markdown table and the count of models that are exact.

With ``--onnx`` each model goes through ONNX instead (needs onnx, onnxscript):
``torch.onnx.export`` (TorchScript exporter keeping BatchNormalization; ``--exporter dynamo``
for the dynamo one, without its optimizer, which keeps BN too) ->
``archcalc import model.onnx`` -> params vs ``sum(p.numel())`` of the modules the forward calls,
MACs vs ``FlopCounterMode``/2, every conv/linear layer vs its module (archcalc/bridge_onnx.py);
``--execute`` also runs the executor on the file's weights against the module's output.
AlexNet and VGG run at 224 px (at least) in this mode: the TorchScript exporter writes an
adaptive average pool only when the input size is a multiple of the output size (6x6, 7x7).

    PYTHONPATH=. /work/venv-torch/bin/python benchmarks/torchvision_bridge.py --onnx [--execute] [NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import traceback

CNNS = (
    ["alexnet"] + [f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")]
    + ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
       "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2",
       "densenet121", "densenet161", "densenet169", "densenet201", "squeezenet1_0", "squeezenet1_1",
       "googlenet", "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
       "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
       "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]
    + [f"efficientnet_b{i}" for i in range(8)] + ["efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]
    + [f"regnet_{k}_{s}" for k in ("x", "y") for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")]
    + ["regnet_y_128gf"]
    + ["convnext_tiny", "convnext_small", "convnext_base", "convnext_large"]
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="torchvision model names (default: all CNNs)")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--no-round-trip", action="store_true")
    ap.add_argument("--onnx", action="store_true", help="through torch.onnx.export and the ONNX importer")
    ap.add_argument("--exporter", choices=("legacy", "dynamo"), default="legacy", help="with --onnx")
    ap.add_argument("--opset", type=int, default=None, help="with --onnx (default: the exporter's)")
    ap.add_argument("--execute", action="store_true", help="with --onnx: the executor on the file's weights too")
    args = ap.parse_args(argv)
    if args.onnx:
        return onnx_main(args)

    import torch
    import torchvision.models as tvm

    from archcalc.bridge_check import bridge_check

    torch.set_num_threads(1)
    names = args.names or CNNS
    print("| model | params (archcalc + off-path = torch) | MACs (archcalc = FlopCounterMode/2) | params ok | MACs ok "
          "| per-layer ok | round trip ok | note |")
    print("|---|---|---|---|---|---|---|---|")
    exact = 0
    for name in names:
        res = max(args.resolution, 75) if name == "inception_v3" else args.resolution
        try:
            torch.manual_seed(0)
            model = tvm.get_model(name, weights=None)
            r = bridge_check(model, (3, res, res), round_trip=not args.no_round_trip)
        except Exception as e:  # noqa: BLE001 - one row per failure
            msg = str(e).replace("|", "/").splitlines()[0][:300] if str(e) else type(e).__name__
            print(f"| {name} | - | - | no | no | no | no | {type(e).__name__}: {msg} |", flush=True)
            if "-v" in sys.argv:
                traceback.print_exc()
            continue
        ok = [r["params_ok"], r["macs_ok"], r["layers_ok"], r.get("round_trip_ok", True)]
        exact += all(ok)
        note = "; ".join(r["bad_layers"]) or r.get("round_trip_error", "")
        if r["off_path"]:
            note = (note + "; " if note else "") + f"off-path params {r['off_path']}"
        yn = ["yes" if v else "no" for v in ok]
        print(f"| {name} @{res} | {r['params']} + {r['off_path']} = {r['torch_params']} | {r['macs']} vs {r['torch_macs']} "
              f"| {' | '.join(yn)} | {note} |", flush=True)
    print(f"\n{exact} of {len(names)} exact (params, MACs, per layer, round trip) at {args.resolution}px")
    return 0 if exact == len(names) else 1


def onnx_main(args) -> int:
    """The table of --onnx: every model exported to ONNX and imported from the file."""
    import torch
    import torchvision.models as tvm

    from archcalc.bridge_onnx import onnx_bridge_check

    torch.set_num_threads(1)
    names = args.names or CNNS
    print(f"| model | params (archcalc = torch, inference path) | MACs (archcalc = FlopCounterMode/2) | params ok "
          f"| MACs ok | per-layer ok |{' executor ok |' if args.execute else ''} note |")
    print("|---|---|---|---|---|---|" + ("---|" if args.execute else "") + "---|")
    exact = 0
    for name in names:
        res = args.resolution
        if name == "inception_v3":
            res = max(res, 75)
        elif name == "alexnet" or name.startswith("vgg"):
            res = max(res, 224)
        try:
            torch.manual_seed(0)
            model = tvm.get_model(name, weights=None)
            r = onnx_bridge_check(model, (3, res, res), exporter=args.exporter, execute=args.execute, opset=args.opset)
        except Exception as e:  # noqa: BLE001 - one row per failure
            msg = str(e).replace("|", "/").splitlines()[0][:300] if str(e) else type(e).__name__
            print(f"| {name} @{res} | - | - | no | no | no |{' no |' if args.execute else ''} {type(e).__name__}: {msg} |",
                  flush=True)
            if "-v" in sys.argv:
                traceback.print_exc()
            continue
        ok = [r["params_ok"], r["macs_ok"], r["layers_ok"]] + ([r["exec_ok"]] if args.execute else [])
        exact += all(ok)
        note = "; ".join(r["bad_layers"])
        if args.execute:
            note = (note + "; " if note else "") + f"executor error {r['exec_err']:.1e}"
        if r["off_path"]:
            note = (note + "; " if note else "") + f"off-path params {r['off_path']} (not exported)"
        yn = ["yes" if v else "no" for v in ok]
        print(f"| {name} @{res} | {r['params']} = {r['torch_params'] - r['off_path']} | {r['macs']} vs {r['torch_macs']} "
              f"| {' | '.join(yn)} | {note} |", flush=True)
    print(f"\n{exact} of {len(names)} exact through ONNX ({args.exporter} exporter; params, MACs, per layer"
          f"{', executor' if args.execute else ''}) at {args.resolution}px (AlexNet/VGG at 224px)")
    return 0 if exact == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
