"""Import every torchvision classification CNN and check it against PyTorch (issue 12).

Run in the torch venv (torch, torchvision):

    PYTHONPATH=. /work/venv-torch/bin/python benchmarks/torchvision_bridge.py [--resolution 64] [NAME ...]

For each model: ``archcalc.from_torch`` at the given input (Inception-v3 at least 75 px),
then archcalc's params (+ off-path params) vs ``sum(p.numel())``, MACs vs
``FlopCounterMode``/2, every conv/linear layer's params and MACs vs its module, and the
round trip (export -> ``load_state_dict(strict=True)`` -> outputs allclose). Prints a
markdown table and the count of models that are exact.
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
    args = ap.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
