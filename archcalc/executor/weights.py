"""Real weights for the executor: a PyTorch ``state_dict`` (``.pt``) or a ``.safetensors`` file.

Keys are the spec's layer names, as in a module exported by ``archcalc export`` or the
module an imported spec came from: ``<layer>.weight`` / ``<layer>.bias`` for conv2d and
linear; ``weight``, ``bias``, ``running_mean``, ``running_var`` for batchnorm (the
executor's gamma, beta and buffers); ``weight``/``bias`` for layernorm and groupnorm; the
layer's own name for layer_scale (torchvision's ``layer_scale`` parameter, ``[C, 1, 1]``).
Loading is strict: every array a layer needs must be there with its shape, and every key
must be used (``num_batches_tracked`` aside); a mismatch is one error naming the keys.

(An ``.onnx`` file's initializers, under the layer names ``archcalc import model.onnx`` writes,
come from archcalc.importers.onnx_import.onnx_weights; archcalc.validate reads them.)

Reading ``.pt`` needs torch (``torch.load(weights_only=True)``, no code runs);
``.safetensors`` needs the safetensors package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from archcalc.errors import SpecError

_KINDS = {
    "conv2d": {"weight": ("weight", "weights"), "bias": ("bias", "biases")},
    "linear": {"weight": ("weight", "weights"), "bias": ("bias", "biases")},
    "conv_transpose2d": {"weight": ("weight", "weights"), "bias": ("bias", "biases")},
    "batchnorm": {"weight": ("gamma", "norm_affine"), "bias": ("beta", "norm_affine"),
                  "running_mean": ("running_mean", "buffers"), "running_var": ("running_var", "buffers")},
    "layernorm": {"weight": ("gamma", "norm_affine"), "bias": ("beta", "norm_affine")},
    "groupnorm": {"weight": ("gamma", "norm_affine"), "bias": ("beta", "norm_affine")},
}
_CONV = ("conv2d", "linear", "conv_transpose2d")


def read(path: str | Path) -> dict[str, np.ndarray]:
    """A weights file as ``{key: float32 array}``."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"no weights file '{path}'")
    if p.suffix == ".safetensors":
        try:
            from safetensors.numpy import load_file
        except ImportError:
            raise SpecError("reading .safetensors needs the safetensors package (pip install safetensors)") from None
        try:
            return {k: np.asarray(v, dtype=np.float32) for k, v in load_file(str(p)).items()}
        except Exception as e:  # noqa: BLE001 - a corrupt file is bad input
            raise SpecError(f"{path}: not a readable safetensors file ({type(e).__name__})") from None
    try:
        import torch
    except ImportError:
        raise SpecError("reading a .pt state_dict needs torch; save it as .safetensors instead") from None
    try:
        obj = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001
        raise SpecError(f"{path}: not a torch state_dict readable with weights_only=True ({type(e).__name__})") from None
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise SpecError(f"{path}: expected a state_dict (a mapping of names to tensors)")
    return {k: v.detach().float().numpy() for k, v in obj.items()}


def load_into(executor, state: dict[str, np.ndarray]) -> None:
    """Put ``state`` into the executor's per-layer parameters (before its first run); strict."""
    used: set[str] = set()
    missing: list[str] = []
    wrong: list[str] = []
    for lay, params in zip(executor.net.layers, executor.params):
        kind = lay.op.op
        if kind == "layer_scale":
            if lay.name in state:
                params.arrays["gamma"] = np.ascontiguousarray(state[lay.name].reshape(-1), dtype=np.float32)
                params.kinds["gamma"] = "other"
                used.add(lay.name)
            else:
                missing.append(lay.name)
            continue
        for suffix, (key, k) in _KINDS.get(kind, {}).items():
            name = f"{lay.name}.{suffix}"
            if name not in state:
                if (suffix == "bias" and kind in _CONV and not lay.op.bias) or \
                        (suffix in ("weight", "bias") and kind not in _CONV and not lay.op.affine):
                    continue
                missing.append(name)
                continue
            params.arrays[key] = np.ascontiguousarray(state[name], dtype=np.float32)
            params.kinds[key] = k
            used.add(name)
    unused = sorted(k for k in state if k not in used and not k.endswith("num_batches_tracked"))
    if missing or unused:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''})")
        if unused:
            parts.append(f"{len(unused)} not used by the spec ({', '.join(unused[:4])}{', ...' if len(unused) > 4 else ''})")
        raise SpecError("weights do not fit the spec: " + "; ".join(parts))
    if wrong:
        raise SpecError("weights have the wrong shapes: " + ", ".join(wrong[:4]))
