"""Check an import against PyTorch itself: totals, every conv/linear layer, and the round trip.

``bridge_check(module, input_shape)`` imports the module, costs the spec, and compares:

* params: archcalc's learnable params + the off-path params == ``sum(p.numel())``;
* MACs: archcalc's MACs == ``FlopCounterMode`` total / 2 on the original module;
* per layer: every conv2d/linear layer's params == its module's ``numel`` and its MACs
  == FlopCounterMode's count for that module / 2;
* round trip: the exported module (``archcalc.to_torch``) loads the original's
  ``state_dict`` strictly (without the declared off-path modules) and its output is allclose to the original's (eval mode,
  ``rtol = atol = 1e-4`` relative to the output's largest magnitude).
"""

from __future__ import annotations

import time

LEARNABLE = ("weights", "biases", "norm_affine", "other")


def bridge_check(module, input_shape=(3, 224, 224), round_trip: bool = True, seed: int = 0) -> dict:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from archcalc.api import analyze
    from archcalc.importers import from_torch

    t0 = time.perf_counter()
    module = module.eval()
    loaded = from_torch(module, input_shape)
    cap = loaded.imported
    a = analyze(loaded)
    params = sum(a.totals["params_by_kind"].get(k, 0) for k in LEARNABLE)
    off = sum(cap.off_path.values())
    counter = FlopCounterMode(display=False)
    torch.manual_seed(seed)
    x = torch.randn((2,) + tuple(input_shape))
    with torch.no_grad(), counter:
        ref = module(x)
    torch_macs = counter.get_total_flops() // 2 // x.shape[0]
    counts = counter.get_flop_counts()
    root = next((k for k in counts if k != "Global" and "." not in k), type(module).__name__)
    mods = dict(module.named_modules())
    bad_layers = []
    for lay in a.layers:
        if lay.op not in ("conv2d", "linear"):
            continue
        m = mods.get(lay.name)
        if m is None:
            bad_layers.append(f"{lay.name}: no such module")
            continue
        mp = sum(p.numel() for p in m.parameters())
        lp = sum(v for k, v in lay.params_by_kind.items() if k in LEARNABLE)
        mm = sum(counts.get(f"{root}.{lay.name}", {}).values()) // 2 // x.shape[0]
        if mp != lp or mm != lay.macs:
            bad_layers.append(f"{lay.name}: params {lp} vs {mp}, MACs {lay.macs} vs {mm}")
    row = {
        "params": params, "off_path": off, "torch_params": cap.params_total,
        "params_ok": params + off == cap.params_total,
        "macs": a.totals["macs"], "torch_macs": torch_macs, "macs_ok": a.totals["macs"] == torch_macs,
        "layers": sum(1 for lay in a.layers if lay.op in ("conv2d", "linear")),
        "layers_ok": not bad_layers, "bad_layers": bad_layers[:3],
    }
    if round_trip:
        from archcalc.exporters.torch_module import to_torch

        try:
            m2 = to_torch(loaded)
            sd = {k: v for k, v in module.state_dict().items() if k.split(".")[0] not in cap.off_path}
            m2.load_state_dict(sd, strict=True)  # strict, less the declared off-path heads
            m2.eval()
            with torch.no_grad():
                y = m2(x)
            ref_t = ref if isinstance(ref, torch.Tensor) else ref[0]
            scale = float(ref_t.abs().max())
            err = float((y - ref_t).abs().max())
            row["round_trip_err"] = err / scale if scale else err
            row["round_trip_ok"] = y.shape == ref_t.shape and err <= 1e-4 * max(scale, 1.0)
        except Exception as e:  # noqa: BLE001 - reported in the table
            row["round_trip_ok"] = False
            row["round_trip_error"] = f"{type(e).__name__}: {str(e)[:200]}"
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row
