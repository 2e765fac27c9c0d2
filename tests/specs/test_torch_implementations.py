"""Every spec that claims an implementation follows it in every part, at any input size.

A spec that names torchvision's or timm's model as its convention must give that model's
exact parameter count and conv+linear MACs not only at 224 but at sizes that are not
multiples of 32 (97, 199, 225, 250), where the stem's pooling rounding (``ceil_mode``)
and the padding decide every later feature-map size: at 225 torchvision's ResNet stem
pools 113 -> 57, the Caffe models' (timm ``legacy_seresnet*``: "ceil_mode=True is used
instead of padding=1") 113 -> 56. The independent side is the real model, built on
PyTorch's ``meta`` device (shapes only, no memory or arithmetic) and counted by
``torch.utils.flop_counter`` (2 FLOPs per conv/matmul multiply-accumulate).

The original Caffe ResNets (``resnet --set stride_on_1x1=true``) are checked against
timm's Caffe port of SE-ResNet with the SE modules removed: the same stem, stride
placement and shortcuts.

Run where torch, torchvision and timm are installed (skipped otherwise):
``/work/venv-torch/bin/python -m pytest tests/specs/test_torch_implementations.py``.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
timm = pytest.importorskip("timm")

from archcalc.api import analyze

RESOLUTIONS = (97, 199, 224, 225, 250)

#: (spec, variant, vars) -> (library, model, model kwargs)
CASES = [
    *[(("resnet", v, {}), ("tv", f"resnet{v}", {})) for v in ("18", "34", "50", "101", "152")],
    *[(("resnet", v, {"stride_on_1x1": "True"}), ("caffe", f"legacy_seresnet{v}", {})) for v in ("50", "101", "152")],
    (("resnext", "50-32x4d", {}), ("tv", "resnext50_32x4d", {})),
    (("resnext", "101-32x4d", {}), ("timm", "resnext101_32x4d", {})),
    (("resnext", "101-32x8d", {}), ("tv", "resnext101_32x8d", {})),
    (("resnext", "101-64x4d", {}), ("tv", "resnext101_64x4d", {})),
    (("wide_resnet", "wrn-50-2", {}), ("tv", "wide_resnet50_2", {})),
    (("wide_resnet", "wrn-101-2", {}), ("tv", "wide_resnet101_2", {})),
    *[(("densenet", v, {}), ("tv", f"densenet{v}", {})) for v in ("121", "161", "169", "201")],
    (("mobilenet_v2", None, {}), ("tv", "mobilenet_v2", {})),
    (("mobilenet_v2", None, {"alpha": "0.5"}), ("tv", "mobilenet_v2", {"width_mult": 0.5})),
    (("mobilenet_v2", None, {"alpha": "1.4"}), ("tv", "mobilenet_v2", {"width_mult": 1.4})),
    *[(("efficientnet", f"b{i}", {}), ("tv", f"efficientnet_b{i}", {})) for i in range(8)],
    *[(("convnext", v, {}), ("tv", f"convnext_{v}", {})) for v in ("tiny", "small", "base", "large")],
    *[(("senet", f"se-resnet-{d}", {}), ("timm", f"legacy_seresnet{d}", {})) for d in (50, 101, 152)],
    *[(("senet", f"se-resnext-{d}", {}), ("timm", f"legacy_seresnext{d}_32x4d", {})) for d in (50, 101)],
]


def build(lib: str, name: str, kwargs: dict):
    with torch.device("meta"):
        if lib == "tv":
            return getattr(torchvision.models, name)(**kwargs).eval()
        m = timm.create_model(name, **kwargs).eval()
    if lib == "caffe":  # the Caffe ResNet: timm's port of SE-ResNet without its SE modules
        for block in m.modules():
            if hasattr(block, "se_module"):
                block.se_module = torch.nn.Identity()
    return m


def counted(model, resolution: int) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.empty(1, 3, resolution, resolution, device="meta"))
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("ours,theirs", CASES, ids=[f"{o[0]}:{o[1]}{o[2] or ''}={t[1]}" for o, t in CASES])
def test_spec_is_its_implementation_at_every_resolution(ours, theirs):
    spec, variant, vars_ = ours
    model = build(*theirs)
    params = sum(p.numel() for p in model.parameters())
    got, want = [], []
    for r in RESOLUTIONS:
        a = analyze(spec, variant=variant, vars=vars_, resolution=r)
        got.append((r, a.totals["params"], a.totals["macs"]))
        want.append((r, params, counted(model, r)))
    assert got == want

