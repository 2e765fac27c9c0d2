"""Check the ONNX importer against PyTorch: export a module, import the file, compare.

``onnx_bridge_check(module, input_shape)`` exports the module with ``torch.onnx.export``
(the TorchScript exporter, ``dynamo=False``, with ``training=TrainingMode.PRESERVE`` so an
eval-mode module keeps its BatchNormalization nodes instead of having them folded into the
convolutions; or the dynamo exporter with ``exporter="dynamo"``, ``optimize=False``, which
keeps them too), imports the
file (:func:`archcalc.importers.onnx_import.capture_onnx`) and compares:

* params: archcalc's learnable params == ``sum(p.numel())`` of the modules the forward calls
  (GoogLeNet's auxiliary heads are not called in eval mode and not exported; their params are
  reported as ``off_path``);
* MACs: archcalc's MACs == ``FlopCounterMode`` total / 2 of the module;
* per layer: every conv2d / conv_transpose2d / linear layer's params and MACs equal its module's
  (the module path the file records: the TorchScript exporter's node-name scopes,
  ``/layer1/layer1.0/conv1/Conv`` -> ``layer1.0.conv1``, or the dynamo exporter's metadata;
  :func:`archcalc.importers.onnx_import.node_module`);
* optionally (``execute=True``) the executor runs the imported spec on the file's own
  weights (``capture.weights``) and its output equals the module's within ``1e-3`` of the
  output's largest magnitude.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

LEARNABLE = ("weights", "biases", "norm_affine", "other")
CONV_LINEAR = ("conv2d", "conv_transpose2d", "linear")


def export_onnx(module, input_shape, path, exporter: str = "legacy", opset: int | None = None) -> None:
    """``torch.onnx.export`` of ``module`` (eval mode) on a zero input of batch 1."""
    import torch

    x = torch.zeros((1,) + tuple(input_shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "legacy":
            kw = {"opset_version": opset} if opset else {}
            torch.onnx.export(module, (x,), str(path), dynamo=False, training=torch.onnx.TrainingMode.PRESERVE, **kw)
        elif exporter == "dynamo":
            kw = {"opset_version": opset} if opset else {}
            torch.onnx.export(module, (x,), str(path), dynamo=True, verbose=False, optimize=False, **kw)
        else:
            raise ValueError(f"exporter must be 'legacy' or 'dynamo', not {exporter!r}")


def onnx_bridge_check(module, input_shape=(3, 224, 224), exporter: str = "legacy", execute: bool = False,
                      opset: int | None = None, seed: int = 0, path: str | Path | None = None) -> dict:
    import numpy as np
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from archcalc.api import analyze
    from archcalc.importers.onnx_import import onnx_text
    from archcalc.spec.loader import load_text

    t0 = time.perf_counter()
    module = module.eval()
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(path) if path else Path(tmp) / "model.onnx"
        export_onnx(module, input_shape, p, exporter, opset)
        t_export = time.perf_counter() - t0
        text, cap = onnx_text(p)
    a = analyze(load_text(text, "imported.yaml"))
    params = sum(a.totals["params_by_kind"].get(k, 0) for k in LEARNABLE)

    called: set[int] = set()
    hooks = [m.register_forward_hook(lambda m, i, o: called.add(id(m))) for m in module.modules()]
    counter = FlopCounterMode(display=False)
    torch.manual_seed(seed)
    x = torch.randn((1,) + tuple(input_shape))
    try:
        with torch.no_grad(), counter:
            ref = module(x)
    finally:
        for h in hooks:
            h.remove()
    ref = ref if isinstance(ref, torch.Tensor) else ref[0]
    torch_macs = counter.get_total_flops() // 2
    counts = counter.get_flop_counts()
    root = next((k for k in counts if k != "Global" and "." not in k), type(module).__name__)
    mods = dict(module.named_modules())
    total = sum(p.numel() for p in module.parameters())
    seen: set[int] = set()
    on_path = 0
    for m in module.modules():
        if id(m) in called:
            for prm in m.parameters(recurse=False):
                if id(prm) not in seen:
                    seen.add(id(prm))
                    on_path += prm.numel()
    # a parameter of a called module's uncalled child (none in torchvision) would count as off-path
    off = total - on_path
    bad = []
    for lay in a.layers:
        if lay.op not in CONV_LINEAR:
            continue
        mp = cap.modules.get(lay.name, "")
        m = mods.get(mp)
        if m is None or not mp:
            bad.append(f"{lay.name}: no module {mp!r}")
            continue
        lp = sum(v for k, v in lay.params_by_kind.items() if k in LEARNABLE)
        mparams = sum(q.numel() for q in m.parameters())
        mm = sum(counts.get(f"{root}.{mp}", {}).values()) // 2
        if lp != mparams or mm != lay.macs:
            bad.append(f"{lay.name}: params {lp} vs {mparams}, MACs {lay.macs} vs {mm}")
    row = {
        "params": params, "torch_params": total, "off_path": off, "file_params": cap.params_total,
        "params_ok": params == on_path == cap.params_total,
        "macs": a.totals["macs"], "torch_macs": torch_macs, "macs_ok": a.totals["macs"] == torch_macs,
        "layers": sum(1 for lay in a.layers if lay.op in CONV_LINEAR), "layers_ok": not bad, "bad_layers": bad[:3],
        "export_seconds": round(t_export, 1),
    }
    if execute:
        from archcalc.executor.run import Executor
        from archcalc.executor.weights import load_into

        ex = Executor(a.network, seed=seed)
        load_into(ex, cap.weights)
        y = ex.run(x.numpy()).output
        r = ref.detach().numpy()
        scale = float(np.abs(r).max())
        err = float(np.abs(y - r).max()) if y.shape == r.shape else float("inf")
        row["exec_err"] = err / scale if scale else err
        row["exec_ok"] = err <= 1e-3 * max(scale, 1e-12)
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row
