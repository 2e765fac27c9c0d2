"""The exported PyTorch module agrees with archcalc (skipped without torch; marker ``torch``).

For every bundled spec and variant at 64x64: the module ``archcalc.to_torch`` builds has
``sum(p.numel())`` equal to archcalc's learnable params and torch's ``FlopCounterMode``
total / 2 equal to archcalc's MACs, exactly. The generated file imports only torch and
runs on its own; its state_dict keys are the spec's layer names.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from torch.utils.flop_counter import FlopCounterMode

from archcalc.api import analyze, load
from archcalc.exporters.torch_module import source, to_torch
from archcalc.spec.loader import bundled_specs

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]

CASES = [(p.stem, v) for p in bundled_specs() for v in (list(load(p).spec.variants) or [None])]
HEAVY = {("convnext", "large"), ("convnext", "xlarge"), ("densenet", "bc-250-24"), ("densenet", "bc-190-40"),
         ("densenet", "100-24"), ("preact_resnet", "cifar-1001"), ("wide_resnet", "wrn-28-10")}
LEARNABLE = ("weights", "biases", "norm_affine", "other")



@pytest.mark.parametrize("spec,variant", [c for c in CASES if c not in HEAVY], ids=lambda v: str(v))
def test_exported_params_and_macs_equal_archcalc(spec, variant):
    a = analyze(spec, variant=variant, resolution=64)
    m = to_torch(spec, variant=variant, resolution=64).eval()
    params = sum(p.numel() for p in m.parameters())
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        y = m(torch.randn(1, *a.network.input_shape))
    assert tuple(y.shape[1:]) == tuple(a.network.layers[-1].out_shape)
    assert params == sum(a.totals["params_by_kind"].get(k, 0) for k in LEARNABLE)
    assert counter.get_total_flops() // 2 == a.totals["macs"]


def test_state_dict_keys_are_layer_names():
    m = to_torch("resnet", variant="50")
    keys = set(m.state_dict())
    assert "layer1.0.conv1.weight" in keys and "layer4.2.bn3.running_var" in keys
    from archcalc.exporters.torch_module import rename

    net = rename(analyze("resnet", variant="50").network, load("resnet").spec.torch_names)
    assert net.layers[0].name == "conv1"  # stem.conv, by the spec's torch_names
    convs = {lay.name for lay in net.layers if lay.op.op == "conv2d"}
    assert convs == {k.removesuffix(".weight") for k in keys if k.endswith(".weight")
                     and m.get_submodule(k.removesuffix(".weight")).__class__.__name__ == "Conv2d"}


def test_one_class_per_block_and_file_runs_alone(tmp_path):
    text, top = source("resnet", variant="50")
    assert "import archcalc" not in text and "class Bottleneck(nn.Module)" in text
    path = tmp_path / "r50.py"
    path.write_text(text)
    code = ("import sys, torch; sys.path.insert(0, sys.argv[1]); import r50; "
            "m = r50.Net().eval(); print(tuple(m(torch.zeros(1, 3, 64, 64)).shape))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 1000)"


def test_export_cli_writes_file(tmp_path):
    from archcalc.cli import main

    target = tmp_path / "m.py"
    with pytest.raises(SystemExit) as e:
        main(["export", "resnet", "-v", "18", "-o", str(target), "--resolution", "64"])
    assert e.value.code in (0, None)
    ns: dict = {}
    exec(compile(target.read_text(), str(target), "exec"), ns)
    assert sum(p.numel() for p in ns["Net"]().parameters()) == 11689512  # torchvision resnet18


def _randomize(module) -> None:
    """Every float tensor of the state (BN statistics too) random, so that equal outputs
    mean equal weights in the same places (a fresh init's outputs can be ~1e-9)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for k, v in module.state_dict().items():
            if not v.is_floating_point():
                continue
            if k.endswith("running_var"):
                v.copy_(torch.rand(v.shape, generator=g) + 0.5)
            elif v.dim() > 1:  # weights: fan-in scaled
                v.copy_(torch.randn(v.shape, generator=g) * (0.5 / v[0].numel()) ** 0.5)
            else:
                v.copy_(torch.randn(v.shape, generator=g) * 0.1 + (1.0 if k.endswith("weight") else 0.0))


@pytest.mark.parametrize("spec,variant,model", [("resnet", "18", "resnet18"), ("resnet", "50", "resnet50"),
                                                ("resnext", "50-32x4d", "resnext50_32x4d"),
                                                ("wide_resnet", "wrn-50-2", "wide_resnet50_2"),
                                                ("densenet", "121", "densenet121"),
                                                ("mobilenet_v2", None, "mobilenet_v2"),
                                                ("efficientnet", "b0", "efficientnet_b0"),
                                                ("efficientnet", "b3", "efficientnet_b3"),
                                                ("convnext", "tiny", "convnext_tiny")])
def test_bundled_spec_loads_torchvision_weights_strictly(spec, variant, model):
    """The spec's torch_names map makes the exported state_dict torchvision's, name for name
    and shape for shape; with the same (random) weights the outputs are torchvision's."""
    tvm = pytest.importorskip("torchvision.models")
    torch.manual_seed(0)
    ref = tvm.get_model(model, weights=None).eval()
    _randomize(ref)
    m = to_torch(spec, variant=variant, resolution=64).eval()
    assert {k: v.shape for k, v in m.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    m.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        y, r = m(x), ref(x)
    assert r.abs().max() > 0.1  # a real signal, not a near-zero output
    torch.testing.assert_close(y, r, rtol=1e-4, atol=1e-5 * float(r.abs().max()))
